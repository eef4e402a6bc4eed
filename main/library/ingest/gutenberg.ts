// Project Gutenberg boilerplate: the header before "*** START OF THE/THIS PROJECT
// GUTENBERG EBOOK ... ***", the transcribers' credit that often opens the body, and
// the licence after "*** END OF ...". The header's "Title:" and "Author:" lines name
// the book.
import type { Chapter } from "../../ipc/contract";

export interface Unwrapped {
  text: string;
  skipped: boolean;
  title: string | null;
  author: string | null;
}

// The marker line may wrap (PDF text layers break it): the closing *** can follow a newline.
const START = /^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^*]{0,200}\*{3}[^\n]*$/im;
const END = /^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$/im;
// Older files end with "End of (the) Project Gutenberg('s) EBook ..." instead.
const END_OLD = /^End of (?:the )?Project Gutenberg'?s? E-?Book[^\n]*$/im;

export function stripGutenberg(text: string): Unwrapped {
  const start = START.exec(text);
  if (!start) return { text, skipped: false, title: null, author: null };
  const header = text.slice(0, start.index);
  const bodyStart = start.index + start[0].length;
  const rest = text.slice(bodyStart);
  const end = END.exec(rest) ?? END_OLD.exec(rest);
  const body = end ? rest.slice(0, end.index) : rest;
  return {
    // trim(): the same white space as \s, in linear time (/\s+$/ is quadratic in a long run of blanks)
    text: withoutCredit(body).trim() + "\n",
    skipped: true,
    title: field(header, "Title"),
    author: field(header, "Author"),
  };
}

/**
 * stripGutenberg for a text already divided into chapters (an EPUB's or an HTML book's, where the
 * boilerplate is text like the rest): each chapter's start moved back by what the cut dropped
 * before the book; a chapter left with no letter or digit of the book (the header's own, which
 * ended at the cut) is dropped, and so are those past the kept text.
 */
export function stripGutenbergChapters(text: string, chapters: Chapter[]): Unwrapped & { chapters: Chapter[] } {
  const g = stripGutenberg(text);
  if (!g.skipped) return { ...g, chapters };
  const cut = Math.max(0, text.indexOf(g.text.slice(0, 200)));
  const moved = chapters.map((c) => ({ ...c, start: Math.max(0, c.start - cut) })).filter((c) => c.start < g.text.length);
  const holdsText = (c: Chapter, i: number) => /[\p{L}\p{N}]/u.test(g.text.slice(c.start, moved[i + 1]?.start ?? g.text.length));
  return { ...g, chapters: moved.filter(holdsText) };
}

// The credit paragraph: "Produced by Anonymous Volunteers", "Produced by Daniel Lazarus, Jonesey,
// and David Widger", "An Anonymous Volunteer, and David Widger", "This eBook was prepared by ...",
// "E-text prepared by ...". Named by Gutenberg's own wording, not by any short first paragraph:
// that is usually the book's title.
const CREDIT =
  /^(?:(?:this )?e-?(?:book|text)s? (?:was |were )?(?:produced|prepared|transcribed)|(?:produced|prepared|transcribed) by\b|credits?:|.*\b(?:anonymous volunteers?|distributed proofread\w*|david widger)\b)/i;
const MAX_CREDIT_CHARS = 400;

/** The body without a first paragraph that credits its transcribers (the model reads what is left). */
function withoutCredit(body: string): string {
  const lead = /^\s*/.exec(body)![0].length;
  const end = /\n[ \t]*\n/.exec(body.slice(lead, lead + MAX_CREDIT_CHARS + 4));
  if (!end) return body;
  const paragraph = body.slice(lead, lead + end.index);
  if (!CREDIT.test(paragraph)) return body;
  // A PDF's text layer has no blank line after the credit: its paragraph runs on into the
  // title, whose capitals end the credit ("Produced by David Widger" / "ALICE'S ADVENTURES").
  const title = /\n(?=[^a-z\n]*[A-Z][^a-z\n]*(?:\n|$))/.exec(paragraph);
  const rest = body.slice(lead + (title ? title.index : end.index));
  // a body that is that one paragraph is kept whole
  return /\S/.test(rest) ? rest : body;
}

function field(header: string, key: string): string | null {
  const m = new RegExp(`^${key}:[ \\t]*(.+)$`, "m").exec(header);
  return m ? m[1].trim() : null;
}
