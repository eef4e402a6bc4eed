// The preload run in Node against a stand-in for Electron's renderer modules:
// what it puts on window.tome, and how events reach the page.
import { EventEmitter } from "node:events";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TomeApi } from "../../main/ipc/contract";

vi.mock("electron", () => {
  const exposed: Record<string, unknown> = {};
  const ipcRenderer = Object.assign(new EventEmitter(), {
    invoke: async (channel: string, params: unknown) =>
      channel === "tome:library.remove"
        ? { ok: false, error: { code: "BUSY", message: "The engine is working on this book; stop it first." } }
        : { ok: true, result: { channel, params } },
  });
  return { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) }, ipcRenderer, exposed };
});

let tome: TomeApi;
let ipc: EventEmitter;

beforeAll(async () => {
  const electron = (await import("electron")) as unknown as { exposed: Record<string, unknown>; ipcRenderer: EventEmitter };
  await import("../../main/desktop/preload");
  tome = electron.exposed.tome as TomeApi;
  ipc = electron.ipcRenderer;
});

describe("window.tome", () => {
  it("calls main on tome:<method> and turns a refusal into a rejection with its message", async () => {
    await expect(tome["library.list"]({} as never)).resolves.toEqual({ channel: "tome:library.list", params: {} });
    await expect(tome["library.remove"]({ documentId: 1 })).rejects.toThrow("The engine is working on this book; stop it first.");
  });

  it("subscribes every event the page listens to with one ipcRenderer listener (no leak warning)", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    const got: [string, unknown][] = [];
    const names = ["doc.updated", "doc.removed", "doc.progress", "chat.delta", "chat.message", "stats.token", "stats.memory",
      "engine.status", "settings.updated", "eval.progress", "eval.done", "app.notice", "ui.command"] as const;
    const offs = names.map((n) => tome.on(n, (d: unknown) => void got.push([n, d])));
    // and the store bound twice (React's strict mode in development)
    const offs2 = names.map((n) => tome.on(n, () => {}));
    expect(ipc.listenerCount("tome:event")).toBe(1);
    ipc.emit("tome:event", {}, "app.notice", { kind: "info", text: "hi" });
    ipc.emit("tome:event", {}, "doc.removed", { documentId: 3 });
    expect(got).toEqual([
      ["app.notice", { kind: "info", text: "hi" }],
      ["doc.removed", { documentId: 3 }],
    ]);
    [...offs, ...offs2].forEach((off) => off());
    ipc.emit("tome:event", {}, "app.notice", { kind: "info", text: "again" });
    expect(got).toHaveLength(2);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    process.off("warning", onWarning);
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("keeps delivering to the others when one listener throws, and refuses unknown events", () => {
    const got: unknown[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const off1 = tome.on("app.notice", () => {
      throw new Error("broken");
    });
    const off2 = tome.on("app.notice", (d) => void got.push(d));
    ipc.emit("tome:event", {}, "app.notice", { kind: "error", text: "x" });
    expect(got).toEqual([{ kind: "error", text: "x" }]);
    off1();
    off2();
    spy.mockRestore();
    expect(() => tome.on("no.such" as never, () => {})).toThrow(/unknown event/);
  });
});
