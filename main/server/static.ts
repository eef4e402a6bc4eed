// Static files of the built renderer (build/renderer), with a strict CSP. Paths
// are resolved inside the root only: "..", encoded slashes and NULs are refused.
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream";
import type { ServerResponse } from "node:http";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

export function securityHeaders(port: number): Record<string, string> {
  return {
    "Content-Security-Policy":
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; object-src 'none'; base-uri 'none'; ` +
      "frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
  };
}

/** The file under root for a URL path, or null when it escapes root or does not exist. */
export function resolveStatic(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes("\0") || p.includes("\\")) return null;
  if (p === "/" || p === "") p = "/index.html";
  const full = path.resolve(root, "." + path.posix.normalize(p));
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

/**
 * Sends a file once it is open: one that cannot be opened after all (a rebuild removed it since
 * resolveStatic saw it, or it is unreadable) is a 404, not an unhandled read-stream error that
 * ended the process. pipeline() closes the file when the client goes away mid-file (pipe() left
 * the stream paused with its descriptor open, one more for every aborted load).
 */
export function sendFile(res: ServerResponse, file: string, headers: Record<string, string>) {
  const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  const stream = fs.createReadStream(file);
  stream.once("error", (e: NodeJS.ErrnoException) => {
    if (res.headersSent) return; // mid-file: pipeline ends the response
    res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
    res.end(`tome: cannot read this file (${e.code ?? e.message})\n`);
  });
  stream.once("open", () => {
    res.writeHead(200, { ...headers, "Content-Type": type });
    pipeline(stream, res, () => {
      /* a client gone mid-file, or a read error: both streams are closed, nothing to answer */
    });
  });
}
