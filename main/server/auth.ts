// Access control for tome serve. A random token, kept in the data folder
// (dataDirToken) and printed in the URL; the WebSocket, where every book,
// conversation and setting goes, must carry it (?token= or "Authorization:
// Bearer"). The static files are the app's own bundle, nothing of the user's,
// and are served without it: the page keeps the token in localStorage, which
// is per origin (the port included), where a cookie (per host) went to every
// server on the host, whatever its port. The Host header must name the address
// we listen on (stops DNS rebinding), and a browser's WebSocket Origin must be
// our own page.
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { IncomingMessage } from "node:http";

/**
 * The request's URL, or null when it cannot be parsed. The request line is the client's to
 * write ("GET http://[ HTTP/1.1" passes Node's parser) and new URL() throws on it: thrown in
 * a request or upgrade listener, that ended the whole process, token or not.
 */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? "/", "http://x");
  } catch {
    return null;
  }
}

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
  const q = requestUrl(req)?.searchParams.get("token");
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7);
  return null;
}

export function hasToken(req: IncomingMessage, token: string): boolean {
  const t = tokenFrom(req);
  return t !== null && same(t, token);
}

/**
 * The host:port forms a client may name us by: the loopback names and the bound host. An IPv6
 * host is written in brackets and in its canonical form, as browsers send it (a URL's
 * "[::ffff:127.0.0.1]" is sent as "[::ffff:7f00:1]"); unbracketed, an IPv6 --host other than
 * ::1 refused the very URL tome serve printed (421).
 */
function ourHosts(boundHost: string, port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${urlHost(boundHost)}:${port}`]);
}

/** A host as it is written in a URL (lower case; IPv6 in brackets, canonical). */
export function urlHost(host: string): string {
  const h = host.toLowerCase();
  if (!h.includes(":")) return h;
  try {
    return new URL(`http://[${h}]/`).hostname;
  } catch {
    return `[${h}]`;
  }
}

/** Host header names one of the addresses we serve (127.0.0.1, localhost, [::1], or the bound host). */
export function hostAllowed(req: IncomingMessage, boundHost: string, port: number): boolean {
  return ourHosts(boundHost, port).has((req.headers.host ?? "").toLowerCase());
}

/** A browser's Origin must be our page; non-browser clients send none. */
export function originAllowed(req: IncomingMessage, boundHost: string, port: number): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  const o = origin.toLowerCase();
  return o.startsWith("http://") && ourHosts(boundHost, port).has(o.slice("http://".length));
}
