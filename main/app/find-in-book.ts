// library.find: the places a book holds a phrase (main/library/find.ts), each with
// a few words around it for a list of results; library.findAll: which books hold
// it, with how many matches and the first. Books' folded texts are kept for the
// books searched last, up to FOLD_CACHE_CHARS characters in all (the last one
// searched always, whatever its size): a person searching looks for several
// phrases in one book, or one phrase in all of them.
// A book is folded a slice at a time between turns of the event loop (a long
// book's fold would otherwise hold up an answer streaming to the window);
// searches that come while it folds wait for that one fold.
import { setImmediate as nextTurn } from "node:timers/promises";
import type { BookMatches, FindMatch, FindResult, LibraryFindResult } from "../ipc/contract";
import { findAll, foldTextInSlices, type FoldedText } from "../library/find";

/** Matches counted past the ones returned: "1,000+ matches" is all a list needs to say. */
export const FIND_COUNT_CAP = 10_000;
/** Characters of books kept folded (~1 byte each for Latin text, 2 for others, and 1/16 of that for marks). */
export const FOLD_CACHE_CHARS = 32 * 1024 * 1024;
const DEFAULT_LIMIT = 200;
/** Characters of context on each side of a match. */
const AROUND = 70;

/** A book to search: its id, and its text when it is not kept folded. */
export interface Searchable {
  documentId: number;
  text: () => string;
}

export class BookFinder {
  /** Folded books, the one searched last at the end. */
  private kept = new Map<number, { text: Promise<FoldedText>; chars: number }>();

  constructor(private readonly budgetChars = FOLD_CACHE_CHARS) {}

  async find(documentId: number, text: () => string, query: string, limit = DEFAULT_LIMIT): Promise<FindResult> {
    const folded = await this.folded({ documentId, text });
    const { matches, total } = findAll(folded, query, limit, FIND_COUNT_CAP + 1);
    return {
      documentId,
      query,
      matches: matches.map((m) => around(folded.source, m.start, m.end)),
      total: Math.min(total, FIND_COUNT_CAP),
      capped: total > FIND_COUNT_CAP,
    };
  }

  /** The books holding the phrase, those with the most matches first (ties in the order given). */
  async findInBooks(books: Searchable[], query: string): Promise<LibraryFindResult> {
    const found: BookMatches[] = [];
    for (const book of books) {
      const folded = await this.folded(book);
      const { matches, total } = findAll(folded, query, 1, FIND_COUNT_CAP + 1);
      if (total === 0) continue;
      const first = around(folded.source, matches[0].start, matches[0].end);
      found.push({ documentId: book.documentId, total: Math.min(total, FIND_COUNT_CAP), capped: total > FIND_COUNT_CAP, first });
    }
    return { query, books: found.sort((a, b) => b.total - a.total) };
  }

  /** A removed book's text is not kept. */
  forget(documentId: number): void {
    this.kept.delete(documentId);
  }

  /** The book folded: kept, or folded now and kept (the longest-unsearched books leave past the budget). */
  private folded(book: Searchable): Promise<FoldedText> {
    const hit = this.kept.get(book.documentId);
    if (hit) {
      this.kept.delete(book.documentId); // to the end: searched last
      this.kept.set(book.documentId, hit);
      return hit.text;
    }
    const source = book.text();
    const entry = { text: foldTextInSlices(source, () => nextTurn()), chars: source.length };
    this.kept.set(book.documentId, entry);
    // a failed fold is not kept: the next search folds again
    entry.text.catch(() => {
      if (this.kept.get(book.documentId) === entry) this.kept.delete(book.documentId);
    });
    let chars = 0;
    for (const e of this.kept.values()) chars += e.chars;
    for (const [id, e] of this.kept) {
      if (chars <= this.budgetChars || id === book.documentId) break;
      this.kept.delete(id);
      chars -= e.chars;
    }
    return entry.text;
  }

  /** The books kept folded, the one searched last at the end (for tests). */
  keptBooks(): number[] {
    return [...this.kept.keys()];
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
