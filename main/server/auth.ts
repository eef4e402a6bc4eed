// Access control for tome serve. A random token is minted per run and printed in
// the URL; every HTTP request and WebSocket must carry it (?token=, the
// HttpOnly cookie set on the first page load, or "Authorization: Bearer").
// The Host header must name the address we listen on (stops DNS rebinding), and
// a browser's WebSocket Origin must be our own page.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const COOKIE = "tome_token";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
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
