// Prose hard-wrapped at a fixed width, as Project Gutenberg's plain texts are
// (about 70 columns, paragraphs between blank lines), with its wraps undone: a
// line break that the wrapper made becomes a space. The reader then flows a
// paragraph to its own width (a 70-column line shown in a 65-column reader
// broke into a long and a short line, every line), and the model reads
// sentences as written, not a newline every dozen words.
//
// A break is the wrapper's when the next line's first word would not have fitted
// on the line (its length + a space + the word > nearly the wrap width) and the next
// line starts at the margin: verse and quotations set in keep their lines, and
// so does a line that ended short on purpose. A text is taken for wrapped prose
// only when most of its lines end near one width of 60 to 120 columns: a play
// or a poem (blank verse runs 40-50 columns), or a file of long unwrapped
// paragraphs, is left as it is.
//
// Only "\n" becomes " ", so every character keeps its offset: chapters, passages
// and highlights found in the text stay where they are.

/** The wrap width: 95% of the non-blank lines are at most this long. */
const WIDTH_SHARE = 0.95;
/** Wrapped prose: at least this share of non-blank lines end within 80% .. 100% of the width. */
const NEAR_WIDTH_SHARE = 0.6;
const MIN_WIDTH = 60;
/** Past this, lines are paragraphs a file keeps one to a line, not a wrapper's width. */
const MAX_WIDTH = 120;
/**
 * A wrapped line with the next word would pass this share of the width. Not all of it:
 * Gutenberg's wrappers broke lines short of the widest (in Alice and War and Peace 5-8% of
 * the breaks inside paragraphs leave room for the next word at the 95% width, none under 85%
 * of it in Alice).
 */
const FIT_SHARE = 0.85;
const MIN_LINES = 40;

const length = (s: string) => {
  let n = 0;
  for (const _ of s) n++; // code points: a wrapper counts characters, not UTF-16 units
  return n;
};

/** The width text is wrapped at, or null when it is not wrapped prose. */
export function wrapWidth(lines: string[]): number | null {
  const lens = lines.filter((l) => l.trim()).map(length).sort((a, b) => a - b);
  if (lens.length < MIN_LINES) return null;
  const width = lens[Math.floor(WIDTH_SHARE * (lens.length - 1))];
  if (width < MIN_WIDTH || width > MAX_WIDTH) return null;
  const near = lens.filter((n) => n >= 0.8 * width && n <= width).length;
  return near >= NEAR_WIDTH_SHARE * lens.length ? width : null;
}

// A line that starts a list's item, not a wrapped line's rest.
const LIST_ITEM = /^(?:[-*•]|\d{1,3}[.)])\s/;

/** text with the wrapper's line breaks made spaces (see the file's comment); same length. */
export function unwrapProse(text: string): string {
  const lines = text.split("\n");
  const width = wrapWidth(lines);
  if (width === null) return text;
  let out = lines[0];
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1], b = lines[i];
    const word = /^\S+/.exec(b)?.[0];
    const wrapped = a.trim() !== "" && word !== undefined && !LIST_ITEM.test(b) && length(a) + 1 + length(word) > FIT_SHARE * width;
    out += (wrapped ? " " : "\n") + b;
  }
  return out;
}

// Markdown lines no paragraph runs on into: headings, tables, fences, HTML, setext
// underlines, thematic breaks ...
const MD_OWN_LINE = /^(?:#{1,6}(?:\s|$)|\||```|~~~|<|=+\s*$|[-*_](?:\s*[-*_]){2,}\s*$)/;
// ... and, as the next line, those and the start of a quote or a list item.
const MD_BLOCK_START = /^(?:>|[-*+]\s|\d{1,9}[.)]\s)/;

/**
 * Markdown with its paragraphs' soft line breaks made spaces, as markdown renders them
 * (same length). A break stays where it means something: a hard break (two trailing spaces
 * or a backslash), around headings, quotes, tables, lists, fences and code, in a fenced block.
 */
export function unwrapMarkdown(text: string): string {
  const lines = text.split("\n");
  let out = lines[0];
  let fenced = /^(?:```|~~~)/.test(lines[0]);
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1], b = lines[i];
    const soft =
      !fenced &&
      a.trim() !== "" &&
      b.trim() !== "" &&
      !/^\s/.test(b) &&
      !/(?: {2}|\\)$/.test(a) &&
      !MD_OWN_LINE.test(a) &&
      !MD_OWN_LINE.test(b) &&
      !MD_BLOCK_START.test(b);
    out += (soft ? " " : "\n") + b;
    if (/^(?:```|~~~)/.test(b)) fenced = !fenced;
  }
  return out;
}
