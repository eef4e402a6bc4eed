// @vitest-environment happy-dom
// The reader opens a book where it was being read: after another book, after a
// reload; a removed book's place is forgotten, and a damaged entry is ignored.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import { keepReadingPlace, readingPlace } from "../../renderer/src/reading-place";
import { connect, fakeApi } from "./fake-api";
import { doc, startHandlers } from "./fixtures";

const ALICE = "Alice was beginning to get very tired. ".repeat(70).slice(0, 2500) + "The Pool of Tears. ".repeat(140).slice(0, 2500);
const OTHER = "Call me Ishmael. ".repeat(400).slice(0, 6000);
const books = [
  doc({ id: 2, title: "Moby", createdAt: 2, chars: 6000, chapters: [{ title: "Loomings", start: 0 }, { title: "The Carpet-Bag", start: 3000 }] }),
  doc({ id: 1 }),
];

let disconnect: () => void;
beforeEach(async () => {
  localStorage.clear();
  await start();
});
afterEach(() => disconnect());

/** A fresh page: the store as a page load makes it (resetStore also clears the places, which a reload keeps). */
async function start() {
  const kept = localStorage.getItem("tome.readingPlaces");
  resetStore();
  if (kept !== null) localStorage.setItem("tome.readingPlaces", kept);
  disconnect?.();
  const f = fakeApi({
    ...startHandlers(),
    "library.list": () => books,
    "library.text": ({ documentId, start = 0, end = 5000 }) => ({ documentId, start, end, text: (documentId === 1 ? ALICE : OTHER).slice(start, end) }),
    "library.remove": () => ({ removed: true }),
    "chat.list": () => [],
    "chat.messages": () => [],
  });
  disconnect = connect(f);
  await useStore.getState().init();
}

const chapter = () => (screen.getByLabelText("Chapter") as HTMLSelectElement).value;
const bookText = () => screen.getByLabelText("Book text");
const select = (id: number) => act(() => useStore.getState().selectDocument(id));

/** The reader's text box given a height: 1,000 pixels of text in a 400-pixel view. */
function sized(el: HTMLElement) {
  Object.defineProperty(el, "scrollHeight", { configurable: true, get: () => 1400 });
  Object.defineProperty(el, "clientHeight", { configurable: true, get: () => 400 });
}

describe("the reader opens a book where it was read", () => {
  it("its chapter and scroll, after another book and after a reload; a removed book's place goes", async () => {
    render(<App />);
    await select(1);
    await waitFor(() => expect(bookText().textContent).toContain("Alice was beginning"));
    sized(bookText());
    fireEvent.change(screen.getByLabelText("Chapter"), { target: { value: "1" } });
    await waitFor(() => expect(bookText().textContent).toContain("The Pool of Tears"));
    bookText().scrollTop = 600;
    fireEvent.scroll(bookText());
    await waitFor(() => expect(readingPlace(1)).toEqual({ at: 2500, scroll: 0.6 }), { timeout: 2000 });

    await select(2);
    await waitFor(() => expect(bookText().textContent).toContain("Call me Ishmael"));
    expect(chapter()).toBe("0"); // a book not read before opens at its start
    expect(bookText().scrollTop).toBe(0);

    await select(1);
    await waitFor(() => expect(bookText().textContent).toContain("The Pool of Tears"));
    expect(chapter()).toBe("1");
    expect(bookText().scrollTop).toBe(600);

    // a reload: a new page, the same storage
    cleanup();
    await start();
    render(<App />);
    await select(1);
    await waitFor(() => expect(bookText().textContent).toContain("The Pool of Tears"));
    expect(chapter()).toBe("1");

    await act(() => useStore.getState().removeDocument(1));
    expect(readingPlace(1)).toBeNull();
    expect(readingPlace(2)).toEqual({ at: 0, scroll: 0 });
  });

  it("a damaged or foreign entry is ignored; at most 200 books are kept, the oldest dropped", () => {
    localStorage.setItem("tome.readingPlaces", "{not json");
    expect(readingPlace(1)).toBeNull();
    localStorage.setItem("tome.readingPlaces", JSON.stringify({ 1: { at: -5, scroll: 0.5, t: 1 }, 2: { at: 10, scroll: 7, t: 1 }, 3: "x" }));
    expect([readingPlace(1), readingPlace(2), readingPlace(3)]).toEqual([null, null, null]);
    localStorage.clear();
    for (let id = 1; id <= 201; id++) keepReadingPlace(id, { at: id, scroll: 0 });
    expect(Object.keys(JSON.parse(localStorage.getItem("tome.readingPlaces")!))).toHaveLength(200);
    expect(readingPlace(201)).toEqual({ at: 201, scroll: 0 });
    expect(readingPlace(1)).toBeNull();
    keepReadingPlace(2, { at: 5, scroll: 0.25 }); // read again: now the newest
    keepReadingPlace(202, { at: 0, scroll: 0 });
    expect([readingPlace(2), readingPlace(3)]).toEqual([{ at: 5, scroll: 0.25 }, null]);
  });
});
