// Search every book for a phrase (library.findAll: folded as the reader's Find
// folds it): the books that hold it, with how many matches and the first in a
// few words of context. Choosing one opens that book with the reader's find bar
// on the phrase. Escape clears the search. Ctrl/Cmd+Shift+F, or the desktop
// menu's Search All Books, puts the focus in it.
import { useEffect, useRef, useState } from "react";
import { api } from "../store/api";
import { useTypedSearch } from "../typed-search";
import { useStore } from "../store";
import type { LibraryFindResult } from "../../../main/ipc/contract";


export function LibrarySearch() {
  const documents = useStore((s) => s.documents);
  const select = useStore((s) => s.selectDocument);
  const requestFind = useStore((s) => s.requestFind);
  const [query, setQuery] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const requests = useStore((s) => s.librarySearchRequests);
  const focus = () => {
    input.current?.focus();
    input.current?.select();
  };
  useEffect(() => {
    if (requests > 0) focus();
  }, [requests]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || !e.shiftKey || e.key.toLowerCase() !== "f") return;
      e.preventDefault();
      focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const { result, error } = useTypedSearch<LibraryFindResult>(query, (q) => api()["library.findAll"]({ query: q }));

  const book = (id: number) => documents.find((d) => d.id === id);
  const books = (result?.books ?? []).filter((b) => book(b.documentId) !== undefined); // a book removed since
  const open = async (documentId: number) => {
    await select(documentId);
    requestFind(result!.query);
  };

  return (
    <div className="library-search" role="search">
      <input
        ref={input}
        type="search"
        aria-label="Search all books"
        title="Search all books (Ctrl+Shift+F)"
        placeholder="Search all books…"
        value={query}
        data-testid="library-search"
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setQuery("");
        }}
      />
      {(error || result) && (
        <p className="small muted" aria-live="polite" data-testid="library-search-count">
          {error ?? (books.length ? `${books.length} ${books.length === 1 ? "book holds" : "books hold"} it` : "No book holds it")}
        </p>
      )}
      {books.length > 0 && (
        <ul className="find-results library-results" data-testid="library-results">
          {books.map((b) => (
            <li key={b.documentId}>
              <button type="button" onClick={() => void open(b.documentId)}>
                <span className="result-title">
                  {book(b.documentId)!.title}{" "}
                  <small className="muted">
                    {book(b.documentId)!.format} · {b.total.toLocaleString("en-US")}
                    {b.capped ? "+" : ""} {b.total === 1 ? "match" : "matches"}
                  </small>
                </span>
                <small className="muted">
                  {b.first.before}
                  <b>{b.first.match}</b>
                  {b.first.after}
                </small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
