// @vitest-environment happy-dom
// The store: slices wired to the contract and to pushed events.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { bindEvents, resetStore, useStore } from "../../renderer/src/store";
import { setApi } from "../../renderer/src/store/api";
import { fakeApi, type FakeApi } from "./fake-api";
import { app, doc, engine, msg, settings } from "./fixtures";
import type { ModelEntry } from "../../main/ipc/contract";

let f: FakeApi;
let unbind: () => void;
const s = () => useStore.getState();

beforeEach(() => {
  resetStore();
  f = fakeApi({
    "app.info": () => app,
    "engine.status": () => engine,
    "settings.get": () => settings,
    "models.list": () => [{ path: "/m/tiny.gguf", name: "tiny.gguf", sizeBytes: 10, source: "models-dir" }],
    "library.list": () => [doc()],
    "chat.list": () => [{ id: 1, documentId: 1, title: "Q", systemPrompt: "Be brief.", createdAt: 1, updatedAt: 1 }],
    "chat.messages": () => [msg({ id: 1, role: "user", content: "Who?" })],
    "chat.send": ({ text }) => ({ user: msg({ id: 2, role: "user", content: text }), assistant: msg({ id: 3, status: "streaming" }) }),
    "library.import": ({ name }) => doc({ id: 2, title: name, state: "new" }),
    "library.read": () => ({ jobId: "j1" }),
  });
  setApi(f.api);
  unbind = bindEvents(f.api);
});
afterEach(() => unbind());

describe("store", () => {
  it("init loads app, engine, settings, models, documents, and opens the first conversation", async () => {
    await s().init();
    expect(s().app?.mode).toBe("browser");
    expect(s().documents).toHaveLength(1);
    expect(s().selectedDocId).toBe(1);
    expect(s().conversationId).toBe(1);
    expect(s().messages.map((m) => m.content)).toEqual(["Who?"]);
    expect(s().maxImportBytes).toBe(1024);
  });

  it("a slow conversation list of a book selected before another is not shown over the other's", async () => {
    await s().init();
    let releaseFirst: () => void = () => {};
    const late = new Promise<void>((r) => (releaseFirst = r));
    setApi(fakeApi({
      "chat.list": async ({ documentId }) => {
        if (documentId === 1) await late;
        return [{ id: 10 * documentId, documentId, title: `about ${documentId}`, systemPrompt: "", createdAt: 1, updatedAt: 1 }];
      },
      "chat.messages": () => [],
      "chat.create": ({ documentId }) => ({ id: 99, documentId, title: "New conversation", systemPrompt: "", createdAt: 1, updatedAt: 1 }),
    }).api);
    const first = s().selectDocument(1);
    await s().selectDocument(2);
    releaseFirst();
    await first;
    expect(s().selectedDocId).toBe(2);
    expect(s().conversations.map((c) => c.title)).toEqual(["about 2"]);
    expect(s().conversationId).toBe(20);
  });

  it("New on a conversation that has no messages yet keeps it, rather than making another empty one", async () => {
    let made = 0;
    setApi(fakeApi({
      "chat.list": () => [],
      "chat.messages": () => [],
      "chat.create": ({ documentId }) => ({ id: 100 + ++made, documentId, title: "New conversation", systemPrompt: "", createdAt: 1, updatedAt: 1 }),
    }).api);
    await s().selectDocument(1);
    expect(await s().newConversation()).toBe(101);
    expect(await s().newConversation()).toBe(101);
    expect(s().conversations.length).toBe(1);
    useStore.setState({ messages: [msg({ id: 5, conversationId: 101, role: "user", content: "Why?" })] });
    expect(await s().newConversation()).toBe(102);
    expect(s().conversations.map((c) => c.id)).toEqual([102, 101]);
  });

  it("a conversation list that cannot be read is reported, not left as an unhandled rejection", async () => {
    await s().init();
    setApi(fakeApi({ "chat.list": () => Promise.reject(new Error("connection to tome lost")) }).api);
    await s().selectDocument(1);
    expect(s().notices.map((n) => n.text).join(" ")).toMatch(/Could not list the conversations: connection to tome lost/);
  });

  it("the menu's Open Model runs the window's model dialog: the list is refreshed and the model inspected", async () => {
    const other: ModelEntry = { path: "/elsewhere/other.gguf", name: "other.gguf", sizeBytes: 20, source: "recent" };
    let listed: ModelEntry[] = [{ path: "/m/tiny.gguf", name: "tiny.gguf", sizeBytes: 10, source: "models-dir" }];
    unbind();
    f = fakeApi({
      "app.info": () => app,
      "engine.status": () => engine,
      "settings.get": () => settings,
      "models.list": () => listed,
      "library.list": () => [],
      "models.openDialog": () => {
        listed = [...listed, other];
        return other;
      },
      "models.inspect": ({ path }) => ({ path, arch: "llama" }) as never,
    });
    setApi(f.api);
    unbind = bindEvents(f.api);
    await s().init();
    f.emit("ui.command", { command: "openModel" });
    await vi.waitFor(() => expect(s().models.map((m) => m.path)).toContain(other.path));
    await vi.waitFor(() => expect(f.calls.find((c) => c.method === "models.inspect")?.params).toEqual({ path: other.path }));
  });

  it("streams deltas into the answer and replaces it with the final message", async () => {
    await s().init();
    expect(await s().send("  Where?  ")).toBe(true);
    expect(f.calls.find((c) => c.method === "chat.send")?.params).toEqual({ conversationId: 1, text: "Where?" });
    f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 0, text: "Down " });
    f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 5, text: "the hole" });
    f.emit("chat.delta", { conversationId: 99, messageId: 3, offset: 0, text: "ignored" });
    expect(s().messages.find((m) => m.id === 3)?.content).toBe("Down the hole");
    expect(s().streaming()).toBe(true);
    f.emit("chat.message", msg({ id: 3, content: "Down the hole.", status: "done" }));
    expect(s().messages.find((m) => m.id === 3)?.content).toBe("Down the hole.");
    expect(s().streaming()).toBe(false);
  });

  it("imports a file, reads it when a model is loaded, and refuses one over the size limit without sending it", async () => {
    await s().init();
    await s().importFiles([new File(["hello"], "b.txt")]);
    expect(f.calls.filter((c) => c.method === "library.import")).toHaveLength(1);
    expect((f.calls.find((c) => c.method === "library.import")!.params as { dataBase64: string }).dataBase64).toBe(btoa("hello"));
    expect(f.calls.some((c) => c.method === "library.read")).toBe(true);
    expect(s().selectedDocId).toBe(2);
    await s().importFiles([new File(["x".repeat(2000)], "big.txt")]);
    expect(f.calls.filter((c) => c.method === "library.import")).toHaveLength(1);
    expect(s().notices.at(-1)?.text).toMatch(/limit/);
  });

  it("Stop while a drop opens: the file being opened is stopped by its import id, the files after it are left", async () => {
    await s().init();
    let release: (e: Error) => void = () => {};
    const g = fakeApi({
      "library.import": () =>
        new Promise((_, reject) => {
          release = reject;
        }),
      "library.cancelImport": ({ importId }) => {
        release(Object.assign(new Error("Opening 'a.txt' was stopped."), { code: "CANCELLED" }));
        return { cancelled: importId.startsWith("import-") };
      },
    });
    setApi(g.api);
    const dropped = s().importFiles([new File(["a"], "a.txt"), new File(["b"], "b.txt")]);
    await vi.waitFor(() => expect(s().importing.map((x) => x.name)).toEqual(["a.txt"]));
    const { importId } = s().importing[0];
    await s().stopImports();
    await dropped;
    expect(g.calls.filter((c) => c.method === "library.import").map((c) => c.params)).toEqual([{ name: "a.txt", dataBase64: btoa("a"), importId }]);
    expect(g.calls.filter((c) => c.method === "library.cancelImport").map((c) => c.params)).toEqual([{ importId }]);
    expect(s().importing).toEqual([]);
    expect(s().notices.at(-1)).toMatchObject({ kind: "info", text: "Stopped opening 'a.txt'." });
    // a later drop opens again
    setApi(f.api);
    await s().importFiles([new File(["c"], "c.txt")]);
    expect(f.calls.filter((c) => c.method === "library.import").map((c) => (c.params as { name: string }).name)).toEqual(["c.txt"]);
  });

  it("books reported before the list arrives are shown in the list's order (newest first), not reversed", async () => {
    // what a model loaded at start-up does: doc.updated for every book, in library.list's order
    f.emit("doc.updated", doc({ id: 3, title: "pdf", createdAt: 30 }));
    f.emit("doc.updated", doc({ id: 2, title: "epub", createdAt: 20 }));
    f.emit("doc.updated", doc({ id: 1, title: "txt", createdAt: 10 }));
    expect(s().documents.map((d) => d.title)).toEqual(["pdf", "epub", "txt"]);
    f.emit("doc.updated", doc({ id: 4, title: "same time, later id", createdAt: 30 }));
    expect(s().documents.map((d) => d.id)).toEqual([4, 3, 2, 1]);
  });

  it("keeps read progress until the document leaves 'reading'", async () => {
    await s().init();
    f.emit("doc.updated", doc({ state: "reading" }));
    f.emit("doc.progress", { documentId: 1, jobId: "j", phase: "prefill", done: 10, total: 100, tokensPerSec: 50, etaMs: 1800 });
    expect(s().progress[1].done).toBe(10);
    f.emit("doc.updated", doc({ state: "ready" }));
    expect(s().progress[1]).toBeUndefined();
  });

  it("collects token stats per answer and memory stats", async () => {
    s().startAnswer(3);
    f.emit("stats.token", { messageId: 3, documentId: 1, index: 0, totalMs: 5, phaseMs: { matmul: 3, attention: 1, other: 1 }, retrieval: null, tokensPerSec: 200 });
    f.emit("stats.token", { messageId: 3, documentId: 1, index: 1, totalMs: 4, phaseMs: { matmul: 2, attention: 1, other: 1 }, retrieval: null, tokensPerSec: 220 });
    expect(s().tokenStats).toHaveLength(2);
    f.emit("stats.token", { messageId: 4, documentId: 1, index: 0, totalMs: 4, phaseMs: { matmul: 2, attention: 1, other: 1 }, retrieval: null, tokensPerSec: 220 });
    expect(s().answerId).toBe(4);
    expect(s().tokenStats).toHaveLength(1);
    f.emit("stats.memory", { rssMainBytes: 1, rssEngineBytes: 2, kv: { deviceBytes: 0, hostBytes: 3, diskBytes: 0 }, gpu: null, nPast: 5, nCtx: 10, documentId: null });
    expect(s().memory?.kv.hostBytes).toBe(3);
  });

  it("shows a server error as a notice", async () => {
    await s().init();
    const bad = fakeApi({ "chat.send": () => Promise.reject(Object.assign(new Error("Load a model first (Model menu)."), { code: "NO_MODEL" })) });
    setApi(bad.api);
    expect(await s().send("hi")).toBe(false);
    expect(s().notices.at(-1)).toMatchObject({ kind: "error", text: "Load a model first (Model menu)." });
  });
});
