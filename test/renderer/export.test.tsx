// @vitest-environment happy-dom
// A conversation exported as Markdown (renderer/src/export-conversation.ts): the
// text itself, the file's name, and the chat's Export button saving it; and one
// answer copied (renderer/src/copy-text.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { conversationMarkdown, exportFileName } from "../../renderer/src/export-conversation";
import { resetStore, useStore } from "../../renderer/src/store";
import { connect, fakeApi } from "./fake-api";
import { doc, msg, startHandlers } from "./fixtures";
import type { ConversationInfo, MessageInfo } from "../../main/ipc/contract";

const conv: ConversationInfo = { id: 1, documentId: 1, title: "Who is the Rabbit?", systemPrompt: "Be brief.", createdAt: 1, updatedAt: 1 };
const stats = (stoppedBy: "eog" | "length" | "context") =>
  ({ promptTokens: 10, reusedTokens: 0, tokens: 5, prefillMs: 1, decodeMs: 1, tokensPerSec: 1, stoppedBy }) as unknown as MessageInfo["stats"];
const messages: MessageInfo[] = [
  msg({ id: 1, role: "user", content: "Who is the\nWhite Rabbit?" }),
  msg({
    id: 2,
    content: "<think>The book says...</think>A rabbit in a waistcoat.",
    stats: stats("eog"),
    highlights: [
      { start: 100, end: 140, weight: 0.6, text: "a White Rabbit\nwith pink eyes" },
      { start: 2600, end: 2620, weight: 0.2, text: "the Pool" },
    ],
  }),
  msg({ id: 3, role: "user", content: "And then?" }),
  msg({ id: 4, content: "It ran", status: "stopped" }),
  msg({ id: 5, content: "A long answer", stats: stats("length") }),
];
const where = (offset: number) => (offset < 2500 ? "CHAPTER I. Down the Rabbit-Hole" : "CHAPTER II. The Pool of Tears");

describe("export: the Markdown", () => {
  it("the book, each question and answer, how an answer ended, its passages with their chapters", () => {
    expect(conversationMarkdown(doc(), conv, messages, where, new Date("2026-12-05T12:00:00Z"))).toBe(
      [
        "# Who is the Rabbit?",
        "",
        "About *Alice* by Lewis Carroll. Exported from tome on 2026-12-05.",
        "",
        "System prompt: Be brief.",
        "",
        "## Question",
        "",
        "Who is the\nWhite Rabbit?",
        "",
        "## Answer",
        "",
        "A rabbit in a waistcoat.",
        "",
        "Passages it attended to most:",
        "",
        "1. CHAPTER I. Down the Rabbit-Hole: “a White Rabbit with pink eyes”",
        "2. CHAPTER II. The Pool of Tears: “the Pool”",
        "",
        "## Question",
        "",
        "And then?",
        "",
        "## Answer",
        "",
        "It ran",
        "",
        "*(stopped)*",
        "",
        "## Answer",
        "",
        "A long answer",
        "",
        "*(cut off: the answer limit)*",
        "",
      ].join("\n"),
    );
  });

  it("names the file after the book and the conversation, without characters a file system refuses", () => {
    expect(exportFileName(doc({ title: 'A/B: "C"?' }), { ...conv, title: "Q\n<1>|*" })).toBe("A B C - Q 1.md");
    expect(exportFileName(doc({ title: "///" }), { ...conv, title: "" })).toBe("book - conversation.md");
  });
});

describe("export: the button", () => {
  let disconnect: () => void;
  beforeEach(async () => {
    resetStore();
    const f = fakeApi({
      ...startHandlers(),
      "library.list": () => [doc()],
      "library.text": ({ start = 0, end = 5000 }) => ({ documentId: 1, start, end, text: "x".repeat(end - start) }),
      "chat.list": () => [conv],
      "chat.messages": () => messages,
    });
    disconnect = connect(f);
    await useStore.getState().init();
  });
  afterEach(() => {
    disconnect();
    vi.restoreAllMocks();
  });

  it("saves the conversation shown as a Markdown file; it waits while an answer streams", async () => {
    const blobs: Blob[] = [];
    const names: string[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => (blobs.push(b), "blob:tome-export"));
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    render(<App />);
    const button = await screen.findByTestId("export-conversation");
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(button);
    expect(names).toEqual(["Alice - Who is the Rabbit.md"]);
    const text = await blobs[0].text();
    expect(text.startsWith("# Who is the Rabbit?\n\nAbout *Alice* by Lewis Carroll.")).toBe(true);
    expect(text).toContain("1. CHAPTER I. Down the Rabbit-Hole: “a White Rabbit with pink eyes”");
    useStore.setState({ messages: [...messages, msg({ id: 6, status: "streaming" })] });
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(true));
  });

  it("Copy puts an answer on the clipboard without its thinking; the copy command where there is no clipboard; a failure said", async () => {
    const written: string[] = [];
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async (t: string) => void written.push(t) } });
    render(<App />);
    const buttons = await screen.findAllByTestId("copy-answer");
    expect(buttons).toHaveLength(3); // each finished answer with text
    fireEvent.click(buttons[0]);
    await waitFor(() => expect(buttons[0].textContent).toBe("Copied"));
    expect(written).toEqual(["A rabbit in a waistcoat."]);
    await waitFor(() => expect(buttons[0].textContent).toBe("Copy"), { timeout: 3000 });

    // no Clipboard API (not a secure context): the copy command over a selected text box
    Object.defineProperty(navigator, "clipboard", { configurable: true, value: undefined });
    const copied: string[] = [];
    document.execCommand = vi.fn(() => (copied.push((document.activeElement as HTMLTextAreaElement).value), true));
    fireEvent.click(buttons[1]);
    await waitFor(() => expect(buttons[1].textContent).toBe("Copied"));
    expect(copied).toEqual(["It ran"]);
    expect(document.querySelectorAll("textarea[readonly]")).toHaveLength(0); // the box is gone
    document.execCommand = vi.fn(() => false);
    fireEvent.click(buttons[2]);
    await waitFor(() => expect(buttons[2].textContent).toBe("Could not copy"));
  });
});
