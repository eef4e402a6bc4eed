// XHTML (an EPUB chapter, an HTML book) -> plain text with paragraph breaks, and
// the text of its first heading. Not a full HTML parser: tags are dropped, block
// elements become paragraph breaks, table cells spaces, entities are decoded;
// a <pre> keeps its lines and spaces (code, a poem set as printed); a printed
// book's page numbers set in the text (Gutenberg's <span class="pagenum">, an
// EPUB's page-break markers) are dropped. Good enough for book prose, and it
// never executes or fetches anything.

const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", mdash: "\u2014", ndash: "\u2013",
  hellip: "\u2026", lsquo: "\u2018", rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d", copy: "\u00a9",
  shy: "", laquo: "\u00ab", raquo: "\u00bb", eacute: "\u00e9", egrave: "\u00e8", aacute: "\u00e1",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "";
    }
    return NAMED[e.toLowerCase()] ?? all;
  });
}

const BLOCK = /^(p|div|h[1-6]|li|ul|ol|blockquote|section|article|header|footer|tr|table|caption|pre|figure|figcaption|dd|dt|hr)$/i;
const CELL = /^(td|th)$/i;

// Private markers until the end of htmlToText: a line break (<br>, a <pre>'s newline) and a
// <pre>'s space, which the white space collapsing in between must not touch (a book's own
// U+2028 reads as a line break, its own U+E000, a private-use character, as a space).
const BREAK = "\u2028";
const PRE_SPACE = "\uE000";

export interface HtmlText {
  text: string;
  heading: string | null;
}

export function htmlToText(html: string): HtmlText {
  return visibleText(visibleBody(html));
}

/** htmlToText of markup already without its head, hidden spans and page numbers (visibleBody's, or a slice of it). */
export function visibleText(all: string): HtmlText {
  // A tag needs a ">": past the last one, every "<" is text. Without this cut each "<" there
  // made the tag patterns below read to the end of the chapter (quadratic in many of them).
  const lastGt = all.lastIndexOf(">") + 1;
  const cleaned = all.slice(0, lastGt);
  const tail = all.slice(lastGt);
  const h = firstHeading(cleaned);
  const heading = h !== null ? collapse(decodeEntities(h.replace(/<[^>]*>/g, " "))) : null;
  let out = preservingPre(cleaned).replace(/<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g, (_t, tag: string) =>
    tag.toLowerCase() === "br" ? BREAK : BLOCK.test(tag) ? "\n\n" : CELL.test(tag) ? " " : "",
  );
  out = decodeEntities(out.replace(/<[^>]*>/g, "") + tail);
  // Whitespace inside paragraphs collapses; paragraph breaks stay (at most one blank line).
  out = out
    .split(/\n[ \t\u00a0]*\n\s*/)
    .map((p) => collapse(p))
    .filter((p) => p.length > 0)
    .join("\n\n")
    .replace(/ ?\u2028 ?/g, "\n") // <br> (a private marker until here) is a line break
    .replace(/\uE000/g, " ");
  return { text: out, heading: heading || null };
}

/**
 * The markup with each closed <pre>'s newlines and blanks made the private markers (its first
 * newline dropped, as a browser drops it, and the white space it ends with). Each <pre>'s
 * closer is searched once: past an unclosed one nothing is preserved.
 */
function preservingPre(s: string): string {
  const open = /<pre\b[^>]*>/gi;
  const close = /<\/pre\s*>/gi;
  const parts: string[] = [];
  let kept = 0;
  for (let m = open.exec(s); m; m = open.exec(s)) {
    const from = m.index + m[0].length;
    close.lastIndex = from;
    const c = close.exec(s);
    if (!c) break;
    const inner = s.slice(from, c.index).replace(/^\r?\n/, "").trimEnd();
    parts.push(s.slice(kept, from), inner.replace(/\r?\n/g, BREAK).replace(/ /g, PRE_SPACE).replace(/\t/g, PRE_SPACE.repeat(4)));
    kept = c.index;
    open.lastIndex = c.index + c[0].length;
  }
  parts.push(s.slice(kept));
  return parts.join("");
}

/**
 * The body's markup without its hidden spans (comments, scripts, styles, ...: below) and page
 * numbers, its note marks read "[n]" (over the whole body: a note's label links back to a mark
 * in another chapter).
 */
export function visibleBody(html: string): string {
  return withNoteMarks(withoutPageNumbers(withoutHiddenSpans(bodyOf(html))));
}

// A span that holds a printed page's number: Gutenberg's class "pagenum" (also "pageno",
// "page-num"), an EPUB's epub:type="pagebreak" or role="doc-pagebreak".
const PAGE_NUMBER = /\bclass\s*=\s*["'][^"']*\bpage-?(?:num|no)|\bepub:type\s*=\s*["'][^"']*\bpagebreak|\brole\s*=\s*["']doc-pagebreak/i;

/**
 * The markup without its page-number spans, each with what it holds (nested spans counted to
 * its own closer). Past a span left unclosed (its closer searched to the end once) nothing more
 * is dropped: the pass stays linear.
 */
function withoutPageNumbers(s: string): string {
  const spans = /<(\/?)span\b[^>]*>/gi;
  const parts: string[] = [];
  let kept = 0;
  for (let m = spans.exec(s); m; m = spans.exec(s)) {
    if (m[1] || m[0].endsWith("/>") || !PAGE_NUMBER.test(m[0])) continue;
    const end = elementEnd(s, "span", m.index + m[0].length);
    parts.push(s.slice(kept, m.index));
    if (end < 0) {
      kept = m.index;
      break;
    }
    kept = end;
    spans.lastIndex = kept;
  }
  parts.push(s.slice(kept));
  return parts.join("");
}

/**
 * Where the element whose opening tag ends at `from` ends (past its closing tag, elements of
 * its name inside it counted), or -1 when it is not closed. Self-closing tags ("<span/>") hold
 * nothing.
 */
export function elementEnd(s: string, tag: string, from: number): number {
  const tags = new RegExp(`<(/?)${tag}\\b[^>]*>`, "gi");
  tags.lastIndex = from;
  let depth = 1;
  for (let t = tags.exec(s); t; t = tags.exec(s)) {
    if (t[0].endsWith("/>")) continue;
    depth += t[1] ? -1 : 1;
    if (depth === 0) return t.index + t[0].length;
  }
  return -1;
}

/**
 * What is between <body ...> and the last </body>, else all of it. Found by one search each:
 * /<body[^>]*>([\s\S]*)<\/body>/ tried every "<body" to the end when no "</body>" followed
 * (quadratic in a chapter of unclosed tags).
 */
function bodyOf(html: string): string {
  const open = /<body\b[^>]*>/i.exec(html);
  if (!open) return html;
  const from = open.index + open[0].length;
  const closers = /<\/body\s*>/gi;
  closers.lastIndex = from;
  let close = -1;
  for (let c = closers.exec(html); c; c = closers.exec(html)) close = c.index;
  return close >= 0 ? html.slice(from, close) : html;
}

/**
 * The inner HTML of the first closed <h1>..<h3>, as /<h([1-3])\b[^>]*>([\s\S]*?)<\/h\1\s*>/i
 * finds it, with each level's closer searched at most once past an unclosed one.
 */
function firstHeading(s: string): string | null {
  const open = /<h([1-3])\b[^>]*>/gi;
  const unclosed = new Set<string>();
  for (let m = open.exec(s); m; m = open.exec(s)) {
    if (unclosed.has(m[1])) continue;
    const close = new RegExp(`</h${m[1]}\\s*>`, "gi");
    close.lastIndex = m.index + m[0].length;
    const c = close.exec(s);
    if (c) return s.slice(m.index + m[0].length, c.index);
    unclosed.add(m[1]);
  }
  return null;
}

// Spans whose content is not text: comments, and script, style, head, svg and math elements,
// and ruby's reading aids (<rt>: the kana set over kanji; <rp>: the brackets around them for
// readers without ruby), which would repeat each word in another spelling.
const HIDDEN_OPEN = /<!--|<(script|style|head|svg|math|rt|rp)\b/gi;
// An <rt> or <rp> may leave out its end tag: it ends where the next part (rb, rt, rtc, rp)
// starts or the ruby ends.
const RUBY_PART_END = /<\/(?:rt|rp)\s*>|<(?:rb|rt|rtc|rp)\b|<\/ruby\s*>/gi;

/**
 * The text without its hidden spans, in one pass: each opener's closer is searched once, and a
 * kind found unclosed is not searched for again (lazy regexes over the whole text retried
 * every unclosed opener to its end: 20K unclosed "<!--" took 1.3 s, a 5 MB chapter far more).
 * An unclosed comment, script or style runs to the end, as a browser reads it; an unclosed
 * head, svg or math element loses only its opening tag (its text may be the book's). A ruby
 * part's end is searched only as far as the next part or the ruby's end, and past the last
 * ruby it loses only its tag.
 */
function withoutHiddenSpans(s: string): string {
  const parts: string[] = [];
  const unclosed = new Set<string>();
  let kept = 0;
  HIDDEN_OPEN.lastIndex = 0;
  for (let m = HIDDEN_OPEN.exec(s); m; m = HIDDEN_OPEN.exec(s)) {
    const kind = m[1]?.toLowerCase() ?? "!--";
    let end = -1;
    if (kind === "rt" || kind === "rp") {
      RUBY_PART_END.lastIndex = m.index + m[0].length;
      const c = RUBY_PART_END.exec(s);
      if (c) end = c[0][1] === "/" && !/^<\/ruby/i.test(c[0]) ? c.index + c[0].length : c.index; // (the next part or </ruby> stays)
    } else if (!unclosed.has(kind)) {
      const closer = kind === "!--" ? /-->/g : new RegExp(`</${kind}\\s*>`, "gi");
      closer.lastIndex = m.index + m[0].length;
      const c = closer.exec(s);
      if (c) end = c.index + c[0].length;
      else unclosed.add(kind);
    }
    parts.push(s.slice(kept, m.index));
    if (end >= 0) kept = end;
    else if (kind === "!--" || kind === "script" || kind === "style") return parts.join("");
    else {
      const tagEnd = s.indexOf(">", m.index);
      kept = tagEnd >= 0 ? tagEnd + 1 : m.index + m[0].length;
    }
    HIDDEN_OPEN.lastIndex = kept;
  }
  parts.push(s.slice(kept));
  return parts.join("");
}

function collapse(s: string): string {
  return s.replace(/[ \t\r\n\u00a0]+/g, " ").trim();
}

// A note's mark set as a superscript link to a place in the book (a word processor's or a
// converter's "claim<sup>1</sup>"), or an EPUB's noteref link: read "[1]", not a word run on
// into its number ("claim1"). A mark already in brackets stays as it is. A note's own
// label linking back to its mark (LibreOffice's "<a href="#sdfootnote1anc">1</a>The note")
// reads "[1] " too: a link to a mark's id or name.
// (attributes as [^<>]: an attempt at a "<a" with no ">" of its own stops at the next "<", so
// a run of them is read once, not once per "<a")
const IN_BOOK_LINK = String.raw`<a\b[^<>]*?\bhref\s*=\s*["']?[^"'\s<>]*#[^<>]*>`;
const MARK = String.raw`\s*([^\s<>\[\]]{1,4})\s*`;
const NOTE_MARKS = [
  new RegExp(String.raw`${IN_BOOK_LINK}\s*<sup\b[^<>]*>${MARK}</sup\s*>\s*</a\s*>`, "gi"),
  new RegExp(String.raw`<sup\b[^<>]*>\s*${IN_BOOK_LINK}${MARK}</a\s*>\s*</sup\s*>`, "gi"),
  new RegExp(String.raw`<a\b[^<>]*?\btype\s*=\s*["'][^"'<>]*\bnoteref\b[^<>]*>${MARK}</a\s*>`, "gi"),
];

const ANCHOR = /\b(?:id|name)\s*=\s*["']?([^"'\s<>]+)/gi;
// (the target ends at its delimiter: a shorter one tried on a failed match ends at once, where
// it was tried against the rest of the tag again, quadratic in a long unclosed one)
const LINK_TO = new RegExp(String.raw`<a\b[^<>]*?\bhref\s*=\s*["']?[^"'\s<>#]*#([^"'\s<>]+)(?=["'\s>])[^<>]*>${MARK}</a\s*>`, "gi");

/** The marks made "[1]"; one that leads its note's text ("1The first note") gets a space after it. */
function withNoteMarks(s: string): string {
  const bracketed = (m: string, mark: string, at: number, all: string) => (/\p{L}/u.test(all[at + m.length] ?? "") ? `[${mark}] ` : `[${mark}]`);
  // the marks' own ids and names, which their notes' labels link back to
  const marks = new Set<string>();
  for (const re of NOTE_MARKS) for (const m of s.matchAll(re)) for (const a of m[0].matchAll(ANCHOR)) marks.add(a[1]);
  const marked = NOTE_MARKS.reduce((t, re) => t.replace(re, bracketed), s);
  if (marks.size === 0) return marked;
  return marked.replace(LINK_TO, (m: string, target: string, mark: string, at: number, all: string) => (marks.has(target) ? bracketed(m, mark, at, all) : m));
}
