// Picks the transport: window.tome (Electron preload) when present, else a
// WebSocket to the tome serve that served this page, with the token from the
// URL (kept in sessionStorage so a reload without it still works).
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

export function connect(): Transport {
  if (window.tome) return { api: window.tome, mode: "desktop", onState: () => () => {} };
  const params = new URLSearchParams(location.search);
  const token = params.get("token") ?? sessionStorage.getItem("tome.token") ?? "";
  if (params.get("token")) {
    sessionStorage.setItem("tome.token", token);
    // Keep the token out of the address bar and history.
    history.replaceState(null, "", location.pathname);
  }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = connectWs(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
  return { api: ws.api, mode: "browser", onState: ws.onState };
}
