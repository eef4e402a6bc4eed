// The preload: the renderer's only door to main. It exposes window.tome with one
// function per contract method (ipcRenderer.invoke on channel "tome:<method>")
// and `on(event, listener)` for pushed events — never ipcRenderer itself.
// Sandboxed preloads can require only "electron", so the method list is written
// out here; the type checks below fail the build if it drifts from the contract.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import type { EventName, Method, TomeApi } from "../ipc/contract";

const METHODS = [
  "app.info",
  "settings.get",
  "settings.set",
  "models.list",
  "models.inspect",
  "models.load",
  "models.openDialog",
  "engine.status",
  "stats.memory",
  "stats.tokens",
  "library.list",
  "library.import",
  "library.cancelImport",
  "library.openDialog",
  "library.remove",
  "library.text",
  "library.find",
  "library.findAll",
  "library.read",
  "library.cancel",
  "chat.list",
  "chat.create",
  "chat.messages",
  "chat.setSystemPrompt",
  "chat.rename",
  "chat.send",
  "chat.regenerate",
  "chat.stop",
  "chat.remove",
  "eval.run",
  "eval.cancel",
] as const satisfies readonly Method[];
// Every method is listed (compile error otherwise):
type Missing = Exclude<Method, (typeof METHODS)[number]>;
const _allListed: [Missing] extends [never] ? true : Missing = true;
void _allListed;

const EVENTS = [
  "doc.updated",
  "doc.removed",
  "doc.progress",
  "library.importing",
  "chat.delta",
  "chat.message",
  "chat.conversation",
  "chat.conversationRemoved",
  "chat.messagesRemoved",
  "stats.token",
  "stats.memory",
  "engine.status",
  "settings.updated",
  "ui.command",
  "app.notice",
  "eval.progress",
  "eval.done",
] as const satisfies readonly EventName[];
type MissingEvent = Exclude<EventName, (typeof EVENTS)[number]>;
const _allEvents: [MissingEvent] extends [never] ? true : MissingEvent = true;
void _allEvents;

/** Main answers { ok, result } or { ok: false, error }. The code crosses the IPC, but
 * contextBridge rebuilds an Error from its message alone, so the page gets the message
 * (which is what it shows); the page must not rely on `code` of a rejected call. */
type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const api: Record<string, unknown> = {};
for (const m of METHODS) {
  api[m] = async (params: unknown) => {
    const r = (await ipcRenderer.invoke(`tome:${m}`, params ?? {})) as Reply;
    if (r.ok) return r.result;
    throw Object.assign(new Error(r.error.message), { code: r.error.code });
  };
}

// One ipcRenderer listener for all events, fanned out here: a listener per
// subscription would pass EventEmitter's limit of 10 (the page subscribes to every
// event) and warn of a leak on every start.
const listeners = new Map<string, Set<(data: unknown) => void>>();
ipcRenderer.on("tome:event", (_e: IpcRendererEvent, name: string, data: unknown) => {
  for (const l of listeners.get(name) ?? []) {
    try {
      l(data);
    } catch (err) {
      console.error(err); // one broken listener must not stop the others
    }
  }
});
api.on = (event: string, listener: (data: unknown) => void) => {
  if (!(EVENTS as readonly string[]).includes(event)) throw new Error(`unknown event ${event}`);
  if (typeof listener !== "function") throw new TypeError("listener must be a function");
  // A wrapper per subscription: the same function subscribed twice is two subscriptions.
  const wrapped = (data: unknown) => listener(data);
  const set = listeners.get(event) ?? new Set();
  listeners.set(event, set);
  set.add(wrapped);
  return () => void set.delete(wrapped);
};

contextBridge.exposeInMainWorld("tome", api as TomeApi);
