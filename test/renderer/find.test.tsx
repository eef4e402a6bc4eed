// @vitest-environment happy-dom
// Find in the book, in the reader: the bar (button or Ctrl+F), its matches
// listed with their sections, and the match chosen shown in its chapter,
// marked over the answer's highlights. library.find is the app's own
// (BookFinder over the fake book), so the ranges are real ones.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { countText, FindBar } from "../../renderer/src/components/FindBar";
import { withFound } from "../../renderer/src/components/Marked";
import { resetStore, useStore } from "../../renderer/src/store";
import { setApi } from "../../renderer/src/store/api";
import { BookFinder } from "../../main/app/find-in-book";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, msg, startHandlers } from "./fixtures";

// chapter I is [0, 2500), chapter II [2500, 5000) (fixtures' doc())
const BOOK = "Alice was beginning to get very tired. ".repeat(70).slice(0, 2500) + ("The White Rabbit ran by, tired. " + "Down, down, down. ".repeat(140)).slice(0, 2500);
const RABBIT = BOOK.indexOf("White Rabbit");

let f: FakeApi;
let disconnect: () => void;
let finds: { query: string }[];

beforeEach(async () => {
  resetStore();
  finds = [];
  const finder = new BookFinder();
  f = fakeApi({
    ...startHandlers(),
    "library.list": () => [doc()],
    "library.text": ({ start = 0, end = 5000 }) => ({ documentId: 1, start, end, text: BOOK.slice(start, end) }),
    "library.find": ({ documentId, query, limit }) => {
      finds.push({ query });
      return finder.find(documentId, () => BOOK, query, limit);
    },
    "chat.list": () => [],
    "chat.messages": () => [],
  });
  disconnect = connect(f);
  await useStore.getState().init();
});
afterEach(() => disconnect());

const chapter = () => (screen.getByLabelText("Chapter") as HTMLSelectElement).value;

describe("find in the book", () => {
  it("lists the matches with their chapters; a click shows one in its chapter, marked", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    fireEvent.click(screen.getByTestId("find-open"));
    const input = screen.getByTestId("find-input");
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: "white rabbit" } });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("1 match"));
    const results = screen.getByTestId("find-results");
    expect(results.textContent).toContain("CHAPTER II. The Pool of Tears");
    expect(results.querySelector("b")!.textContent).toBe("White Rabbit");
    fireEvent.click(results.querySelector("button")!);
    await waitFor(() => expect(screen.getByTestId("find-mark").textContent).toBe("White Rabbit"));
    expect(chapter()).toBe("1");
    expect(screen.getByTestId("find-count").textContent).toBe("1 of 1");
    expect(screen.queryByTestId("find-results")).toBeNull(); // the list makes way for the text
    // Escape closes the bar, the mark goes, and the focus is back on the Find button
    fireEvent.keyDown(input, { key: "Escape" });
    expect(screen.queryByTestId("find-bar")).toBeNull();
    expect(screen.queryByTestId("find-mark")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("find-open"));
  });

  it("the desktop menu's Find in Book opens it, its input focused", async () => {
    render(<App />);
    await waitFor(() => expect(screen.getByLabelText("Book text").textContent).toContain("Alice was beginning"));
    expect(screen.queryByTestId("find-bar")).toBeNull();
    act(() => f.emit("ui.command", { command: "find" }));
    const input = await screen.findByTestId("find-input");
    await waitFor(() => expect(document.activeElement).toBe(input));
  });

  it("Ctrl+F opens it; Enter and Shift+Enter step through the matches across chapters; a short query waits", async () => {
    render(<App />);
    fireEvent.keyDown(window, { key: "f", ctrlKey: true });
    const input = await screen.findByTestId("find-input");
    fireEvent.change(input, { target: { value: "d" } });
    await new Promise((r) => setTimeout(r, 400));
    expect(finds).toEqual([]); // one character: no search
    fireEvent.change(input, { target: { value: "TIRED" } });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toMatch(/^\d+ matches$/));
    expect(finds.map((x) => x.query)).toEqual(["TIRED"]);
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toMatch(/^1 of \d+$/));
    expect(chapter()).toBe("0");
    fireEvent.keyDown(input, { key: "Enter", shiftKey: true }); // from the first back to the last, in chapter II
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toMatch(/^(\d+) of \1$/));
    expect(chapter()).toBe("1");
    await waitFor(() => expect(screen.getByTestId("find-mark").textContent).toBe("tired"));
    fireEvent.keyDown(input, { key: "Enter" }); // and on to the first
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toMatch(/^1 of \d+$/));
    expect(chapter()).toBe("0");
    fireEvent.change(input, { target: { value: "no such phrase" } });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("No matches"));
  });

  it("a found match is marked over the answer's passage it crosses; showing the passage unmarks it", async () => {
    render(<App />);
    act(() =>
      useStore.setState({
        messages: [msg({ id: 5, content: "A rabbit.", highlights: [{ start: RABBIT - 4, end: RABBIT + 30, weight: 0.5, text: "" }] })],
      }),
    );
    fireEvent.click(screen.getByTestId("find-open"));
    fireEvent.change(screen.getByTestId("find-input"), { target: { value: "rabbit ran" } });
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("1 match"));
    fireEvent.click(screen.getByTestId("find-results").querySelector("button")!);
    await waitFor(() => expect(screen.getByTestId("find-mark").textContent).toBe("Rabbit ran"));
    expect(screen.getAllByTestId("highlight-mark").map((m) => m.textContent)).toEqual(["The White ", " by, tired. Do"]);
    // the answer's passage clicked: the reader shows it, and the find's mark goes (the bar stays)
    fireEvent.click(screen.getAllByTestId("highlight")[0]);
    await waitFor(() => expect(screen.queryByTestId("find-mark")).toBeNull());
    expect(screen.getAllByTestId("highlight-mark").map((m) => m.textContent)).toEqual([BOOK.slice(RABBIT - 4, RABBIT + 30)]);
    expect(screen.getByTestId("find-bar")).toBeTruthy();
  });
});

describe("find: pieces", () => {
  it("withFound cuts the match out of the highlights it crosses", () => {
    const h = (start: number, end: number) => ({ start, end, weight: 1, text: "" });
    expect(withFound([h(0, 10), h(20, 30), h(40, 50)], { start: 25, end: 45 })).toEqual([
      h(0, 10),
      h(20, 25),
      h(45, 50),
      { start: 25, end: 45, weight: 0, text: "", found: true },
    ]);
    expect(withFound([h(0, 10)], null)).toEqual([h(0, 10)]);
  });

  it("says how many matches, which one, and how many are listed", () => {
    const r = (total: number, listed: number, capped = false) => ({ documentId: 1, query: "q", total, capped, matches: Array.from({ length: listed }, (_, i) => ({ start: i, end: i + 1, before: "", match: "q", after: "" })) });
    expect(countText(null, -1)).toBe("");
    expect(countText(r(0, 0), -1)).toBe("No matches");
    expect(countText(r(1, 1), -1)).toBe("1 match");
    expect(countText(r(1500, 200), -1)).toBe("1,500 matches (the first 200 listed)");
    expect(countText(r(10000, 200, true), 4)).toBe("5 of 10,000+ (the first 200 listed)");
  });

  it("a search's answer that comes after the next query's is dropped", async () => {
    const slow: ((r: unknown) => void)[] = [];
    f = fakeApi({ "library.find": () => new Promise((res) => slow.push(res)) as never });
    setApi(f.api);
    render(<FindBar documentId={1} sectionTitle={() => ""} onShow={() => {}} onAsk={() => {}} onClose={() => {}} inputRef={{ current: null }} />);
    const input = screen.getByTestId("find-input");
    fireEvent.change(input, { target: { value: "first" } });
    await waitFor(() => expect(slow).toHaveLength(1));
    fireEvent.change(input, { target: { value: "second" } });
    await waitFor(() => expect(slow).toHaveLength(2));
    const result = (query: string, total: number) => ({ documentId: 1, query, total, capped: false, matches: [] });
    await act(async () => slow[1](result("second", 0)));
    await act(async () => slow[0](result("first", 7)));
    expect(screen.getByTestId("find-count").textContent).toBe("No matches");
  });
});
