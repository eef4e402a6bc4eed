// Find in the book: a phrase looked up in the whole text (library.find: case,
// accents, curly quotes and line breaks aside), its matches listed with a few
// words around each and the section they are in. Choosing one (a click, Enter /
// Shift+Enter, or the arrows) shows it in the reader, marked; Escape closes. The
// match shown can be asked about (its paragraph quoted over the question box).
import { useState, type RefObject } from "react";
import { api } from "../store/api";
import { useTypedSearch } from "../typed-search";
import type { FindMatch, FindResult } from "../../../main/ipc/contract";


export function FindBar({
  initialQuery,
  documentId,
  sectionTitle,
  onShow,
  onAsk,
  onClose,
  inputRef,
}: {
  /** The phrase to find at once (a library search's, for the book chosen from its results). */
  initialQuery?: string;
  documentId: number;
  /** The title of the section holding an offset. */
  sectionTitle: (offset: number) => string;
  onShow: (m: FindMatch) => void;
  /** Asks about the match shown (the reader quotes its paragraph). */
  onAsk: (m: FindMatch) => void;
  onClose: () => void;
  inputRef: RefObject<HTMLInputElement | null>;
}) {
  const [query, setQuery] = useState(initialQuery ?? "");
  // a later query, or another book, has the bar: an earlier answer is dropped
  const { result, error } = useTypedSearch<FindResult>(query, (q) => api()["library.find"]({ documentId, query: q }), documentId);
  // the match shown and whether the list is open, for the result they were chosen in: a new
  // result starts at none, its list open (derived as it renders: reset in an effect, an Enter
  // pressed between the result's render and the effect was undone)
  const [choice, setChoice] = useState<{ of: FindResult | null; current: number; listOpen: boolean }>({ of: null, current: -1, listOpen: true });
  const current = choice.of === result ? choice.current : -1;
  const listOpen = choice.of === result ? choice.listOpen : true;

  const matches = result?.matches ?? [];
  const show = (i: number) => {
    if (!matches.length) return;
    const k = (i + matches.length) % matches.length;
    setChoice({ of: result, current: k, listOpen: false });
    onShow(matches[k]);
  };

  return (
    <div className="find-bar" role="search" data-testid="find-bar">
      <div className="find-row">
        <input
          ref={inputRef}
          type="search"
          autoFocus
          aria-label="Find in the book"
          placeholder="Find in the book…"
          value={query}
          data-testid="find-input"
          onChange={(e) => setQuery(e.target.value)}
          onFocus={() => setChoice({ of: result, current, listOpen: true })}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              show(current + (e.shiftKey ? -1 : 1));
            } else if (e.key === "Escape") {
              e.preventDefault();
              onClose();
            }
          }}
        />
        <span className="small muted find-count" aria-live="polite" data-testid="find-count">
          {error ?? countText(result, current)}
        </span>
        <button type="button" className="icon" aria-label="Previous match" disabled={!matches.length} onClick={() => show(current - 1)}>
          ↑
        </button>
        <button type="button" className="icon" aria-label="Next match" disabled={!matches.length} onClick={() => show(current + 1)}>
          ↓
        </button>
        {current >= 0 && (
          <button type="button" data-testid="find-ask" title="Ask about this match: its paragraph is quoted above your question" onClick={() => onAsk(matches[current])}>
            Ask about it
          </button>
        )}
        <button type="button" className="icon" aria-label="Close find" onClick={onClose}>
          ×
        </button>
      </div>
      {listOpen && matches.length > 0 && (
        <ol className="find-results" data-testid="find-results">
          {matches.map((m, i) => (
            <li key={m.start}>
              <button type="button" aria-current={i === current ? "true" : undefined} onClick={() => show(i)}>
                <span className="find-where small muted">{sectionTitle(m.start)}</span>
                <span>
                  {m.before}
                  <b>{m.match}</b>
                  {m.after}
                </span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** "No matches", "120 matches", "3 of 120", "10,000+ matches (the first 200 listed)". */
export function countText(r: FindResult | null, current: number): string {
  if (!r) return "";
  if (r.total === 0) return "No matches";
  const total = `${r.total.toLocaleString("en-US")}${r.capped ? "+" : ""}`;
  const listed = r.matches.length < r.total ? ` (the first ${r.matches.length.toLocaleString("en-US")} listed)` : "";
  if (current >= 0) return `${current + 1} of ${total}${listed}`;
  return `${total} ${r.total === 1 && !r.capped ? "match" : "matches"}${listed}`;
}
