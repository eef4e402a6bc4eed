// Picks the transport: window.tome (Electron preload) when present, else a
// WebSocket to the tome serve that served this page, with the token from the
// URL, kept in localStorage (per origin: this server's port only) so a reload
// or a new tab without it still works. A connection refused for its token is
// told from a server that is away by asking /auth.
import type { TomeApi } from "../../../main/ipc/contract";
import { connectWs, type ConnectionState } from "./ws";

declare global {
  interface Window {
    tome?: TomeApi;
  }
}

export interface Transport {
  api: TomeApi;
  mode: "desktop" | "browser";
  onState(cb: (s: ConnectionState) => void): () => void;
}

const TOKEN_KEY = "tome.token";

/** Whether the server takes `token` (false: refused; null: no answer, the server is away). */
async function tokenAccepted(token: string): Promise<boolean | null> {
  try {
    const r = await fetch("/auth", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
    return r.status === 401 ? false : r.ok ? true : null;
  } catch {
    return null;
  }
}

export function connect(): Transport {
  if (window.tome) return { api: window.tome, mode: "desktop", onState: () => () => {} };
  const params = new URLSearchParams(location.search);
  const token = params.get("token") ?? localStorage.getItem(TOKEN_KEY) ?? "";
  if (params.get("token")) {
    localStorage.setItem(TOKEN_KEY, token);
    // Keep the token out of the address bar and history.
    history.replaceState(null, "", location.pathname);
  }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = connectWs(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`, () => tokenAccepted(token));
  return { api: ws.api, mode: "browser", onState: ws.onState };
}
