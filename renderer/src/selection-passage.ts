// The part of the book a reader's selection covers, as character offsets in the
// book. The reader draws a section's text as spans and marks whose text is the
// book's, character for character (Reader's Marked), so the offset of a point in
// it is `base` plus the length of the text before the point; a selection that
// runs out of the text (over the header, the chat) is cut to it, and its white
// space at either end left out.

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
