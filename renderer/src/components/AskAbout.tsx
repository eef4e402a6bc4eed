// Asking about a passage of the book: the reader's selected text (its book offsets,
// ../selection-passage) and "Ask about this" under it, which hands the passage to the
// chat (the store's quote, shown over the question box). The selection stays while the
// button is pressed (it takes no focus); a passage longer than a question may quote
// says so instead.
import { useEffect, useState, type RefObject } from "react";
import { useStore } from "../store";
import { passageOfRange, type SelectedPassage } from "../selection-passage";
import { LIMITS } from "../../../main/ipc/validate";

/** A selected passage and where its last line ends in the reader's scroll (px, for the button). */
export type PlacedPassage = SelectedPassage & { top: number; left: number };

/**
 * The passage selected in the section shown (`text`, drawn inside `body`'s ".book"), or null;
 * a new section's text drops it.
 */
export function useSelectedPassage(body: RefObject<HTMLDivElement | null>, text: { start: number } | null): PlacedPassage | null {
  const [selected, setSelected] = useState<PlacedPassage | null>(null);
  useEffect(() => {
    const onSelection = () => {
      const el = body.current;
      const book = el?.querySelector(".book");
      const sel = window.getSelection();
      const range = sel && sel.rangeCount ? sel.getRangeAt(0) : null;
      const passage = book && text && range ? passageOfRange(book, text.start, range) : null;
      if (!passage || !el || !range) return setSelected(null);
      const rects = range.getClientRects();
      const last = rects[rects.length - 1];
      const box = el.getBoundingClientRect();
      const top = last ? last.bottom - box.top + el.scrollTop + 4 : el.scrollTop;
      const left = last ? Math.max(0, Math.min(last.right - box.left - 40, el.clientWidth - 160)) : 0;
      setSelected({ ...passage, top, left });
    };
    setSelected(null); // the text it was in has gone
    document.addEventListener("selectionchange", onSelection);
    return () => document.removeEventListener("selectionchange", onSelection);
  }, [text]);
  return selected;
}

export function AskAbout({ documentId, passage }: { documentId: number; passage: PlacedPassage }) {
  const setQuote = useStore((s) => s.setQuote);
  const length = passage.end - passage.start;
  const tooLong = length > LIMITS.maxPassageChars;
  return (
    <button
      type="button"
      className="ask-about"
      data-testid="ask-about"
      style={{ top: passage.top, left: passage.left }}
      disabled={tooLong}
      title={
        tooLong
          ? `A question can quote at most ${LIMITS.maxPassageChars.toLocaleString("en")} characters; this is ${length.toLocaleString("en")}.`
          : "Ask about the selected passage: it is quoted above your question"
      }
      onMouseDown={(e) => e.preventDefault()}
      onClick={() => {
        setQuote({ documentId, start: passage.start, end: passage.end, text: passage.text });
        window.getSelection()?.removeAllRanges(); // (the selection's change takes the button away)
      }}
    >
      {tooLong ? "Too long to ask about" : "Ask about this"}
    </button>
  );
}
