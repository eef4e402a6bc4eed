// A Kindle book's contents pages left out of its text: its own (an EPUB's nav
// page, which a converter keeps, often at the end) and the one a converter adds
// ("Table of Contents"). Both are lists of links to places in the book, which
// the reader's chapter menu already gives; an EPUB's reading (its linear spine)
// leaves its nav page out too. A list is 3 or more links to places in the book
// (MOBI 6's <a filepos=N>, KF8's <a href="kindle:pos:fid:...">) with nothing but
// tags and white space between them; a title such as "Contents" right before it
// goes with it. A link among words (a footnote's mark, a cross-reference) stays.

/** An opening tag of a link to a place in the book. */
const PLACE_LINK = /<a\b[^>]*?(?:\bfilepos\s*=|\bhref\s*=\s*["']?kindle:pos:)[^>]*>/gi;
const LINK_END = /<\/a\s*>/gi;
/** Links in a row that make a list. */
const MIN_ENTRIES = 3;
/** What may stand between two entries of a list (their <li>, <p>, <br> tags). */
const MAX_GAP_CHARS = 400;
/** A contents page's title in the languages books are most often converted in. */
const CONTENTS_TITLE = /^(?:(?:table of )?contents|toc|inhalt(?:sverzeichnis)?|table des mati[eè]res|sommaire|[íi]ndice|sum[aá]rio|indice|inhoud|spis tre[sś]ci|оглавление|содержание|目次|目录|目錄)$/i;

export function withoutContentsLists(markup: string): string {
  const tagged = markup.slice(0, markup.lastIndexOf(">") + 1); // a tag needs its ">" (see html-text)
  const links: [number, number][] = [];
  PLACE_LINK.lastIndex = 0;
  for (let m = PLACE_LINK.exec(tagged); m; m = PLACE_LINK.exec(tagged)) {
    LINK_END.lastIndex = m.index + m[0].length;
    const end = LINK_END.exec(tagged);
    if (!end) break;
    links.push([m.index, end.index + end[0].length]);
    PLACE_LINK.lastIndex = end.index + end[0].length;
  }
  const cuts: [number, number][] = [];
  for (let i = 0; i < links.length; ) {
    let j = i;
    while (j + 1 < links.length && onlyTags(markup, links[j][1], links[j + 1][0])) j++;
    if (j - i + 1 >= MIN_ENTRIES) cuts.push([withTitle(markup, links[i][0]), links[j][1]]);
    i = j + 1;
  }
  if (!cuts.length) return markup;
  const parts: string[] = [];
  let kept = 0;
  for (const [from, to] of cuts) {
    parts.push(markup.slice(kept, from));
    kept = to;
  }
  parts.push(markup.slice(kept));
  return parts.join("");
}

function onlyTags(s: string, from: number, to: number): boolean {
  return to - from <= MAX_GAP_CHARS && !s.slice(from, to).replace(/<[^>]*>/g, "").trim();
}

/** Where a list starting at `at` starts with the contents title right before it, if there is one. */
function withTitle(s: string, at: number): number {
  const before = s.slice(Math.max(0, at - MAX_GAP_CHARS), at);
  // the last text before the list, past the tags that close it and open the list
  const m = /(?:^|>)([^<>]*)((?:<[^>]*>|\s)*)$/.exec(before);
  if (!m) return at;
  const title = m[1].replace(/&nbsp;|\s+/g, " ").trim();
  return CONTENTS_TITLE.test(title) ? at - m[2].length - m[1].length : at;
}
