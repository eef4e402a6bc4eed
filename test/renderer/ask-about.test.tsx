// @vitest-environment happy-dom
// Asking about a passage: text selected in the reader gives its book offsets
// (selection-passage, over the reader's own spans and marks), "Ask about this"
// puts it over the question box, Send passes its range with the question, the
// question shows it and, clicked, the reader shows it marked; an export quotes it.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { passageAround, passageOfRange } from "../../renderer/src/selection-passage";
import { conversationMarkdown } from "../../renderer/src/export-conversation";
import { resetStore, useStore } from "../../renderer/src/store";
import type { MessageInfo, Params } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, msg, oneBookChat } from "./fixtures";

// chapter I is [0, 2500), chapter II [2500, 5000) (fixtures' doc())
const BOOK = ("Alice was beginning to get very tired.\n".repeat(70) + "x".repeat(2500)).slice(0, 2500) + "The White Rabbit ran by. ".repeat(100).slice(0, 2500);
const RABBIT = BOOK.indexOf("The White Rabbit ran by.");

/** Selects [from, to) of the reader's text (offsets in the shown section) as a person would. */
function select(from: number, to: number) {
  const book = document.querySelector(".book")!;
  const walker = document.createTreeWalker(book, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let seen = 0;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const len = n.textContent!.length;
    if (from >= seen && from <= seen + len) range.setStart(n, from - seen);
    if (to >= seen && to <= seen + len) {
      range.setEnd(n, to - seen);
      break;
    }
    seen += len;
  }
  const sel = window.getSelection()!;
  sel.removeAllRanges();
  sel.addRange(range);
  act(() => {
    document.dispatchEvent(new Event("selectionchange"));
  });
}

describe("the passage a selection covers", () => {
  const book = () => {
    const el = document.createElement("div");
    el.innerHTML = "<span>Alice was </span><mark>beginning to</mark><span> get very tired.</span>";
    document.body.append(el);
    return el;
  };

  it("counts the book's characters across spans and marks, from the section's offset", () => {
    const el = book();
    const r = document.createRange();
    r.setStart(el.childNodes[0].firstChild!, 6); // "was"
    r.setEnd(el.childNodes[2].firstChild!, 4); // " get"
    expect(passageOfRange(el, 1000, r)).toEqual({ start: 1006, end: 1026, text: "was beginning to get" });
    el.remove();
  });

  it("cuts a selection that runs out of the text to it, leaves its white space out, and gives null for none", () => {
    const el = book();
    const detached = document.createElement("span");
    detached.textContent = "gone";
    const before = document.createElement("p");
    before.textContent = "header";
    document.body.prepend(before);
    const r = document.createRange();
    r.setStart(before.firstChild!, 2);
    r.setEnd(el.childNodes[0].firstChild!, 6); // "Alice " (its space left out)
    expect(passageOfRange(el, 0, r)).toEqual({ start: 0, end: 5, text: "Alice" });
    r.setStart(el.childNodes[2].firstChild!, 10);
    r.setEndAfter(document.body.lastChild!);
    expect(passageOfRange(el, 0, r)).toEqual({ start: 32, end: 38, text: "tired." });
    r.setStart(before.firstChild!, 0);
    r.setEnd(before.firstChild!, 6);
    expect(passageOfRange(el, 0, r)).toBeNull(); // outside the book
    r.setStart(el.childNodes[0].firstChild!, 5);
    r.setEnd(el.childNodes[0].firstChild!, 6);
    expect(passageOfRange(el, 0, r)).toBeNull(); // a space only
    r.collapse(true);
    expect(passageOfRange(el, 0, r)).toBeNull();
    r.setStart(detached.firstChild!, 0);
    r.setEnd(detached.firstChild!, 4);
    expect(passageOfRange(el, 0, r)).toBeNull(); // a selection in text the reader has replaced
    el.remove();
    before.remove();
  });
});

describe("the passage around a match", () => {
  const text = "A first paragraph.\n\nOne sentence here. The match is in this one! And a third.\n\nLast.";
  const at = (s: string) => text.indexOf(s);

  it("its paragraph when it fits; else its sentence; else the match alone; offsets in the book", () => {
    const m = at("match");
    expect(passageAround(text, 100, 100 + m, 100 + m + 5, 1000)).toEqual({ start: 100 + at("One"), end: 100 + at(" third.") + 7, text: "One sentence here. The match is in this one! And a third." });
    expect(passageAround(text, 0, m, m + 5, 40)).toEqual({ start: at("The match"), end: at(" And a third"), text: "The match is in this one!" });
    expect(passageAround(text, 0, m, m + 5, 10)).toEqual({ start: m, end: m + 5, text: "match" });
    expect(passageAround(text, 0, 0, 1, 1000).text).toBe("A first paragraph.");
    expect(passageAround(text, 0, at("Last"), at("Last") + 4, 1000).text).toBe("Last.");
  });
});

describe("asking about a passage in the app", () => {
  let f: FakeApi;
  let disconnect: () => void;
  let sent: Params<"chat.send">[];
  let messages: MessageInfo[];

  beforeEach(async () => {
    resetStore();
    sent = [];
    messages = [];
    f = fakeApi(oneBookChat(BOOK, () => messages, sent));
    disconnect = connect(f);
    await useStore.getState().init();
  });
  afterEach(() => disconnect());

  it("Ask about this puts the selection over the question box; Send passes its range, then it goes", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    expect(screen.queryByTestId("ask-about")).toBeNull();
    const from = BOOK.indexOf("very tired.\nAlice");
    select(from, from + "very tired.\nAlice was".length);
    fireEvent.click(await screen.findByTestId("ask-about"));
    const chip = screen.getByTestId("quote-chip");
    expect(chip.textContent).toContain("“very tired. Alice was”");
    expect(screen.queryByTestId("ask-about")).toBeNull(); // the selection is used
    const input = screen.getByTestId("chat-input");
    expect(document.activeElement).toBe(input); // the question is typed next
    fireEvent.change(input, { target: { value: "Why tired?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(sent).toEqual([{ conversationId: 1, text: "Why tired?", passage: { start: from, end: from + 21 } }]));
    await waitFor(() => expect(screen.queryByTestId("quote-chip")).toBeNull());
    const question = screen.getAllByTestId("message-user")[0];
    expect(question.querySelector("[data-testid=quoted]")!.textContent).toBe("“very tired. Alice was”");
  });

  it("Find's match shown can be asked about: its paragraph over the question box", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    fireEvent.keyDown(window, { key: "f", ctrlKey: true });
    const input = await screen.findByTestId("find-input");
    expect(screen.queryByTestId("find-ask")).toBeNull();
    fireEvent.change(input, { target: { value: "white rabbit" } });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("100 matches"));
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("find-mark").textContent).toBe("White Rabbit"));
    fireEvent.click(screen.getByTestId("find-ask"));
    // chapter II is one paragraph of 2,500 characters (under the 4,000 a quote may hold): all of it
    await waitFor(() => expect(screen.getByTestId("quote-chip").textContent).toMatch(/^“The White Rabbit ran by\. The White Rabbit .* ran by\.”×$/));
    expect(document.activeElement).toBe(screen.getByTestId("chat-input"));
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Where to?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(sent).toEqual([{ conversationId: 1, text: "Where to?", passage: { start: 2500, end: 4999 } }]));
  });

  it("× takes the passage away: the question goes without it", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    select(0, 5);
    fireEvent.click(await screen.findByTestId("ask-about"));
    fireEvent.click(screen.getByLabelText("Ask without the passage"));
    expect(screen.queryByTestId("quote-chip")).toBeNull();
    fireEvent.change(screen.getByTestId("chat-input"), { target: { value: "Who?" } });
    fireEvent.click(screen.getByTestId("send"));
    await waitFor(() => expect(sent).toEqual([{ conversationId: 1, text: "Who?" }]));
  });

  it("a selection longer than a question may quote says so instead", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    fireEvent.change(screen.getByLabelText("Chapter"), { target: { value: "0" } });
    select(0, 2500);
    const button = (await screen.findByTestId("ask-about")) as HTMLButtonElement;
    expect(button.textContent).toBe("Ask about this"); // 2,500 characters
    useStore.setState({ documents: [doc({ chapters: [], chars: 5000 })] });
    await waitFor(() => expect(document.querySelector(".book")!.textContent!.length).toBe(5000)); // one page of the whole text
    select(0, 4001);
    await waitFor(() => expect(screen.getByTestId("ask-about").textContent).toBe("Too long to ask about"));
    expect((screen.getByTestId("ask-about") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("ask-about").title).toContain("at most 4,000 characters; this is 4,001");
  });

  it("a question's passage, clicked, is shown in its chapter, marked", async () => {
    messages = [msg({ id: 7, role: "user", content: "Who ran?", passage: { start: RABBIT, end: RABBIT + 24, text: BOOK.slice(RABBIT, RABBIT + 24) } })];
    await useStore.getState().openConversation(1);
    render(<App />);
    const quoted = await screen.findByTestId("quoted");
    expect(quoted.textContent).toBe("“The White Rabbit ran by.”");
    expect((screen.getByLabelText("Chapter") as HTMLSelectElement).value).toBe("0");
    fireEvent.click(quoted);
    await waitFor(() => expect(screen.getByTestId("quote-mark").textContent).toBe("The White Rabbit ran by."));
    expect((screen.getByLabelText("Chapter") as HTMLSelectElement).value).toBe("1");
    expect(screen.getByTestId("quote-mark").title).toBe("the passage asked about");
  });
});

describe("an exported conversation", () => {
  it("quotes a question's passage above it, with its chapter", () => {
    const conv = { id: 1, documentId: 1, title: "Who ran?", systemPrompt: "", createdAt: 1, updatedAt: 1 };
    const q = msg({ id: 1, role: "user", content: "Who ran?", passage: { start: RABBIT, end: RABBIT + 35, text: "The White Rabbit\nran by.\n\nThe end" } });
    const md = conversationMarkdown(doc(), conv, [q], (o) => (o >= 2500 ? "CHAPTER II" : "CHAPTER I"), new Date(0));
    expect(md).toContain("## Question\n\nAbout this passage (CHAPTER II):\n\n> The White Rabbit\n> ran by.\n>\n> The end\n\nWho ran?\n");
  });
});
