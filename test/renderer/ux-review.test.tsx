// @vitest-environment happy-dom
// What a hands-on review in a browser found: a passage that runs across a chapter's
// start opens the chapter holding it (not the one before, with only its first
// words marked); several books added at once are each read in turn; Read waits for
// another book's read and says which; a sliver of a big book is not "0.0%" of it;
// an answer's numbers carry thousands separators, and its first line is not indented
// by the space its first token carries.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { contextNote } from "../../renderer/src/components/DocStatus";
import { sectionOf, sectionsOf } from "../../renderer/src/components/Reader";
import { resetStore, useStore } from "../../renderer/src/store";
import type { DocumentInfo, EngineStatus } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, engine, msg, startHandlers } from "./fixtures";

const BOOK = "Alice was beginning to get very tired. ".repeat(130); // 5,070 characters
const s = () => useStore.getState();
let f: FakeApi;
let disconnect: () => void;
let books: DocumentInfo[];

beforeEach(async () => {
  resetStore();
  books = [doc()];
  let nextId = 10;
  f = fakeApi({
    ...startHandlers(),
    "library.list": () => books,
    "library.text": ({ start = 0, end = 5000 }) => ({ documentId: 1, start, end, text: BOOK.slice(start, end) }),
    "chat.list": () => [],
    "chat.messages": () => [],
    "library.import": ({ name }) => {
      const d = doc({ id: nextId++, title: name, state: "new", createdAt: nextId });
      f.emit("doc.updated", d); // as main does: the new book is announced before the reply
      return d;
    },
    "library.read": ({ documentId }) => {
      f.emit("engine.status", reading(documentId)); // as main does: the engine is busy before the reply
      return { jobId: `read-${documentId}` };
    },
  });
  disconnect = connect(f);
  await s().init();
});
afterEach(() => disconnect());

const reading = (documentId: number): EngineStatus => ({
  ...engine,
  activity: "reading",
  job: { id: `read-${documentId}`, kind: "read", documentId, conversationId: null, cancelling: false, eval: null },
});
const reads = () => f.calls.filter((c) => c.method === "library.read").map((c) => (c.params as { documentId: number }).documentId);

describe("a passage across a chapter's start", () => {
  // Alice's chapters: I at 0, II at 2500. The passage has 20 characters of chapter I and 200 of II.
  const passage = { start: 2480, end: 2700, weight: 0.9, text: BOOK.slice(2480, 2700) };

  it("belongs to the section holding most of it", () => {
    const sections = sectionsOf(doc());
    expect(sectionOf(sections, 2480, 2700)).toBe(1);
    expect(sectionOf(sections, 2300, 2520)).toBe(0); // mostly in chapter I
    expect(sectionOf(sections, 2480)).toBe(0); // no end known: where it starts
    expect(sectionOf(sections, 9999, 10_500)).toBe(-1);
  });

  it("opens the chapter holding most of it when clicked, marked there", async () => {
    render(<App />);
    act(() => useStore.setState({ messages: [msg({ id: 5, content: "Tired.", highlights: [passage] })] }));
    fireEvent.click(screen.getByTestId("highlight"));
    await waitFor(() => expect((screen.getByLabelText("Chapter") as HTMLSelectElement).value).toBe("1"));
    await waitFor(() => expect(document.querySelector(".hl-target")?.textContent).toBe(BOOK.slice(2500, 2700)));
  });

  it("is offered by that chapter's name when an answer ends while the person reads elsewhere", async () => {
    render(<App />);
    const chapter = () => (screen.getByLabelText("Chapter") as HTMLSelectElement).value;
    act(() => useStore.setState({ conversationId: 1, messages: [msg({ id: 7, status: "streaming" })] }));
    fireEvent.click(screen.getByLabelText("Next chapter")); // the person moves around the book
    fireEvent.click(screen.getByLabelText("Previous chapter"));
    await waitFor(() => expect(chapter()).toBe("0"));
    act(() => f.emit("chat.message", msg({ id: 7, content: "Tired.", highlights: [passage] })));
    const offer = await screen.findByTestId("answer-offer");
    expect(offer.textContent).toContain("CHAPTER II. The Pool of Tears");
    fireEvent.click(within(offer).getByText("Show it"));
    await waitFor(() => expect(chapter()).toBe("1"));
    await waitFor(() => expect(document.querySelector(".hl-target")?.textContent).toBe(BOOK.slice(2500, 2700)));
  });
});

describe("several books added at once", () => {
  it("are read one after the other, each when the one before has ended", async () => {
    await s().importFiles([new File(["War."], "war.txt"), new File(["Alice."], "alice.pdf")]);
    expect(reads()).toEqual([10]);
    // main: the first read runs (the second book came in meanwhile and waits)
    act(() => f.emit("doc.updated", { ...s().documents.find((d) => d.id === 10)!, state: "reading" }));
    expect(reads()).toEqual([10]);
    act(() => {
      f.emit("doc.updated", { ...s().documents.find((d) => d.id === 10)!, state: "ready" });
      f.emit("engine.status", engine);
    });
    await waitFor(() => expect(reads()).toEqual([10, 11]));
    expect(s().selectedDocId).toBe(11); // the last one added, read last: the one the engine ends with
  });

  it("leave the rest unread when something else takes the engine meanwhile", async () => {
    await s().importFiles([new File(["War."], "war.txt"), new File(["Alice."], "alice.pdf")]);
    act(() => {
      f.emit("doc.updated", { ...s().documents.find((d) => d.id === 10)!, state: "ready" });
      f.emit("engine.status", { ...engine, activity: "answering", job: { id: "a1", kind: "answer", documentId: 10, conversationId: 1, cancelling: false, eval: null } });
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(reads()).toEqual([10]);
  });
});

describe("Read while the engine reads another book", () => {
  it("says which book it waits for", async () => {
    books = [doc({ id: 1, title: "Alice", state: "new" }), doc({ id: 2, title: "War and Peace", state: "reading" })];
    await s().loadDocuments();
    render(<App />);
    act(() => f.emit("engine.status", reading(2)));
    expect((screen.getByTestId("read-doc") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("read-waits").textContent).toBe(" after the engine has finished reading “War and Peace”");
    // its own read starting (the engine says so before the book does): nothing to wait for
    act(() => f.emit("engine.status", reading(1)));
    expect(screen.queryByTestId("read-waits")).toBeNull();
  });
});

describe("the context note", () => {
  it("never calls a sliver of a big book 0.0% of it", () => {
    const war = doc({ tokens: 1_869_173, tokensUsed: 992, chars: 3_208_360, charsUsed: 1_600, state: "ready" });
    expect(contextNote(war, 2048, 1500, "/m/tiny.gguf")).toContain("(less than 0.1% of the text)");
    expect(contextNote(doc({ state: "new", tokens: 1_869_173, tokensUsed: null, charsUsed: null }), 512, 1500)).toContain("(less than 0.1% of the text)");
    const nearly = doc({ tokens: 100_000, tokensUsed: 99_990, chars: 400_000, charsUsed: 399_990, state: "ready" });
    expect(contextNote(nearly, 131_072, 16, "/m/tiny.gguf")).toContain("(more than 99.9% of the text)");
    expect(contextNote(doc(), 2048, 64, "/m/tiny.gguf")).toContain("(36.0% of the text)");
  });
});

describe("an answer's figures", () => {
  it("carry thousands separators, as every other count does", async () => {
    render(<App />);
    const stats = { promptTokens: 31_596, reusedTokens: 31_595, tokens: 1_500, prefillMs: 4, decodeMs: 9000, tokensPerSec: 160, stoppedBy: "length" as const };
    act(() => useStore.setState({ messages: [msg({ id: 5, content: "Tired.", stats })] }));
    const meta = screen.getByTestId("message-assistant").querySelector(".meta")!.textContent;
    expect(meta).toContain("cut off: answer limit (1,500 tokens)");
    expect(meta).toContain("1,500 tokens · 160 tok/s · prompt 31,596 (31,595 reused)");
  });
});

describe("an answer's text", () => {
  it("starts at the margin: the space its first token carries is not shown", async () => {
    render(<App />);
    const content = () => screen.getByTestId("message-assistant").querySelector(".content")!.textContent;
    act(() => useStore.setState({ messages: [msg({ id: 5, content: " ", status: "streaming" })] }));
    expect(content()).toBe("reading the question… ▍"); // nothing but the space yet: still waiting for a word
    act(() => useStore.setState({ messages: [msg({ id: 5, content: " Alice fell.\n She", status: "streaming" })] }));
    expect(content()).toBe("Alice fell.\n She▍"); // only the start: the text's own spaces stay
    act(() => useStore.setState({ messages: [msg({ id: 5, content: "  ", status: "stopped" })] }));
    expect(content()).toBe("(stopped before the first word)");
  });
});
