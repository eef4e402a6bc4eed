// The part of the book a reader's selection covers, as character offsets in the
// book. The reader draws a section's text as spans and marks whose text is the
// book's, character for character (Reader's Marked), so the offset of a point in
// it is `base` plus the length of the text before the point; a selection that
// runs out of the text (over the header, the chat) is cut to it, and its white
// space at either end left out. A match of Find is asked about with its paragraph
// (or, in a long one, its sentence), passageAround.
import { SENTENCE_END } from "../../main/library/sentence-end";

export interface SelectedPassage {
  start: number;
  end: number;
  text: string;
}

/** The passage of `book` (its text starting at book offset `base`) that `range` covers, or null when none. */
export function passageOfRange(book: Element, base: number, range: Range): SelectedPassage | null {
  // (a selection in text the reader has since replaced is in another tree: none)
  if (range.collapsed || range.startContainer.getRootNode() !== book.getRootNode()) return null;
  const doc = book.ownerDocument;
  const whole = doc.createRange();
  whole.selectNodeContents(book);
  // -1: the point is before the book's text, 0: in it, 1: after it
  const startSide = whole.comparePoint(range.startContainer, range.startOffset);
  const endSide = whole.comparePoint(range.endContainer, range.endOffset);
  if (startSide > 0 || endSide < 0) return null;
  const all = book.textContent ?? "";
  const upTo = (node: Node, offset: number) => {
    const r = doc.createRange();
    r.setStart(book, 0);
    r.setEnd(node, offset);
    return r.toString().length;
  };
  let start = startSide < 0 ? 0 : upTo(range.startContainer, range.startOffset);
  let end = endSide > 0 ? all.length : upTo(range.endContainer, range.endOffset);
  while (start < end && /\s/.test(all[start])) start++;
  while (end > start && /\s/.test(all[end - 1])) end--;
  if (end <= start) return null;
  return { start: base + start, end: base + end, text: all.slice(start, end) };
}

/**
 * The passage around [start, end) of `text` (which starts at book offset `base`): its paragraph
 * (between blank lines) when that holds at most `max` characters, else its sentence (a long
 * paragraph, a page of verse: its line), else the match alone.
 */
export function passageAround(text: string, base: number, start: number, end: number, max: number): SelectedPassage {
  const s = start - base;
  const e = end - base;
  const before = text.lastIndexOf("\n\n", s);
  const after = text.indexOf("\n\n", e);
  let from = before < 0 ? 0 : before + 2;
  let to = after < 0 ? text.length : after;
  if (to - from > max) {
    // the sentence holding the match: from the last sentence end before it to the first after
    const ends = new RegExp(String.raw`${SENTENCE_END}\s+|\n`, "g");
    let first = from;
    let last = to;
    ends.lastIndex = from;
    for (let m = ends.exec(text); m && m.index < to; m = ends.exec(text)) {
      const cut = m.index + m[0].length;
      if (cut <= s) first = cut;
      else if (m.index >= e - 1) {
        last = cut;
        break;
      }
    }
    [from, to] = last - first <= max ? [first, last] : [s, e];
  }
  while (from < to && /\s/.test(text[from])) from++;
  while (to > from && /\s/.test(text[to - 1])) to--;
  return { start: base + from, end: base + to, text: text.slice(from, to) };
}
