// Which page, and which IPC sender, is tome's own. Pure (no Electron import) so it
// is tested in Node.
//
// The window loads build/renderer/index.html with loadFile; Chromium reports the
// page's URL in its own canonical form, which need not be the string Node's
// pathToFileURL gives for the same file (Chromium may leave `{`, `}`, `|`, `^`
// unescaped where Node escapes them, and upper-cases a Windows drive letter).
// Comparing the strings would refuse every call from our own window when the app
// is installed under such a path, so file URLs are compared by the file they name.
import { pathToFileURL } from "node:url";

/** A file: URL reduced to what identifies the file: host, decoded path (drive letter
 * upper-cased), no query or fragment; null for anything that is not a file: URL. */
export function fileUrlKey(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "file:") return null;
  let p = u.pathname;
  try {
    p = decodeURIComponent(p);
  } catch {
    /* a stray % that is not an escape: keep the path as it is */
  }
  p = p.replace(/^\/([a-zA-Z]):/, (_m, d: string) => `/${d.toUpperCase()}:`);
  const host = u.hostname.toLowerCase() === "localhost" ? "" : u.hostname.toLowerCase();
  return `${host}|${p}`;
}

/** True when `url` names the same file as `appUrl` (both file: URLs). */
export function sameFileUrl(url: string, appUrl: string): boolean {
  const a = fileUrlKey(url);
  return a !== null && a === fileUrlKey(appUrl);
}

/** The URL of the app's page, as Node writes it. */
export function appUrlOf(indexHtml: string): string {
  return pathToFileURL(indexHtml).href;
}

/** What an ipcMain event says about its sender (IpcMainInvokeEvent fits). */
export interface SenderInfo {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}

/** Only our window's top frame, showing our own page, may call the contract. */
export function isTrustedSender(e: SenderInfo, ours: unknown, appUrl: string): boolean {
  if (!ours || e.sender !== ours) return false;
  try {
    const f = e.senderFrame;
    return !!f && f.parent === null && sameFileUrl(f.url, appUrl);
  } catch {
    return false; // a frame disposed while its call was in flight
  }
}
