// Project Gutenberg boilerplate: the header before "*** START OF THE/THIS PROJECT
// GUTENBERG EBOOK ... ***" and the licence after "*** END OF ...". The header's
// "Title:" and "Author:" lines name the book.

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
    text: body.trim() + "\n",
    skipped: true,
    title: field(header, "Title"),
    author: field(header, "Author"),
  };
}

function field(header: string, key: string): string | null {
  const m = new RegExp(`^${key}:[ \\t]*(.+)$`, "m").exec(header);
  return m ? m[1].trim() : null;
}
