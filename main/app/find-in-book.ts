// library.find: the places a book holds a phrase (main/library/find.ts), each with
// a few words around it for a list of results. A book's folded text is kept for
// the book searched last: a person searching looks for several phrases in one book.
// It is folded a slice at a time between turns of the event loop (a long book's
// fold would otherwise hold up an answer streaming to the window); searches that
// come while it folds wait for that one fold.
import { setImmediate as nextTurn } from "node:timers/promises";
import type { FindMatch, FindResult } from "../ipc/contract";
import { findAll, foldTextInSlices, type FoldedText } from "../library/find";

/** Matches counted past the ones returned: "1,000+ matches" is all a list needs to say. */
export const FIND_COUNT_CAP = 10_000;
const DEFAULT_LIMIT = 200;
/** Characters of context on each side of a match. */
const AROUND = 70;

export class BookFinder {
  private kept: { documentId: number; text: Promise<FoldedText> } | null = null;

  /** `text()` gives the book's text when it is not the one kept. */
  async find(documentId: number, text: () => string, query: string, limit = DEFAULT_LIMIT): Promise<FindResult> {
    if (this.kept?.documentId !== documentId) {
      const folding = foldTextInSlices(text(), () => nextTurn());
      this.kept = { documentId, text: folding };
      // a failed fold is not kept: the next search folds again
      folding.catch(() => {
        if (this.kept?.text === folding) this.kept = null;
      });
    }
    const folded = await this.kept.text;
    const { matches, total } = findAll(folded, query, limit, FIND_COUNT_CAP + 1);
    return {
      documentId,
      query,
      matches: matches.map((m) => around(folded.source, m.start, m.end)),
      total: Math.min(total, FIND_COUNT_CAP),
      capped: total > FIND_COUNT_CAP,
    };
  }

  /** A removed book's text is not kept. */
  forget(documentId: number): void {
    if (this.kept?.documentId === documentId) this.kept = null;
  }
}

const squeeze = (s: string) => s.replace(/\s+/g, " ");

/** The match with up to AROUND characters each side, cut at a word's edge. */
export function around(text: string, start: number, end: number): FindMatch {
  let before = text.slice(Math.max(0, start - AROUND), start);
  let after = text.slice(end, end + AROUND);
  if (start > AROUND) before = "…" + before.replace(/^\S*\s/, "");
  if (end + AROUND < text.length) after = after.replace(/\s\S*$/, "") + "…";
  return { start, end, before: squeeze(before).trimStart(), match: squeeze(text.slice(start, end)), after: squeeze(after).trimEnd() };
}
