// Access control for tome serve. A random token, kept in the data folder
// (dataDirToken) and printed in the URL; every HTTP request and WebSocket must carry it (?token=, the
// HttpOnly cookie set on the first page load, or "Authorization: Bearer").
// The Host header must name the address we listen on (stops DNS rebinding), and
// a browser's WebSocket Origin must be our own page.
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { IncomingMessage } from "node:http";

export const COOKIE = "tome_token";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

const TOKEN_FILE = "serve-token";
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;

/**
 * The data folder's token (minted on first use, kept owner-only): a `tome serve` restarted
 * on the same folder and port takes back the pages still open on it, which reconnect with
 * the token they hold (a new token per run left them refused).
 */
export function dataDirToken(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const kept = fs.readFileSync(file, "utf8").trim();
    if (TOKEN_SHAPE.test(kept)) return kept;
  } catch {
    /* none yet, or unreadable: a new one */
  }
  const token = newToken();
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, token + "\n", { mode: 0o600 });
  fs.chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
  return token;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function tokenFrom(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? "/", "http://x");
  const q = url.searchParams.get("token");
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7);
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return v.join("=");
  }
  return null;
}

export function hasToken(req: IncomingMessage, token: string): boolean {
  const t = tokenFrom(req);
  return t !== null && same(t, token);
}

/** Host header names one of the addresses we serve (127.0.0.1, localhost, [::1], or the bound host). */
export function hostAllowed(req: IncomingMessage, boundHost: string, port: number): boolean {
  const host = (req.headers.host ?? "").toLowerCase();
  const ok = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${boundHost.toLowerCase()}:${port}`]);
  return ok.has(host);
}

/** A browser's Origin must be our page; non-browser clients send none. */
export function originAllowed(req: IncomingMessage, boundHost: string, port: number): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  const ok = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, `http://${boundHost.toLowerCase()}:${port}`]);
  return ok.has(origin.toLowerCase());
}
