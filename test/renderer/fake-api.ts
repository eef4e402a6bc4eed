// A TomeApi for renderer tests: canned answers per method, a log of calls, and
// emit() to push events as main would; connect() binds the app's store to it.
import { cleanup } from "@testing-library/react";
import type { EventData, EventName, Method, Params, Result, TomeApi } from "../../main/ipc/contract";
import { bindEvents } from "../../renderer/src/store";
import { setApi } from "../../renderer/src/store/api";

export type Handlers = { [M in Method]?: (p: Params<M>) => Result<M> | Promise<Result<M>> };

export interface FakeApi {
  api: TomeApi;
  calls: { method: Method; params: unknown }[];
  emit<E extends EventName>(e: E, data: EventData<E>): void;
}

export function fakeApi(handlers: Handlers): FakeApi {
  const listeners = new Map<string, Set<(d: unknown) => void>>();
  const calls: FakeApi["calls"] = [];
  const api = new Proxy({} as TomeApi, {
    get: (_t, name: string) => {
      if (name === "on")
        return (e: string, l: (d: unknown) => void) => {
          if (!listeners.has(e)) listeners.set(e, new Set());
          listeners.get(e)!.add(l);
          return () => listeners.get(e)!.delete(l);
        };
      return async (params: unknown) => {
        calls.push({ method: name as Method, params });
        const h = (handlers as Record<string, (p: unknown) => unknown>)[name];
        if (!h) throw Object.assign(new Error(`no fake for ${name}`), { code: "NOT_SUPPORTED" });
        return h(params);
      };
    },
  });
  return { api, calls, emit: (e, d) => listeners.get(e)?.forEach((l) => l(d)) };
}

/**
 * The app's store talking to f, as it talks to main: its api set and f's events bound.
 * Returns the disconnect a test's afterEach runs: what the test rendered unmounted, events unbound.
 */
export function connect(f: FakeApi): () => void {
  setApi(f.api);
  const unbind = bindEvents(f.api);
  return () => {
    cleanup();
    unbind();
  };
}
