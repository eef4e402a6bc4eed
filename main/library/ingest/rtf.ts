// Rich Text Format documents (.rtf: WordPad, TextEdit, older word processors, many
// manuscripts). The file is read as tokens: groups { }, control words (\par,
// \s1, \u8217), control symbols (\{, \'92) and text; each group keeps the state
// it was opened with (hidden, skipped, the \uc count, ...).
//   text          bytes in the code page of the font they are set in (the font
//                 table's \fcharsetN or \cpgN; else the document's \ansicpgN), \'hh
//                 escapes' runs decoded together as Shift_JIS and GBK pairs need;
//                 or Unicode (\uN, its \ucN fallback characters skipped)
//   paragraphs    \par, \page, \sect, a table's \cell and \row end one; \line is a
//                 line break; \tab a space; \emdash, quotes, \~ and the like are
//                 their characters
//   headings      a paragraph's \outlinelevelN, or its style (\sN) named "heading
//                 N" (or based on one) in the stylesheet; "Title" and "Subtitle"
//   footnotes     {\footnote ...} (LibreOffice's {\*\footnote ...} too) read apart
//                 and listed after the text, [n] where they stand (numbered in
//                 order); endnotes ({\footnote\ftnalt ...}) numbered apart and
//                 listed under "Endnotes", as the Word readers list them
//   list labels   {\listtext ...} (Word 6's {\pntext ...}): a list item's number or
//                 bullet as the writer set it ("1.", "a)"; a Symbol or Wingdings
//                 bullet as "•", "▪"), one per paragraph
//   left out      destinations that are not the text: font, colour and style
//                 tables, document info (its \title and \author are read),
//                 pictures, objects, headers and footers, field instructions (a
//                 field's result stays), any {\* ...} group; hidden text (\v),
//                 deleted revisions (\deleted); \binN data
import { notesSection, paragraphsBook, plainBullet, type BodyParagraph, type StyleLevel } from "./document-book";
import { corrupt } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "RTF document";

/** Destinations whose text is not the document's (their groups are skipped). */
const SKIPPED = new Set([
  "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "headerl", "headerr", "headerf", "footer", "footerl",
  "footerr", "footerf", "fldinst", "xmlnstbl", "listtable", "listoverridetable", "revtbl", "rsidtbl", "generator", "themedata",
  "colorschememapping", "datastore", "latentstyles", "pgdsctbl", "filetbl", "nonshppict", "shpinst", "txe", "annotation", "atnid",
  "atnauthor", "bkmkstart", "bkmkend", "pntxta", "pntxtb", "userprops", "docvar", "template", "mmathPr",
]);
/** Control words that are characters. */
const CHARS: Record<string, string> = {
  emdash: "\u2014", endash: "\u2013", lquote: "\u2018", rquote: "\u2019", ldblquote: "\u201c", rdblquote: "\u201d",
  bullet: "\u2022", tab: " ", emspace: " ", enspace: " ", qmspace: " ", line: "\n",
};
const PARAGRAPH_ENDS = new Set(["par", "page", "sect", "cell", "row"]);
/** A font's \fcharsetN -> its code page (0 ANSI, 1 default and 2 symbol: the document's). */
const CHARSET_CODE_PAGES: Record<number, number> = {
  77: 10000, 128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250,
};
/** Code pages by number that are not "windows-N". */
const CODE_PAGES: Record<number, string> = { 932: "shift_jis", 936: "gbk", 949: "euc-kr", 950: "big5", 10000: "macintosh", 20866: "koi8-r", 65001: "utf-8" };

interface GroupState {
  skip: boolean;
  hidden: boolean;
  deleted: boolean;
  uc: number;
  /** this group opened a footnote (its end ends the footnote) */
  footnote: boolean;
  /** the font text is set in (\fN), or null */
  font: number | null;
  /** inside a list item's label ({\listtext ...}, Word 6's {\pntext ...}): its paragraph words are not the paragraph's */
  label: boolean;
}

export function readRtf(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  if (!/^\s*\{\\rtf/.test(src.slice(0, 64))) throw corrupt(WHAT, "it does not start with {\\rtf");
  const styles = stylesheet(src);
  const info = documentInfo(src);
  let decoder = new TextDecoder("windows-1252"); // the document's (\ansicpg)
  const fonts = fontCodePages(src);
  const fontDecoders = new Map<number, InstanceType<typeof TextDecoder> | null>();
  const decoderNow = () => {
    const cp = state.font === null ? undefined : fonts.get(state.font);
    if (cp === undefined) return decoder;
    if (!fontDecoders.has(cp)) fontDecoders.set(cp, codePage(cp));
    return fontDecoders.get(cp) ?? decoder;
  };
  const defaultFont = Number(/\\deff(\d+)/.exec(src.slice(0, 512))?.[1] ?? NaN);
  const body: BodyParagraph[] = [];
  const notes: { kind: "foot" | "end"; mark: string; paragraphs: BodyParagraph[] }[] = []; // in the order called
  const counted = { foot: 0, end: 0 }; // notes of each kind so far: a new one's number
  let state: GroupState = { skip: false, hidden: false, deleted: false, uc: 1, footnote: false, font: Number.isNaN(defaultFont) ? null : defaultFont, label: false };
  const symbolFonts = symbolFontsOf(src);
  const stack: GroupState[] = [];
  // the paragraph being read; `labeled`: its list label was read (a second writer's copy is not)
  let para = { text: "", style: null as number | null, outline: null as number | null, labeled: false };
  let pending: number[] = []; // \'hh bytes to decode together
  let skipChars = 0; // fallback characters after a \u left to skip
  let groupStart = false; // the token before was "{" (a destination word may follow)
  let starred = false; // the tokens before were "{\\*" (an ignorable destination's word follows)
  const cited: (typeof para)[] = []; // the paragraphs a footnote being read stands in
  const into = () => (cited.length ? notes[notes.length - 1].paragraphs : body); // (a footnote's groups are its own too)
  const flushBytes = () => {
    if (!pending.length) return;
    const t = state.font !== null && symbolFonts.has(state.font) ? symbolText(pending, decoderNow()) : decoderNow().decode(Uint8Array.from(pending));
    pending = [];
    if (!state.skip && !state.hidden && !state.deleted) para.text += t;
  };
  const add = (t: string) => {
    flushBytes();
    if (state.label) t = plainBullet(t);
    if (skipChars > 0) {
      const n = Math.min(skipChars, t.length);
      skipChars -= n;
      t = t.slice(n);
    }
    if (t && !state.skip && !state.hidden && !state.deleted) para.text += t;
  };
  const endParagraph = () => {
    flushBytes();
    const text = para.text.replace(/[ \t\u00a0]+/g, " ").replace(/ ?\n ?/g, "\n").trim();
    const level: StyleLevel = para.outline !== null ? (para.outline <= 8 ? para.outline : null) : para.style !== null ? (styles.get(para.style) ?? null) : null;
    if (text) into().push({ level, text });
    para = { text: "", style: para.style, outline: para.outline, labeled: false };
  };
  const token = /\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z'])|([{}])|([\r\n]+)|([^\\{}\r\n]+)/g;
  for (let m = token.exec(src); m; m = token.exec(src)) {
    const [, word, num, hex, symbol, brace, , text] = m;
    const wasGroupStart = groupStart;
    const wasStarred = starred;
    groupStart = false;
    starred = false;
    if (hex !== undefined) {
      if (skipChars > 0) skipChars--;
      else pending.push(parseInt(hex, 16));
      continue;
    }
    if (brace === "{") {
      flushBytes();
      stack.push(state);
      state = { ...state, footnote: false };
      groupStart = true;
      continue;
    }
    if (brace === "}") {
      flushBytes();
      if (state.footnote) {
        endParagraph();
        para = cited.pop() ?? para;
      }
      state = stack.pop() ?? state;
      skipChars = 0;
      continue;
    }
    if (text !== undefined) {
      // raw bytes above 0x7f are in the code page as \'hh are
      if (/[\x80-\xff]/.test(text)) {
        for (const ch of text) {
          if (ch.charCodeAt(0) > 0x7f) {
            if (skipChars > 0) skipChars--;
            else pending.push(ch.charCodeAt(0));
          } else add(ch);
        }
      } else add(text);
      continue;
    }
    if (symbol !== undefined) {
      if (symbol === "*") {
        if (wasGroupStart) {
          state.skip = true; // {\* ...}: a destination this reader need not know (but see \footnote)
          starred = true;
        }
      } else if (symbol === "~") add("\u00a0");
      else if (symbol === "_") add("-");
      else if (symbol === "\\" || symbol === "{" || symbol === "}") add(symbol);
      else if (symbol === "\n" || symbol === "\r") endParagraph(); // "\" at a line's end is \par
      continue;
    }
    if (word === undefined) continue; // line ends between tokens
    const n = num === undefined ? null : Number(num);
    if (word === "bin" && n !== null) {
      token.lastIndex += Math.max(0, n); // raw data (a picture's): jumped over
      continue;
    }
    flushBytes(); // (under the state they were read in: \v0 must not show bytes read hidden)
    if (wasStarred && word === "footnote") state.skip = stack[stack.length - 1]?.skip ?? false; // LibreOffice writes {\*\footnote}
    if (wasGroupStart && SKIPPED.has(word)) state.skip = true;
    if (wasGroupStart && (word === "listtext" || word === "pntext") && !state.skip) {
      // a list item's number or bullet as the writer shows it ("1.", "a)", "•"), its tab a space
      if (para.labeled) state.skip = true;
      else state.label = para.labeled = true;
    }
    if (state.skip) continue; // (a header's \par or \pard must not end or restyle the text's paragraph)
    if (word in CHARS) add(CHARS[word]);
    else if (word === "u" && n !== null) {
      add(String.fromCharCode(n < 0 ? n + 65536 : n));
      skipChars = state.uc;
    } else if (word === "uc" && n !== null) state.uc = Math.max(0, Math.min(n, 10));
    else if (state.label && (word === "pard" || word === "s" || word === "outlinelevel")) continue; // (the label's own, not its paragraph's)
    else if (PARAGRAPH_ENDS.has(word)) endParagraph();
    else if (word === "pard") {
      para.style = null;
      para.outline = null;
    } else if (word === "s" && n !== null) para.style = n;
    else if (word === "outlinelevel" && n !== null) para.outline = n;
    else if (word === "v") state.hidden = n !== 0;
    else if (word === "plain") {
      state.hidden = false; // (character formatting back to the default)
      state.font = Number.isNaN(defaultFont) ? null : defaultFont;
    } else if (word === "f" && n !== null) state.font = n;
    else if (word === "deleted") state.deleted = n !== 0;
    else if (word === "ansicpg" && n !== null) decoder = codePage(n) ?? decoder;
    else if (word === "footnote" && (wasGroupStart || wasStarred)) {
      // its mark where it stands (numbered in order, as \chftn shows it), its text apart until its group ends
      flushBytes();
      const mark = String(++counted.foot);
      if (!state.hidden && !state.deleted) para.text += `[${mark}]`;
      notes.push({ kind: "foot", mark, paragraphs: [] });
      cited.push(para);
      para = { text: "", style: null, outline: null, labeled: false };
      state.footnote = true;
    } else if (word === "ftnalt" && state.footnote && notes[notes.length - 1].kind === "foot") {
      // an endnote: numbered apart, its mark in the text renumbered
      const note = notes[notes.length - 1];
      const old = `[${note.mark}]`;
      note.kind = "end";
      counted.foot--; // (its number is the next footnote's)
      note.mark = String(++counted.end);
      const c = cited[cited.length - 1];
      const at = c.text.lastIndexOf(old);
      if (at >= 0) c.text = c.text.slice(0, at) + `[${note.mark}]` + c.text.slice(at + old.length);
    }
  }
  endParagraph();
  const listed = (kind: "foot" | "end") => notes.filter((x) => x.kind === kind);
  return paragraphsBook("rtf", WHAT, [...body, ...notesSection("Notes", listed("foot")), ...notesSection("Endnotes", listed("end"))], info, opts);
}

function codePage(n: number): InstanceType<typeof TextDecoder> | null {
  try {
    return new TextDecoder(CODE_PAGES[n] ?? `windows-${n}`);
  } catch {
    return null;
  }
}

/** The font table's fonts -> the code page their text is in, where it names one (\fcharsetN, \cpgN). */
function fontCodePages(src: string): Map<number, number> {
  const at = src.indexOf("{\\fonttbl");
  const out = new Map<number, number>();
  if (at < 0) return out;
  for (const m of src.slice(at, groupEnd(src, at)).matchAll(/\\f(\d+)((?:\\[a-z]+-?\d* ?|[^\\;{}])*)/g)) {
    const cpg = /\\cpg(\d+)/.exec(m[2])?.[1];
    const charset = /\\fcharset(\d+)/.exec(m[2])?.[1];
    const cp = cpg !== undefined ? Number(cpg) : charset !== undefined ? CHARSET_CODE_PAGES[Number(charset)] : undefined;
    if (cp !== undefined) out.set(Number(m[1]), cp);
  }
  return out;
}

/** The stylesheet's paragraph styles: number -> heading level (through \sbasedon), "title", "subtitle". */
function stylesheet(src: string): Map<number, StyleLevel> {
  const at = src.indexOf("{\\stylesheet");
  const out = new Map<number, StyleLevel>();
  if (at < 0) return out;
  const own = new Map<number, { name: string; basedOn: number | null; outline: number | null }>();
  // each style: {\sN ... name;} (character and table styles are \*\csN, \*\tsN)
  const end = groupEnd(src, at);
  for (const m of src.slice(at, end).matchAll(/\{\\s(\d+)([^{};]*(?:\{[^{}]*\}[^{};]*)*);?\}/g)) {
    const words = m[2];
    const name = words.replace(/\{[^{}]*\}/g, "").replace(/\\[a-z]+-?\d* ?/gi, "").trim().toLowerCase();
    const based = /\\sbasedon(\d+)/.exec(words);
    const outline = /\\outlinelevel(\d+)/.exec(words);
    own.set(Number(m[1]), { name, basedOn: based ? Number(based[1]) : null, outline: outline ? Number(outline[1]) : null });
  }
  const level = (n: number, depth = 0): StyleLevel => {
    const s = own.get(n);
    if (!s) return null;
    if (s.outline !== null && s.outline <= 8) return s.outline;
    const h = /^heading (\d)$/.exec(s.name);
    if (h) return Number(h[1]) - 1;
    if (s.name === "title" || s.name === "subtitle") return s.name;
    return s.basedOn !== null && s.basedOn !== n && depth < 10 ? level(s.basedOn, depth + 1) : null;
  };
  for (const n of own.keys()) out.set(n, level(n));
  return out;
}

/** The \info group's \title and \author (plain text: escapes undone as far as labels need). */
function documentInfo(src: string): { title: string | null; author: string | null } {
  const at = src.indexOf("{\\info");
  const info = at < 0 ? "" : src.slice(at, groupEnd(src, at));
  const field = (name: string) => {
    const m = new RegExp(`\\{\\\\${name}\\b ?([^{}]*)\\}`).exec(info);
    if (!m) return null;
    const t = m[1]
      .replace(/\\u(-?\d+) ?(?:\\'[0-9a-f]{2}|\?)?/gi, (_, d: string) => String.fromCharCode((Number(d) + 65536) % 65536))
      .replace(/\\'([0-9a-f]{2})/gi, (_, h: string) => new TextDecoder("windows-1252").decode(Uint8Array.of(parseInt(h, 16))))
      .replace(/\\[a-z]+-?\d* ?/gi, "")
      .replace(/\s+/g, " ")
      .trim();
    return t || null;
  };
  return { title: field("title"), author: field("author") };
}

/** Where the group opened at `at` ends (past its "}"), braces and escapes counted; the text's end if never. */
function groupEnd(src: string, at: number): number {
  let depth = 0;
  for (let i = at; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return src.length;
}

/** Fonts whose characters are symbols (\fcharset2: Symbol, Wingdings), where Word sets list bullets. */
function symbolFontsOf(src: string): Set<number> {
  const at = src.indexOf("{\\fonttbl");
  const out = new Set<number>();
  if (at < 0) return out;
  for (const m of src.slice(at, groupEnd(src, at)).matchAll(/\\f(\d+)((?:\\[a-z]+-?\d* ?|[^\\;{}])*)/g)) if (/\\fcharset2\b/.test(m[2])) out.add(Number(m[1]));
  return out;
}

/** Bytes in a symbol font: its bullets (Symbol's 0xB7, Wingdings' 0xA7) as Unicode's, the rest as the document's code page reads them. */
function symbolText(bytes: number[], decoder: InstanceType<typeof TextDecoder>): string {
  return bytes.map((b) => (b === 0xb7 ? "\u2022" : b === 0xa7 ? "\u25aa" : decoder.decode(Uint8Array.of(b)))).join("");
}
