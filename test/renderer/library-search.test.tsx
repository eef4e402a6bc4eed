// @vitest-environment happy-dom
// Searching every book (LibrarySearch over library.findAll, the app's own
// BookFinder over the fake books): the books that hold a phrase with their counts
// and first match; choosing one opens it with the reader's find bar on the phrase.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import { BookFinder } from "../../main/app/find-in-book";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, startHandlers } from "./fixtures";

const TEXTS: Record<number, string> = {
  1: "Alice was beginning to get very tired. ".repeat(70).slice(0, 2500) + "The White Rabbit ran by. The white rabbit again. ".repeat(60).slice(0, 2500),
  2: "Call me Ishmael. No rabbits here. ".repeat(200).slice(0, 6000),
  3: "Down the rabbit-hole went the White Rabbit. ".repeat(50),
};
const books = [doc({ id: 3, title: "Hole", createdAt: 3, chars: TEXTS[3].length, chapters: [] }), doc({ id: 2, title: "Moby", createdAt: 2, chars: 6000, chapters: [] }), doc({ id: 1 })];

let disconnect: () => void;
let queries: string[];
let f: FakeApi;
beforeEach(async () => {
  resetStore();
  queries = [];
  const finder = new BookFinder();
  f = fakeApi({
    ...startHandlers(),
    "library.list": () => books,
    "library.text": ({ documentId, start = 0, end = 5000 }) => ({ documentId, start, end, text: TEXTS[documentId].slice(start, end) }),
    "library.find": ({ documentId, query, limit }) => finder.find(documentId, () => TEXTS[documentId], query, limit),
    "library.findAll": ({ query }) => {
      queries.push(query);
      return finder.findInBooks(books.map((d) => ({ documentId: d.id, text: () => TEXTS[d.id] })), query);
    },
    "chat.list": () => [],
    "chat.messages": () => [],
  });
  disconnect = connect(f);
  await useStore.getState().init();
});
afterEach(() => disconnect());

describe("search all books", () => {
  it("lists the books that hold a phrase, most matches first; a choice opens the book with its matches", async () => {
    render(<App />);
    const input = await screen.findByTestId("library-search");
    fireEvent.change(input, { target: { value: "w" } }); // too short: no search
    fireEvent.change(input, { target: { value: "white rabbit" } });
    const list = await screen.findByTestId("library-results");
    expect(queries).toEqual(["white rabbit"]); // one search, once the typing paused
    const rows = within(list).getAllByRole("button");
    const count = (id: number) => TEXTS[id].match(/white rabbit/gi)!.length;
    expect([count(1), count(3)]).toEqual([102, 50]);
    expect(rows.map((r) => r.querySelector(".result-title")!.textContent)).toEqual(["Alice txt · 102 matches", "Hole txt · 50 matches"]);
    expect(rows[0].querySelector("b")!.textContent).toBe("White Rabbit");
    expect(screen.getByTestId("library-search-count").textContent).toBe("2 books hold it");
    fireEvent.click(rows[0]);
    await waitFor(() => expect(useStore.getState().selectedDocId).toBe(1));
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("102 matches"));
    expect((screen.getByTestId("find-input") as HTMLInputElement).value).toBe("white rabbit");
    // the bar closed and opened again starts empty
    fireEvent.keyDown(screen.getByTestId("find-input"), { key: "Escape" });
    fireEvent.click(screen.getByTestId("find-open"));
    expect((screen.getByTestId("find-input") as HTMLInputElement).value).toBe("");
  });

  it("says when no book holds it; Escape clears the search; a single book has none", async () => {
    render(<App />);
    const input = await screen.findByTestId("library-search");
    fireEvent.change(input, { target: { value: "jabberwock" } });
    await waitFor(() => expect(screen.getByTestId("library-search-count").textContent).toBe("No book holds it"));
    fireEvent.keyDown(input, { key: "Escape" });
    expect((input as HTMLInputElement).value).toBe("");
    await waitFor(() => expect(screen.queryByTestId("library-search-count")).toBeNull());
    useStore.setState({ documents: [books[2]] });
    await waitFor(() => expect(screen.queryByTestId("library-search")).toBeNull());
  });

  it("Ctrl+Shift+F and the desktop menu's Search All Books put the focus in it; Ctrl+F stays the book's own find", async () => {
    render(<App />);
    const input = await screen.findByTestId("library-search");
    fireEvent.keyDown(window, { key: "F", ctrlKey: true, shiftKey: true });
    expect(document.activeElement).toBe(input);
    expect(screen.queryByTestId("find-bar")).toBeNull();
    (document.activeElement as HTMLElement).blur();
    act(() => f.emit("ui.command", { command: "searchAll" }));
    expect(document.activeElement).toBe(input);
    fireEvent.keyDown(window, { key: "f", ctrlKey: true });
    expect(document.activeElement).toBe(screen.getByTestId("find-input"));
  });
});
