// @vitest-environment happy-dom
// The library and the reader against a fake contract: removing books and
// conversations (asked first, the selection moving on), the context note and the
// read progress, highlights that follow the answer, chapters opening at their
// top, live panels that do not outlive their book, the latency chart's size and
// key. (The 800x600 layout needs a browser: test/e2e/app.e2e.test.ts.)
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { LatencyChart } from "../../renderer/src/components/LatencyChart";
import { contextNote } from "../../renderer/src/components/DocStatus";
import { resetStore, useStore } from "../../renderer/src/store";
import { bookTokensThatFit } from "../../main/app/read-budget";
import type { ConversationInfo, MessageInfo, TokenStats } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, engine, msg, settings, startHandlers } from "./fixtures";

// uPlot needs a real canvas; this one records what the chart asks of it.
const h = vi.hoisted(() => ({ plots: [] as { opts: { legend: { live?: boolean }; series: { label?: string }[] }; width: number }[] }));
vi.mock("uplot", () => ({
  default: class {
    width: number;
    constructor(
      public opts: { width: number; legend: { live?: boolean }; series: { label?: string }[] },
      _data: unknown,
      _el: HTMLElement,
    ) {
      this.width = opts.width;
      h.plots.push(this);
    }
    setSize({ width }: { width: number }) {
      this.width = width;
    }
    setData() {}
    destroy() {}
  },
}));

const BOOK = "Alice was beginning to get very tired. ".repeat(130);
const s = () => useStore.getState();
const conv = (id: number, documentId: number, title: string): ConversationInfo => ({ id, documentId, title, systemPrompt: "", createdAt: 1, updatedAt: 1 });
const tok = (messageId: number, tokensPerSec: number, documentId = 1): TokenStats => ({
  messageId,
  documentId,
  index: 0,
  totalMs: 4,
  phaseMs: { matmul: 1, attention: 2, other: 1 },
  retrieval: null,
  tokensPerSec,
});

let f: FakeApi;
let disconnect: () => void;
// The library on the fake's side: two books, conversations, messages.
let docs: ReturnType<typeof doc>[];
let convs: ConversationInfo[];
let messages: Record<number, MessageInfo[]>;

beforeEach(async () => {
  resetStore();
  docs = [
    doc({ id: 1, title: "Alice", savedFor: "/m/tiny.gguf" }),
    doc({ id: 2, title: "Moby Dick", sourceName: "moby.txt", chapters: [], state: "new", tokens: null, tokensUsed: null, charsUsed: null }),
  ];
  convs = [conv(1, 1, "Who is Alice?"), conv(2, 1, "New conversation"), conv(4, 1, "Why the rabbit?"), conv(3, 2, "The whale?")];
  messages = {
    1: [msg({ id: 11, conversationId: 1, role: "user", content: "Who is Alice?" }), msg({ id: 12, conversationId: 1, content: "A girl." })],
    2: [],
    3: [msg({ id: 31, conversationId: 3, role: "user", content: "The whale?" }), msg({ id: 32, conversationId: 3, content: "White." })],
    4: [msg({ id: 41, conversationId: 4, role: "user", content: "Why the rabbit?" })],
  };
  f = fakeApi({
    ...startHandlers(),
    "library.list": () => docs,
    "library.text": ({ documentId, start = 0, end = 5000 }) => ({ documentId, start, end, text: BOOK.slice(start, end) }),
    "library.remove": ({ documentId }) => {
      docs = docs.filter((d) => d.id !== documentId);
      convs = convs.filter((c) => c.documentId !== documentId);
      f.emit("doc.removed", { documentId }); // main says so too: the store hears it twice
      return { removed: true };
    },
    "library.import": ({ name }) => doc({ id: 5, title: name, state: "new", tokens: null, tokensUsed: null, charsUsed: null }),
    "library.read": () => ({ jobId: "j2" }),
    "chat.list": ({ documentId }) => convs.filter((c) => c.documentId === documentId),
    "chat.messages": ({ conversationId }) => messages[conversationId] ?? [],
    "chat.remove": ({ conversationId }) => {
      convs = convs.filter((c) => c.id !== conversationId);
      return { removed: true };
    },
    "chat.rename": ({ conversationId, title }) => {
      if (title === "refused") throw Object.assign(new Error("A conversation's title cannot be that."), { code: "BAD_REQUEST" });
      const c = { ...convs.find((x) => x.id === conversationId)!, title };
      convs = convs.map((x) => (x.id === conversationId ? c : x));
      return c;
    },
  });
  disconnect = connect(f);
  await s().init();
});
afterEach(() => {
  disconnect();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const called = (method: string) => f.calls.filter((c) => c.method === method).map((c) => c.params);

describe("removing a book", () => {
  it("asks first, naming its conversations and its cache; Cancel (focused) and Escape keep it", async () => {
    render(<App />);
    fireEvent.click(screen.getByLabelText("Remove Alice"));
    const dialog = await screen.findByTestId("confirm");
    expect(dialog.textContent).toMatch(/Remove “Alice”\?/);
    expect(dialog.textContent).toMatch(/The book, its 3 conversations and its saved KV cache will be deleted/);
    const cancel = within(dialog).getByText("Cancel");
    expect(document.activeElement).toBe(cancel); // Enter or Space on it keeps the book
    fireEvent.click(cancel);
    expect(screen.queryByTestId("confirm")).toBeNull();
    fireEvent.click(screen.getByLabelText("Remove Moby Dick"));
    const second = await screen.findByTestId("confirm");
    expect(second.textContent).toMatch(/The book and its conversation will be deleted/); // not cached
    fireEvent(second, new Event("cancel", { cancelable: true })); // what Escape fires on a modal dialog
    expect(screen.queryByTestId("confirm")).toBeNull();
    expect(called("library.remove")).toEqual([]);
  });

  it("takes the removed book's conversations off the screen and selects the next book", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getAllByTestId("message-assistant")[0].textContent).toContain("A girl."));
    fireEvent.click(screen.getByLabelText("Remove Alice"));
    fireEvent.click(within(await screen.findByTestId("confirm")).getByTestId("confirm-ok"));
    await waitFor(() => expect(s().selectedDocId).toBe(2));
    expect(called("library.remove")).toEqual([{ documentId: 1 }]);
    await waitFor(() => expect(document.activeElement?.textContent).toMatch(/^Moby Dick/)); // the focus on the book now selected
    expect(screen.getByTestId("doc-status").textContent).toContain("Moby Dick");
    await waitFor(() => expect(screen.getAllByTestId("message-assistant")[0].textContent).toContain("White."));
    expect(screen.queryByText("A girl.")).toBeNull();
    expect(screen.getAllByTestId("conversation").map((c) => c.textContent)).toEqual(["The whale?"]);
    expect(s().conversations.every((c) => c.documentId === 2)).toBe(true);

    // The last book gone: nothing selected, an empty library said as much.
    fireEvent.click(screen.getByLabelText("Remove Moby Dick"));
    fireEvent.click(within(await screen.findByTestId("confirm")).getByTestId("confirm-ok"));
    await waitFor(() => expect(s().documents).toEqual([]));
    expect(s().selectedDocId).toBeNull();
    expect(s().messages).toEqual([]);
    expect(screen.queryAllByTestId("message-assistant")).toEqual([]);
    expect(screen.getByText(/The library is empty/)).toBeTruthy();
    expect((screen.getByTestId("regenerate") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("the library across imports and reloads", () => {
  it("says when a dropped book is already in the library", async () => {
    render(<App />);
    await waitFor(() => expect(s().selectedDocId).toBe(1));
    const file = new File(["Call me Ishmael."], "moby.txt");
    await act(() => s().importFiles([file]));
    expect(screen.queryByTestId("notice")).toBeNull(); // new: no note
    await act(() => s().importFiles([file]));
    expect(screen.getByTestId("notice").textContent).toMatch(/“moby.txt” is already in the library\./);
  });

  it("selects again the book selected before the page was reloaded", async () => {
    render(<App />);
    await waitFor(() => expect(s().selectedDocId).toBe(1));
    await act(() => s().selectDocument(2));
    cleanup();
    useStore.setState({ documents: [], selectedDocId: null }); // a new page: the store starts empty
    await act(() => s().loadDocuments());
    expect(s().selectedDocId).toBe(2);
  });
});

describe("removing a conversation", () => {
  it("asks first when it has messages, deletes an empty one at once, and opens another", async () => {
    render(<App />);
    await waitFor(() => expect(s().conversationId).toBe(1));
    const row = (title: string) => screen.getAllByTestId("conversation").find((c) => c.textContent === title)!.parentElement!;
    fireEvent.click(within(row("Who is Alice?")).getByLabelText(/Delete conversation/));
    const dialog = await screen.findByTestId("confirm");
    expect(dialog.textContent).toMatch(/Delete “Who is Alice\?”\?.*its 2 messages will be deleted/);
    fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(called("chat.remove")).toEqual([{ conversationId: 1 }]));
    // the open one went: another of this book's is open
    await waitFor(() => expect(s().conversationId).toBe(2));
    expect(screen.getAllByTestId("conversation").map((c) => c.textContent)).toEqual(["New conversation", "Why the rabbit?"]);
    expect(screen.queryByText("A girl.")).toBeNull();
    // the New button's name is not an untitled conversation's
    expect(screen.getAllByRole("button", { name: "New conversation" })).toHaveLength(1);

    fireEvent.click(within(row("New conversation")).getByLabelText(/Delete conversation/));
    await waitFor(() => expect(called("chat.remove")).toEqual([{ conversationId: 1 }, { conversationId: 2 }]));
    expect(screen.queryByTestId("confirm")).toBeNull(); // nothing in it to lose
    await waitFor(() => expect(s().conversationId).toBe(4));
    await waitFor(() => expect(screen.getByTestId("message-user").textContent).toContain("Why the rabbit?"));
  });
});

describe("renaming a conversation", () => {
  const titles = () => screen.getAllByTestId("conversation").map((c) => c.textContent);

  it("✎ edits the title in place: Enter keeps it, Escape goes back, a refusal keeps the field open", async () => {
    render(<App />);
    await waitFor(() => expect(s().conversationId).toBe(1));
    fireEvent.click(screen.getByLabelText("Rename conversation Who is Alice?"));
    const input = screen.getByTestId("conversation-title") as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe("Who is Alice?");
    fireEvent.change(input, { target: { value: "Alice herself" } });
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(titles()).toEqual(["Alice herself", "New conversation", "Why the rabbit?"]));
    expect(called("chat.rename")).toEqual([{ conversationId: 1, title: "Alice herself" }]);
    expect(screen.queryByTestId("conversation-title")).toBeNull();
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Alice herself")); // back on its button

    // a double-click edits too; Escape changes nothing
    fireEvent.doubleClick(screen.getAllByTestId("conversation")[2]);
    const again = screen.getByTestId("conversation-title");
    fireEvent.change(again, { target: { value: "Not kept" } });
    fireEvent.keyDown(again, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("conversation-title")).toBeNull());
    expect(titles()).toEqual(["Alice herself", "New conversation", "Why the rabbit?"]);

    // refused: said, and the field stays to be mended
    fireEvent.click(screen.getByLabelText("Rename conversation New conversation"));
    const third = screen.getByTestId("conversation-title");
    fireEvent.change(third, { target: { value: "refused" } });
    fireEvent.keyDown(third, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("notice").textContent).toMatch(/cannot be that/));
    expect(screen.getByTestId("conversation-title")).toBeTruthy();
    expect(called("chat.rename")).toHaveLength(2);
  });
});

describe("conversations changed by another page", () => {
  it("a made, renamed or deleted conversation, and messages taken out, show here too", async () => {
    render(<App />);
    await waitFor(() => expect(s().conversationId).toBe(1));
    const titles = () => screen.getAllByTestId("conversation").map((c) => c.textContent);
    act(() => f.emit("chat.conversation", { ...conv(9, 1, "From the other tab"), updatedAt: 5 }));
    expect(titles()).toEqual(["From the other tab", "Who is Alice?", "New conversation", "Why the rabbit?"]);
    act(() => f.emit("chat.conversation", { ...conv(4, 1, "Renamed there"), updatedAt: 6 }));
    expect(titles()).toEqual(["Renamed there", "From the other tab", "Who is Alice?", "New conversation"]);
    act(() => f.emit("chat.conversation", conv(3, 2, "Another book's"))); // not this book's: not listed
    expect(titles()).toHaveLength(4);
    await waitFor(() => expect(screen.getAllByTestId("message-user").map((m) => m.querySelector(".content")!.textContent)).toEqual(["Who is Alice?"]));
    expect(screen.getByText("A girl.")).toBeTruthy();
    act(() => f.emit("chat.messagesRemoved", { conversationId: 1, messageIds: [12] }));
    expect(screen.queryByText("A girl.")).toBeNull();
    expect(screen.getAllByTestId("message-user")).toHaveLength(1);
    // the open one deleted there: another opens here
    act(() => f.emit("chat.conversationRemoved", { conversationId: 1, documentId: 1 }));
    expect(titles()).toEqual(["Renamed there", "From the other tab", "New conversation"]);
    await waitFor(() => expect(s().conversationId).toBe(4));
  });
});

describe("the selected book's status", () => {
  it("says what a newly loaded model will read, not what the last one did", async () => {
    render(<App />);
    act(() => {
      useStore.setState({ engine: { ...engine, model: { ...engine.model!, path: "/m/small.gguf", ctx: 512 } }, settings: { ...settings, maxTokens: 256 } });
      // read before by a 2,048-token model: 992 of 1,160 tokens
      f.emit("doc.updated", doc({ id: 1, title: "Alice", state: "new", tokens: 1160, tokensUsed: 992, charsUsed: 4200 }));
    });
    const note = screen.getByTestId("context-note").textContent!;
    expect(note).toMatch(/holds 512 tokens; 288 of them are kept for the conversation and the answer, so it will read about the first 224 of this book's 1,160 tokens/);
    expect(note).toMatch(/Load a model with a longer context/);
    expect(note).not.toContain("992");
    expect(screen.getByTestId("doc-status").textContent).toMatch(/not read yet.*about 1,160 tokens/);
  });

  it("blames the answer budget when it is what cuts the book, and says how low it would have to go", () => {
    const ready = (tokens: number, tokensUsed: number) => doc({ state: "ready", tokens, tokensUsed, charsUsed: 1000, chars: 5000 });
    // 2,048 context, 256-token answers: 512 kept, 1,504 of the book read
    const long = contextNote(ready(83_417, 1504), 2048, 256)!;
    expect(long).toMatch(/holds 2,048 tokens; 544 of them are kept for the conversation and answers of up to 256 tokens \(Max answer tokens, in Settings\), so it reads the first 1,504/);
    expect(long).toMatch(/Load a model with a longer context/);
    const short = contextNote(ready(1600, 1504), 2048, 256)!;
    expect(short).toMatch(/With Max answer tokens at 160 or less it would read all of it\.$/);
    // 512 context: half of it is kept whatever the answer budget: the context is the limit
    const small = contextNote(ready(744, 224), 512, 256)!;
    expect(small).toMatch(/kept for the conversation and the answer, so it reads the first 224 of this book's 744 tokens/);
    expect(small).toMatch(/Load a model with a longer context/);
    expect(contextNote(ready(1000, 1000), 2048, 256)).toBeNull();
  });

  it("tells a read made under another Max answer tokens from what a new read would take", () => {
    const read = doc({ state: "ready", tokens: 81179, tokensUsed: 1504, charsUsed: 1000, chars: 5000 });
    expect(contextNote(read, 2048, 256)).toMatch(/544 of them are kept for the conversation and answers of up to 256 tokens/);
    const changed = contextNote(read, 2048, 8)!;
    expect(changed).toMatch(/544 of them were kept for the conversation and the answer when the book was read, so it reads the first 1,504/);
    expect(changed).toMatch(new RegExp(`With Max answer tokens at 8 now, reading it again \\(Read again\\) would take the first ${bookTokensThatFit(2048, 8, 81179).toLocaleString("en-US")}\\.$`));
    // a book saved for the loaded model opens with its saved read: that count, not an estimate
    const saved = { ...read, state: "new" as const, savedFor: "/m/tiny.gguf" };
    expect(contextNote(saved, 2048, 8, "/m/tiny.gguf")).toMatch(/reads the first 1,504/);
    expect(contextNote(saved, 2048, 8, "/m/other.gguf")).toMatch(/will read about the first/);
    // the saved read's own count wins over the last tokenization's
    expect(contextNote({ ...saved, savedTokens: 1400 }, 2048, 8, "/m/tiny.gguf")).toMatch(/reads the first 1,400/);
    // a saved read longer than today's context leaves can hold is not restored: an estimate again
    expect(contextNote({ ...saved, savedTokens: 1400 }, 1024, 8, "/m/tiny.gguf")).toMatch(/will read about the first 728 /);
  });

  it("says what a whole book read leaves for answers when Max answer tokens has grown since", () => {
    const whole = doc({ state: "ready", tokens: 1400, tokensUsed: 1400, charsUsed: 5000, chars: 5000 });
    expect(contextNote(whole, 2048, 256)).toBeNull();
    const note = contextNote(whole, 2048, 1024)!;
    expect(note).toMatch(/reads all of this book's 1,400 tokens, which leaves 648 of the context's 2,048 for the conversation and the answer/);
    expect(note).toMatch(new RegExp(`Read again\\) would take the first ${bookTokensThatFit(2048, 1024, 1400).toLocaleString("en-US")}, to leave room for answers of up to 1,024 tokens`));
  });

  it("estimates a book not yet read with the count the reader will use", () => {
    const unread = doc({ state: "new", tokens: 1160, tokensUsed: null, charsUsed: null });
    for (const [ctx, max] of [[512, 256], [2048, 1800], [1024, 64]]) {
      const used = bookTokensThatFit(ctx, max, 1160);
      expect(used).toBeLessThan(1160);
      expect(contextNote(unread, ctx, max)).toContain(`will read about the first ${used.toLocaleString("en-US")} of this book's 1,160 tokens`);
    }
  });

  it("shows a moving bar while tokenizing (no count to show), a measured one while prefilling and building the index", () => {
    render(<App />);
    act(() => {
      f.emit("doc.updated", doc({ state: "reading" }));
      f.emit("doc.progress", { documentId: 1, jobId: "j1", phase: "tokenize", done: 0, total: 3_208_360, tokensPerSec: 0, etaMs: null });
    });
    const bar = () => screen.getByTestId("prefill-progress").querySelector("progress")!;
    expect(bar().hasAttribute("value")).toBe(false); // indeterminate
    expect(screen.getByTestId("prefill-progress").textContent).toMatch(/tokenizing 3,208,360 characters/);
    act(() => f.emit("doc.progress", { documentId: 1, jobId: "j1", phase: "prefill", done: 250, total: 1000, tokensPerSec: 500, etaMs: 1500 }));
    expect(bar().getAttribute("value")).toBe("250");
    expect(bar().getAttribute("max")).toBe("1000");
    // the index build: its start alone moves, its layers are counted, with the time left
    act(() => f.emit("doc.progress", { documentId: 1, jobId: "j1", phase: "index", done: 0, total: 1, tokensPerSec: 0, etaMs: null }));
    expect(bar().hasAttribute("value")).toBe(false);
    expect(screen.getByTestId("prefill-progress").textContent).toContain("building the retrieval index…");
    expect(screen.getByTestId("prefill-progress").textContent).not.toContain("layers");
    act(() => f.emit("doc.progress", { documentId: 1, jobId: "j1", phase: "index", done: 2, total: 16, tokensPerSec: 0, etaMs: 42_000 }));
    expect(bar().getAttribute("value")).toBe("2");
    expect(bar().getAttribute("max")).toBe("16");
    expect(screen.getByTestId("prefill-progress").textContent).toContain("building the retrieval index… 2 of 16 layers · ETA 42.0 s");
  });

  it("holds Read back while the engine is busy elsewhere, saying with what", async () => {
    render(<App />);
    fireEvent.click(screen.getByText("Moby Dick"));
    const read = await screen.findByTestId("read-doc");
    expect((read as HTMLButtonElement).disabled).toBe(false);
    act(() => useStore.setState({ engine: { ...engine, activity: "evaluating" } }));
    expect((screen.getByTestId("read-doc") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("doc-status").parentElement!.textContent).toContain("after the engine has finished running an evaluation");
  });

  it("says a book's state in the same words in the list and in the status", async () => {
    render(<App />);
    fireEvent.click(screen.getByText("Moby Dick"));
    await waitFor(() => expect(screen.getByTestId("doc-status").textContent).toContain("not read yet"));
    expect(screen.getByText("txt · not read yet")).toBeTruthy();
    expect(screen.queryByText(/· new$/)).toBeNull();
  });
});

describe("the reader", () => {
  const passage = (start: number, end: number, weight: number) => ({ start, end, weight, text: BOOK.slice(start, end) });
  const chapter = () => (screen.getByLabelText("Chapter") as HTMLSelectElement).value;
  const target = () => document.querySelector(".hl-target")?.textContent;

  // the later answer's passage elsewhere, or starting where the clicked one does (the jump names its answer)
  it.each([2590, 2600])("marks the passages of the answer whose passage was clicked, outlining that one (later passage at %i)", async (later) => {
    render(<App />);
    const older = passage(2600, 2640, 0.4);
    act(() =>
      useStore.setState({
        messages: [
          msg({ id: 5, content: "Older.", highlights: [older, passage(2800, 2830, 0.3)] }),
          msg({ id: 7, content: "Last.", highlights: [passage(later, 2700, 0.9)] }),
        ],
      }),
    );
    fireEvent.click(screen.getAllByTestId("highlight")[0]); // the older answer's first passage
    await waitFor(() => expect(chapter()).toBe("1"));
    await waitFor(() => expect(target()).toBe(older.text));
    expect(screen.getAllByTestId("highlight-mark").map((m) => m.textContent)).toEqual([older.text, BOOK.slice(2800, 2830)]);
  });

  it("jumps to the strongest passage of an answer that just ended, or offers to when the person has been reading", async () => {
    render(<App />);
    const strong = passage(2700, 2760, 0.8);
    const stream = (id: number) => act(() => useStore.setState({ messages: [...s().messages, msg({ id, status: "streaming" })] }));
    const end = (id: number) => act(() => f.emit("chat.message", msg({ id, content: "Done.", highlights: [passage(10, 50, 0.1), strong] })));

    stream(20);
    end(20);
    await waitFor(() => expect(chapter()).toBe("1"));
    await waitFor(() => expect(target()).toBe(strong.text));

    // The person turns back a chapter: the next answer offers, and leaves the reader where it is.
    fireEvent.click(screen.getByLabelText("Previous chapter"));
    await waitFor(() => expect(chapter()).toBe("0"));
    stream(21);
    end(21);
    const offer = await screen.findByTestId("answer-offer");
    expect(offer.textContent).toContain("CHAPTER II. The Pool of Tears");
    expect(chapter()).toBe("0");
    fireEvent.click(within(offer).getByText("Show it"));
    await waitFor(() => expect(chapter()).toBe("1"));
    await waitFor(() => expect(target()).toBe(strong.text));
    expect(screen.queryByTestId("answer-offer")).toBeNull();
  });

  it("opens another chapter at its top", async () => {
    render(<App />);
    const text = document.querySelector(".reader-text") as HTMLElement;
    await waitFor(() => expect(text.textContent!.length).toBeGreaterThan(0));
    text.scrollTop = 700;
    fireEvent.click(screen.getByLabelText("Next chapter"));
    await waitFor(() => expect(text.textContent).toBe(BOOK.slice(2500, 5000)));
    expect(text.scrollTop).toBe(0);
  });
});

describe("live panels", () => {
  it("show an answer's figures while its book is selected, and again on coming back while it streams", async () => {
    render(<App />);
    act(() => {
      s().startAnswer(12);
      f.emit("stats.token", tok(12, 250));
    });
    expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/250 tok\/s.* 1 token$/);
    fireEvent.click(screen.getByText("Moby Dick"));
    await waitFor(() => expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/– · last token – · 0 tokens/));
    act(() => f.emit("stats.token", tok(12, 260))); // Alice's answer still streaming: not Moby Dick's figures
    expect(screen.getByTestId("tokens-per-sec").textContent).toContain("0 tokens");
    fireEvent.click(screen.getByText("Alice"));
    await waitFor(() => expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/260 tok\/s.* 2 tokens/));
    act(() => f.emit("stats.token", tok(12, 270)));
    expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/270 tok\/s.* 3 tokens/);
    await act(() => s().importFiles([new File(["Title: Tiny\n\nOnce."], "tiny.txt")]));
    expect(s().selectedDocId).toBe(5);
    expect(screen.getByTestId("tokens-per-sec").textContent).toContain("0 tokens");
  });

  it("after a reload mid-answer, show its figures from the next token on, counting the answer's tokens before it", async () => {
    render(<App />);
    expect(s().selectedDocId).toBe(1); // init (what a reload runs) selected the book: nothing put away
    act(() => f.emit("stats.token", { ...tok(12, 240), index: 30 }));
    // the 31st token of the answer (the page saw only this one): not "1 tokens"
    expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/240 tok\/s.* 31 tokens/);
    expect(screen.getByTestId("retrieval-stats").textContent).not.toMatch(/appear with the next answer/);
  });

  it("a page loaded mid-answer draws the answer's figures from its first token (stats.tokens), joined with the events since", async () => {
    disconnect();
    resetStore();
    const running = { ...engine, activity: "answering" as const, job: { id: "a1", kind: "answer" as const, documentId: 1, conversationId: 1, cancelling: false, eval: null } };
    let reply!: (t: TokenStats[]) => void;
    f = fakeApi({
      ...startHandlers(),
      "engine.status": () => running,
      "library.list": () => docs,
      "library.text": ({ documentId, start = 0, end = 5000 }) => ({ documentId, start, end, text: BOOK.slice(start, end) }),
      "chat.list": ({ documentId }) => convs.filter((c) => c.documentId === documentId),
      "chat.messages": ({ conversationId }) => messages[conversationId] ?? [],
      "stats.tokens": () => new Promise((r) => (reply = r)),
    });
    disconnect = connect(f);
    await s().init();
    render(<App />);
    // a token arrives before the answer's figures so far do: both are kept, in order
    act(() => f.emit("stats.token", { ...tok(12, 240), index: 30 }));
    await act(async () => reply(Array.from({ length: 30 }, (_, i) => ({ ...tok(12, 200 + i), index: i }))));
    expect(s().tokenStats.map((t) => t.index)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(screen.getByTestId("tokens-per-sec").textContent).toMatch(/240 tok\/s.* 31 tokens/);
    expect(f.calls.filter((c) => c.method === "stats.tokens")).toHaveLength(1);
  });

  it("fold away when the window gets short, and open again when it grows", async () => {
    const resize = (width: number, height: number) =>
      act(() => (window as unknown as { happyDOM: { setWindowSize(s: { width: number; height: number }): void } }).happyDOM.setWindowSize({ width, height }));
    render(<App />);
    const box = () => document.querySelector("details.panels-box") as HTMLDetailsElement;
    expect(box().open).toBe(true);
    resize(1600, 1000); // (happy-dom's listener starts from "no match": one growth first to sync it)
    resize(800, 600);
    expect(box().open).toBe(false);
    resize(1600, 1000);
    expect(box().open).toBe(true);
  });

  it("draws the latency chart at its panel's width, with a key naming each line", () => {
    let width = 200;
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({} as CanvasRenderingContext2D);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockImplementation(() => width);
    const observers: (() => void)[] = [];
    vi.stubGlobal(
      "ResizeObserver",
      class {
        constructor(cb: () => void) {
          observers.push(cb);
        }
        observe() {}
        disconnect() {}
      },
    );
    h.plots.length = 0;
    render(<LatencyChart stats={[]} />);
    const plot = h.plots[0];
    expect(plot.width).toBe(200);
    expect(plot.opts.legend.live).toBe(false); // no "Value: --" row
    expect(plot.opts.series.map((x) => x.label)).toEqual(["token", "matmul", "attention", "other", "total", "cut off"]);
    width = 490;
    observers.forEach((o) => o());
    expect(plot.width).toBe(490);
    width = 0; // folded away: keeps its size
    observers.forEach((o) => o());
    expect(plot.width).toBe(490);
  });
});
