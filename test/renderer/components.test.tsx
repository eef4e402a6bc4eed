// @vitest-environment happy-dom
// Components with Testing Library against the store and a fake contract: the
// data-testids automation relies on, streaming, stop, progress, panels, reader.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import { sectionsOf } from "../../renderer/src/components/Reader";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { setApi } from "../../renderer/src/store/api";
import { doc, msg, startHandlers } from "./fixtures";

let f: FakeApi;
let disconnect: () => void;
const BOOK = "Alice was beginning to get very tired. ".repeat(130);

beforeEach(async () => {
  resetStore();
  f = fakeApi({
    ...startHandlers(),
    "library.list": () => [doc()],
    "library.text": ({ start = 0, end = 5000 }) => ({ documentId: 1, start, end, text: BOOK.slice(start, end) }),
    "chat.list": () => [{ id: 1, documentId: 1, title: "Q", systemPrompt: "Be brief.", createdAt: 1, updatedAt: 1 }],
    "chat.messages": () => [],
    "chat.send": ({ text }) => ({ user: msg({ id: 2, role: "user", content: text }), assistant: msg({ id: 3, status: "streaming" }) }),
    "chat.stop": () => ({ stopped: true }),
    "library.cancel": () => ({ cancelled: true }),
    "library.read": () => ({ jobId: "j1" }),
  });
  disconnect = connect(f);
  await useStore.getState().init();
});
afterEach(() => disconnect());

describe("App", () => {
  it("has the automation test ids", async () => {
    render(<App />);
    for (const id of ["drop-zone", "file-input", "doc-status", "chat-input", "send", "mem-gpu", "mem-cpu", "kv-tiers", "retrieval-stats"]) {
      expect(screen.getByTestId(id)).toBeTruthy();
    }
    expect(screen.getByTestId("doc-status").textContent).toContain("ready");
    expect(screen.getByTestId("mem-gpu").textContent).toContain("no GPU: CPU backend");
    expect(screen.getByTestId("context-note").textContent).toMatch(/first 1,500 of this book's 4,000 tokens/);
  });

  it("shows where dragged files will go while they are over the window, crossing its parts", async () => {
    const { container } = render(<App />);
    const files = { dataTransfer: { types: ["Files"], files: [] } };
    const app = container.querySelector(".app")!;
    const chat = container.querySelector(".chat")!;
    fireEvent.dragEnter(app, files);
    fireEvent.dragEnter(chat, files); // into a part: enter there, then leave the one before
    fireEvent.dragLeave(app, files);
    expect(screen.getByTestId("drop-overlay").textContent).toBe("Drop to add to the library");
    fireEvent.dragLeave(chat, files); // out of the window
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
    fireEvent.dragEnter(app, { dataTransfer: { types: ["text/plain"], files: [] } }); // a text selection: not a book
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
    fireEvent.dragEnter(app, files);
    fireEvent.drop(app, files);
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
    // dropped on the library's drop zone, which handles the drop itself
    fireEvent.dragEnter(app, files);
    fireEvent.dragEnter(screen.getByTestId("drop-zone"), files);
    fireEvent.drop(screen.getByTestId("drop-zone"), files);
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
  });

  it("describes the model chosen in the list: its trained context, and whether it is the one loaded", async () => {
    const { container } = render(<App />);
    const summary = () => container.querySelector(".model-details summary")?.textContent ?? "";
    await waitFor(() => expect(summary()).toBe("llama · trained for 2,048 tokens · no chat template (fallback)"));
    act(() => useStore.setState({ models: [...useStore.getState().models, { path: "/m/other.gguf", name: "other.gguf", sizeBytes: 20, source: "models-dir" }] }));
    fireEvent.change(screen.getByTestId("model-select"), { target: { value: "/m/other.gguf" } });
    await waitFor(() => expect(summary()).toMatch(/^not loaded · llama · trained for 2,048 tokens/));
    expect(screen.getByTestId("model-load").textContent).toBe("Load");
    // it opens over the page, so Escape and a click elsewhere close it
    const details = container.querySelector<HTMLDetailsElement>(".model-details")!;
    details.open = true;
    fireEvent.keyDown(document, { key: "Escape" });
    expect(details.open).toBe(false);
    details.open = true;
    fireEvent.pointerDown(details.querySelector("summary")!);
    expect(details.open).toBe(true);
    fireEvent.pointerDown(screen.getByTestId("chat-input"));
    expect(details.open).toBe(false);
    // retrieval's host memory: the K/V, the indexes, and the queries a read holds until its build
    expect(details.textContent).toContain("host KV 1.9 KiB + indexes 1.3 KiB (+ 500 B of queries while a book is read)");
  });

  /** The app rendered and a question sent: its answer (message 3) is streaming. */
  async function askInApp() {
    render(<App />);
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Who is Alice?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(screen.getAllByTestId("message-assistant")).toHaveLength(1));
  }

  it("sends a question, streams the answer into a new assistant message, and stops it", async () => {
    await askInApp();
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 0, text: "A girl " }));
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 7, text: "who falls" }));
    expect(screen.getByTestId("message-assistant").textContent).toContain("A girl who falls");
    fireEvent.click(screen.getByTestId("stop"));
    await waitFor(() => expect(f.calls.some((c) => c.method === "chat.stop")).toBe(true));
    act(() => f.emit("chat.message", msg({ id: 3, content: "A girl who falls", status: "stopped" })));
    expect(screen.getByTestId("message-assistant").textContent).toContain("stopped");
    expect(screen.queryByTestId("stop")).toBeNull();
    // the conversation is a tab stop of its own, so the keyboard can scroll it
    expect(screen.getByRole("log", { name: "Conversation" }).tabIndex).toBe(0);
  });

  it("folds a reasoning model's thinking away above its answer, while it thinks and after", async () => {
    await askInApp();
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 0, text: "<think>\nThe book says" }));
    const thinking = () => screen.getByTestId("thinking") as HTMLDetailsElement;
    expect(thinking().open).toBe(false);
    expect(thinking().querySelector("summary")!.textContent).toBe("Thinking…");
    expect(thinking().querySelector(".thinking-text")!.textContent).toBe("The book says");
    act(() => f.emit("chat.delta", { conversationId: 1, messageId: 3, offset: 21, text: " a girl.\n</think>\n\nA girl." }));
    act(() => f.emit("chat.message", msg({ id: 3, content: "<think>\nThe book says a girl.\n</think>\n\nA girl.", status: "done" })));
    expect(thinking().querySelector("summary")!.textContent).toBe("Reasoning");
    expect(thinking().querySelector(".thinking-text")!.textContent).toBe("The book says a girl.");
    expect(screen.getByTestId("message-assistant").querySelector(".content")!.textContent).toBe("A girl.");
  });

  it("shows read progress with tokens/s, ETA and cancel", async () => {
    render(<App />);
    act(() => f.emit("doc.updated", doc({ state: "reading" })));
    act(() => f.emit("doc.progress", { documentId: 1, jobId: "j9", phase: "prefill", done: 250, total: 1000, tokensPerSec: 500, etaMs: 1500 }));
    const p = screen.getByTestId("prefill-progress");
    expect(p.textContent).toMatch(/prefill 250 \/ 1,000 tokens · 500 tok\/s · ETA 1.5 s/);
    expect(screen.getByTestId("doc-status").textContent).not.toContain("ready");
    fireEvent.click(screen.getByText("Cancel"));
    await waitFor(() => expect(f.calls.find((c) => c.method === "library.cancel")?.params).toEqual({ documentId: 1 }));
  });

  it("says a book is saved when its KV store for the loaded model is on disk, and opens it", async () => {
    render(<App />);
    act(() => f.emit("doc.updated", doc({ state: "new", savedFor: "/m/other.gguf" })));
    expect(screen.getByTestId("doc-status").textContent).toContain("not read yet");
    expect(screen.queryByTestId("saved-note")).toBeNull();
    // saved under today's Max answer tokens (64: the first 1,696 tokens fit): opening restores it
    act(() => f.emit("doc.updated", doc({ state: "new", savedFor: "/m/tiny.gguf", tokensUsed: 1696 })));
    expect(screen.getByTestId("doc-status").textContent).toContain("saved");
    expect(screen.getByTestId("saved-note").textContent).toMatch(/on disk, so opening it takes seconds/);
    expect(screen.queryByTestId("read-again")).toBeNull();
    // saved under another budget (1,500 tokens): Open restores that read; Read again makes today's
    act(() => f.emit("doc.updated", doc({ state: "new", savedFor: "/m/tiny.gguf", tokensUsed: 1696, savedTokens: 1500 })));
    expect(screen.getByTestId("saved-note").textContent).toMatch(/another Max answer tokens.*opening it restores that read in seconds; Read again reads the book anew/);
    expect(screen.getByTestId("doc-status").textContent).toMatch(/1,500 of 4,000 tokens/);
    expect(screen.getByText(/txt · saved/)).toBeTruthy();
    fireEvent.click(screen.getByText("Open"));
    await waitFor(() => expect(f.calls.find((c) => c.method === "library.read")?.params).toEqual({ documentId: 1 }));
    fireEvent.click(screen.getByTestId("read-again"));
    await waitFor(() => expect(f.calls.filter((c) => c.method === "library.read")[1]?.params).toEqual({ documentId: 1, fresh: true }));
    // saved at a longer context than today's model holds: opening it reads the book again
    act(() => f.emit("doc.updated", doc({ state: "new", savedFor: "/m/tiny.gguf", tokensUsed: 1696, savedTokens: 1900 })));
    expect(screen.getByTestId("saved-note").textContent).toMatch(/at a longer context: that read does not fit this one, so opening it reads the book again/);
  });

  it("offers to read a ready book again when today's Max answer tokens would cut it elsewhere", async () => {
    render(<App />);
    act(() => f.emit("doc.updated", doc({ state: "ready", tokensUsed: 1696 })));
    expect(screen.queryByTestId("read-again")).toBeNull();
    act(() => f.emit("doc.updated", doc({ state: "ready", tokensUsed: 1500 })));
    expect(screen.getByTestId("context-note").textContent).toMatch(/reading it again \(Read again\) would take the first 1,696/);
    fireEvent.click(screen.getByTestId("read-again"));
    await waitFor(() => expect(f.calls.find((c) => c.method === "library.read")?.params).toEqual({ documentId: 1, fresh: true }));
  });

  it("shows the app's notices", async () => {
    render(<App />);
    act(() => f.emit("app.notice", { kind: "error", text: "This book's KV cache could not be saved: the disk is full" }));
    expect(screen.getByTestId("notice").textContent).toMatch(/could not be saved: the disk is full/);
  });

  it("updates the live panels from stats events", async () => {
    render(<App />);
    act(() => f.emit("stats.memory", { rssMainBytes: 50 * 2 ** 20, rssEngineBytes: 80 * 2 ** 20, kv: { deviceBytes: 0, hostBytes: 1310720, diskBytes: 0 }, gpu: null, nPast: 1600, nCtx: 2048, documentId: 1 }));
    act(() => useStore.getState().startAnswer(3));
    act(() =>
      f.emit("stats.token", {
        messageId: 3,
        documentId: 1,
        index: 0,
        totalMs: 4,
        phaseMs: { matmul: 1, attention: 2.5, other: 0.5 },
        retrieval: { keysScanned: 40, keysTotal: 1600, topK: 100, massCaptured: 0.95, recall: null, exact: false, whole: false },
        tokensPerSec: 250,
      }),
    );
    expect(screen.getByTestId("mem-cpu").textContent).toContain("50.0 MiB");
    expect(screen.getByTestId("kv-tiers").textContent).toContain("RAM 1.3 MiB");
    expect(screen.getByTestId("retrieval-stats").textContent).toMatch(/keys scanned 2.5% \(40 of 1,600\) · top-k 100 · mass 95.0%/);
    expect(screen.getByTestId("tokens-per-sec").textContent).toContain("250 tok/s");
    expect(screen.getByTestId("engine-book").textContent).toBe("holds Alice");
  });

  it("names the book the engine holds when another one is selected", async () => {
    render(<App />);
    act(() => useStore.setState({ documents: [doc(), doc({ id: 2, title: "Moby-Dick" })], selectedDocId: 2 }));
    const memory = { rssMainBytes: 1, rssEngineBytes: 2, kv: { deviceBytes: 0, hostBytes: 3, diskBytes: 0 }, gpu: null, nPast: 1600, nCtx: 2048 };
    act(() => f.emit("stats.memory", { ...memory, documentId: 1 }));
    expect(screen.getByTestId("engine-book").textContent).toBe("holds another book: Alice");
    act(() => f.emit("stats.memory", { ...memory, documentId: null }));
    expect(screen.queryByTestId("engine-book")).toBeNull();
  });

  it("lists highlights after an answer and jumps the reader to one", async () => {
    render(<App />);
    act(() =>
      useStore.setState({
        messages: [msg({ id: 5, content: "She is tired.", highlights: [{ start: 2600, end: 2640, weight: 0.7, text: BOOK.slice(2600, 2640) }] })],
      }),
    );
    const hs = screen.getAllByTestId("highlight");
    expect(hs).toHaveLength(1);
    fireEvent.click(hs[0]);
    await waitFor(() => expect(screen.getAllByTestId("highlight-mark").length).toBeGreaterThan(0));
    expect((screen.getByLabelText("Chapter") as HTMLSelectElement).value).toBe("1");
  });

  it("names the file being opened with a Stop that stops it", async () => {
    let fail: (e: Error) => void = () => {};
    setApi(
      fakeApi({
        ...startHandlers(),
        "library.import": () => new Promise((_, reject) => (fail = reject)),
        "library.cancelImport": () => {
          fail(Object.assign(new Error("stopped"), { code: "CANCELLED" }));
          return { cancelled: true };
        },
      }).api,
    );
    render(<App />);
    fireEvent.change(screen.getByTestId("file-input"), { target: { files: [new File(["words"], "slow.pdf")] } });
    const line = await screen.findByTestId("importing");
    expect(line.textContent).toMatch(/^Opening slow\.pdf…/);
    fireEvent.click(within(line).getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(screen.queryByTestId("importing")).toBeNull());
    expect(screen.getByTestId("notice").textContent).toMatch(/Stopped opening 'slow.pdf'/);
  });

  it("names a book the desktop dialog's choice opens (library.importing) with a Stop that stops it", async () => {
    const cancels: string[] = [];
    const g = fakeApi({
      ...startHandlers(),
      "library.list": () => [doc()],
      "library.cancelImport": ({ importId }) => (cancels.push(importId), { cancelled: true }),
    });
    disconnect();
    disconnect = connect(g);
    await useStore.getState().init();
    render(<App />);
    act(() => g.emit("library.importing", { importId: "dialog-1", name: "big.pdf", done: false }));
    const line = await screen.findByTestId("importing");
    expect(line.textContent).toMatch(/^Opening big\.pdf…/);
    act(() => g.emit("library.importing", { importId: "dialog-1", name: "big.pdf", done: false })); // told twice: listed once
    expect(useStore.getState().importing).toHaveLength(1);
    fireEvent.click(within(line).getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(cancels).toEqual(["dialog-1"]));
    act(() => g.emit("library.importing", { importId: "dialog-1", name: "big.pdf", done: true }));
    expect(screen.queryByTestId("importing")).toBeNull();
  });

  it("shows a clear error for a refused drop", async () => {
    render(<App />);
    const input = screen.getByTestId("file-input") as HTMLInputElement;
    const big = new File(["x".repeat(5000)], "huge.txt");
    fireEvent.change(input, { target: { files: [big] } });
    await waitFor(() => expect(screen.getByTestId("notice").textContent).toMatch(/huge.txt.*limit/));
  });
});

describe("reader sections", () => {
  it("splits by chapters, with an opening before the first, and pages without chapters", () => {
    expect(sectionsOf(doc({ chapters: [{ title: "C1", start: 100 }], chars: 300 })).map((s) => [s.title, s.start, s.end])).toEqual([
      ["Opening", 0, 100],
      ["C1", 100, 300],
    ]);
    expect(sectionsOf(doc({ chapters: [], chars: 45000 })).map((s) => s.title)).toEqual(["Page 1", "Page 2", "Page 3"]);
  });
});
