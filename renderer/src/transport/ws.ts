// The contract over a WebSocket (browser mode, tome serve). One function per
// method through a Proxy (the renderer has the contract's types only, no runtime
// list of names), request ids matched to responses, events fanned out, and
// reconnection with backoff while the server is away.
import type { ContractError, EventName, EventData, TomeApi } from "../../../main/ipc/contract";

export class ContractCallError extends Error {
  constructor(readonly code: ContractError["code"], message: string) {
    super(message);
  }
}

/** "refused": the server is there but refuses this page's token (retrying cannot help). */
export type ConnectionState = "connecting" | "open" | "closed" | "refused";

/** The message of every call the lost connection fails (the banner says it once for them all). */
export const CONNECTION_LOST = "connection to tome lost";

export interface WsApi {
  api: TomeApi;
  onState(cb: (s: ConnectionState) => void): () => void;
  close(): void;
}

/**
 * `accepted`, asked when a connection closes: false when the server refuses the token (no more
 * retries), true or null (unknown) to retry.
 */
export function connectWs(url: string, accepted: () => Promise<boolean | null> = async () => null): WsApi {
  let ws: WebSocket | null = null;
  let nextId = 1;
  let closed = false;
  let retry = 250;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<string, Set<(d: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  let queue: string[] = [];
  const setState = (s: ConnectionState) => stateListeners.forEach((l) => l(s));

  const open = () => {
    setState("connecting");
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 250;
      setState("open");
      for (const m of queue) ws!.send(m);
      queue = [];
    };
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as
        | { id: number | null; result?: unknown; error?: ContractError }
        | { event: EventName; data: unknown };
      if ("event" in m) {
        listeners.get(m.event)?.forEach((l) => l(m.data));
        return;
      }
      if (m.id === null) return;
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(new ContractCallError(m.error.code, m.error.message));
      else p.resolve(m.result);
    };
    ws.onclose = () => {
      for (const p of pending.values()) p.reject(new ContractCallError("INTERNAL", CONNECTION_LOST));
      pending.clear();
      setState("closed");
      if (closed) return;
      void accepted().then((ok) => {
        if (ok === false) setState("refused");
        else if (!closed) setTimeout(open, (retry = Math.min(retry * 2, 5000)));
      });
    };
  };
  open();

  const call = (method: string, params: unknown) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const msg = JSON.stringify({ id, method, params: params ?? {} });
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(msg);
      else queue.push(msg);
    });

  const on = <E extends EventName>(event: E, l: (d: EventData<E>) => void) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(l as (d: unknown) => void);
    return () => set!.delete(l as (d: unknown) => void);
  };

  const api = new Proxy({} as TomeApi, {
    get: (_t, name) => (name === "on" ? on : (params: unknown) => call(String(name), params)),
  });
  return {
    api,
    onState: (cb) => {
      stateListeners.add(cb);
      return () => stateListeners.delete(cb);
    },
    close: () => {
      closed = true;
      ws?.close();
    },
  };
}
