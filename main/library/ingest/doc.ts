// Word 97-2003 documents (.doc): a compound file (./cfb) whose WordDocument
// stream holds the text in pieces (./doc-fib), read as the Word and OpenDocument
// readers read theirs (./document-book: headings as chapters, notes after the text).
//   paragraphs   end at a paragraph mark (0x0D), a table cell's or row's end
//                (0x07), a page or section break (0x0C), a column break (0x0E);
//                0x0B is a line break, 0x1E a non-breaking hyphen, 0x1F an
//                optional one (left out)
//   headings     by the paragraph's style (./doc-styles): Heading 1-3 (or a style
//                based on one), Title; else by its own outline level
//   numbers      a numbered heading's or list item's label ("1.1", "a)", "•";
//                ./doc-lists), as the .docx reader shows them
//   fields       0x13 code 0x14 result 0x15: the code is left out, the result
//                (a date, a page reference's number) stays, but for a TOC's (the
//                headings again, with page numbers); fields nest
//   notes        a note's mark (0x02) reads [n], footnotes and endnotes each
//                numbered in the order called, as the .docx reader does, and
//                listed after the text under "Notes" and "Endnotes" (which calls
//                are footnotes: the footnote references' positions, FIB pair 2;
//                where each note starts: pairs 3 and 47)
//   left out     deleted revisions and hidden text (./doc-characters); headers,
//                footers, comments, text boxes (stories of their own), pictures
//                (0x01, 0x08)
// Title and author: the summary information's (./ole-properties). Refused: an
// encrypted document `ENCRYPTED`; Word 6 and 95 files `UNSUPPORTED_FORMAT`. An RTF,
// a .docx, a web page or plain text named .doc (Word saves all of them so) is read
// as what it is.
import { AppError } from "../../ipc/errors";
import { CompoundFile, isCompoundFile } from "./cfb";
import { PieceText, readFib, type Fib } from "./doc-fib";
import { ParagraphStyles, styleLevels } from "./doc-styles";
import { DocLists } from "./doc-lists";
import { LeftOutCharacters } from "./doc-characters";
import { notesSection, paragraphsBook, TOC_FIELD, type BodyParagraph, type StyleLevel } from "./document-book";
import { summaryInfo } from "./ole-properties";
import { readDocx } from "./docx";
import { readRtf } from "./rtf";
import { readHtml } from "./html";
import { readTxt } from "./txt";
import { looksBinary } from "./decode";
import { corrupt, encrypted } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "Word document";

interface Note {
  mark: string;
  paragraphs: BodyParagraph[];
}
/** nFib of Word 97 and later; Word 6 and 95 files have less. */
const WORD_97 = 0xc1;
// FIB pairs (index into the (offset, length) list)
const STYLE_SHEET = 1;
const FOOTNOTE_REFS = 2;
const FOOTNOTE_TEXTS = 3;
const CHARACTER_BINS = 12;
const PARAGRAPH_BINS = 13;
const LISTS = 73;
const LIST_OVERRIDES = 74;
const ENDNOTE_TEXTS = 47;
/** Code kept to tell a TOC (a field's code may be long: an INCLUDEPICTURE's path). */
const MAX_FIELD_CODE = 64;

export function readDoc(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (!isCompoundFile(bytes)) {
    if (/^\s*\{\\rtf/.test(Buffer.from(bytes.subarray(0, 16)).toString("latin1"))) return readRtf(bytes, opts);
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) return readDocx(bytes, opts);
    if (looksBinary(bytes)) throw corrupt(WHAT, "not a Word 97-2003 document");
    // a web page or plain text named .doc (Word's "Save as Web Page" kept the name)
    return /<html\b|<!doctype html/i.test(Buffer.from(bytes.subarray(0, 4096)).toString("latin1")) ? readHtml(bytes, opts) : readTxt(bytes, opts);
  }
  const cf = new CompoundFile(bytes, WHAT);
  if (cf.has("EncryptedPackage")) throw encrypted(WHAT); // an encrypted .docx
  const word = cf.stream("WordDocument");
  if (!word) throw corrupt(WHAT, "no WordDocument stream: another program's compound file");
  const fib = readFib(word);
  if (fib.nFib < WORD_97) throw new AppError("UNSUPPORTED_FORMAT", "This is a Word 6 or Word 95 document; open it in Word or LibreOffice and save it as .docx.");
  if (fib.encrypted) throw encrypted(WHAT);
  const table = cf.stream(fib.table);
  if (!table) throw corrupt(WHAT, `no ${fib.table} stream`);
  const pieces = new PieceText(word, table, fib);
  const levels = styleLevels(table, fib.fcLcb(STYLE_SHEET));
  const styles = new ParagraphStyles(word, table, fib.fcLcb(PARAGRAPH_BINS));
  const lists = new DocLists(table, fib.fcLcb(LISTS), fib.fcLcb(LIST_OVERRIDES));
  const leftOut = new LeftOutCharacters(word, table, fib.fcLcb(CHARACTER_BINS));
  const shown = (fc: number) => !leftOut.at(fc);
  const s = fib.stories;
  const footnotes = notesOf(pieces, s.text, s.footnotes, table, fib, FOOTNOTE_TEXTS, shown);
  const endStory = s.text + s.footnotes + s.headers + s.macros + s.comments;
  const endnotes = notesOf(pieces, endStory, s.endnotes, table, fib, ENDNOTE_TEXTS, shown);
  const footnoteRefs = new Set(plcPositions(table, fib.fcLcb(FOOTNOTE_REFS), 2));
  // footnotes and endnotes numbered apart, each in the order called, as Word numbers them
  const called = { foot: [] as Note[], end: [] as Note[] };
  const body = paragraphs(pieces.slice(0, s.text), 0, shown, (cp) => {
    const [list, notes] = footnoteRefs.has(cp) ? [called.foot, footnotes] : [called.end, endnotes];
    const mark = String(list.length + 1);
    list.push({ mark, paragraphs: notes[list.length] ?? [] });
    return `[${mark}]`;
  }, (fc) => {
    const { istd, outline, ilfo, ilvl } = styles.at(fc);
    return { level: levels[istd] ?? (outline <= 8 ? outline : null), label: ilfo ? lists.label(ilfo, ilvl) : null };
  });
  const info = summaryInfo(cf.stream("\u0005SummaryInformation"));
  return paragraphsBook("doc", WHAT, [...body, ...notesSection("Notes", called.foot), ...notesSection("Endnotes", called.end)], info, opts);
}

/**
 * A story's paragraphs (see the file comment). `cpBase`: the story's first character position;
 * `shown(fc)`: whether the character stored there is text (not deleted, not hidden: a hidden
 * paragraph mark joins its paragraph to the next, as Word shows it); `noteMark(cp)`: the text
 * for a note's mark there (null: the mark is dropped, in a note's own
 * story); `at(fc)`: a paragraph's level and automatic number by its mark's FC (read when the
 * mark is, so numbers are counted in the text's order).
 */
export function paragraphs(
  { text, fcs }: { text: string; fcs: Int32Array },
  cpBase: number,
  shown: (fc: number) => boolean,
  noteMark: ((cp: number) => string) | null,
  at: (fc: number) => { level: StyleLevel; label: string | null },
): BodyParagraph[] {
  const out: BodyParagraph[] = [];
  let cur = "";
  // per open field: the part being read (a TOC's result is hidden as a code is), its code so far
  const fields: { part: "code" | "result" | "hidden"; code: string }[] = [];
  let inCode = 0;
  const end = (level: StyleLevel, label: string | null = null) => {
    const body = cur.trim();
    out.push({ level, text: label && body ? `${label} ${body}` : body });
    cur = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = fields[fields.length - 1];
    if (c === 0x13) {
      fields.push({ part: "code", code: "" });
      inCode++;
    } else if (c === 0x14) {
      if (top?.part === "code") {
        top.part = TOC_FIELD.test(top.code) ? "hidden" : "result";
        if (top.part === "result") inCode--;
      }
    } else if (c === 0x15) {
      if (top) {
        fields.pop();
        if (top.part !== "result") inCode--;
      }
    } else if (inCode) {
      if (top?.part === "code" && top.code.length < MAX_FIELD_CODE) top.code += text[i];
    }
    if (c === 0x13 || c === 0x14 || c === 0x15 || inCode || !shown(fcs[i])) continue;
    if (c === 0x0d || c === 0x07) {
      // (a cell's last paragraph ends at the cell's mark, with the paragraph's properties)
      const p = at(fcs[i]);
      end(p.level, p.label);
    } else if (c === 0x0c || c === 0x0e) end(null);
    else if (c === 0x0b) cur += "\n";
    else if (c === 0x1e) cur += "-";
    else if (c === 0x09) cur += " ";
    else if (c === 0x02) cur += noteMark ? noteMark(cpBase + i) : "";
    else if (c >= 0x20 || c === 0x0a) cur += text[i];
    // other control characters (pictures, drawn objects, comments' marks) hold no text
  }
  if (cur.trim()) end(null);
  return out.filter((p) => p.text);
}

/** A note story's notes, each its paragraphs; where each starts from its text PLC, else at each 0x02. */
function notesOf(pieces: PieceText, from: number, length: number, table: Uint8Array, fib: Fib, pair: number, shown: (fc: number) => boolean): BodyParagraph[][] {
  if (!length) return [];
  const starts = plcPositions(table, fib.fcLcb(pair), 0).filter((cp) => cp < length);
  const story = pieces.slice(from, from + length);
  const cuts = starts.length ? starts : [...story.text.matchAll(/\u0002/g)].map((m) => m.index!);
  return cuts.map((start, i) => {
    const stop = i + 1 < cuts.length ? cuts[i + 1] : story.text.length;
    const part = { text: story.text.slice(start, stop), fcs: story.fcs.subarray(start, stop) };
    return paragraphs(part, from + start, shown, null, () => ({ level: null, label: null }));
  });
}

/** A PLC's character positions (n+1 of them, then n data items of `dataSize` bytes): the first n. */
function plcPositions(table: Uint8Array, [fc, lcb]: [number, number], dataSize: number): number[] {
  if (!lcb || fc + lcb > table.length || lcb < 4 || (lcb - 4) % (4 + dataSize)) return [];
  const n = (lcb - 4) / (4 + dataSize);
  const v = new DataView(table.buffer, table.byteOffset + fc, lcb);
  return Array.from({ length: n }, (_, i) => v.getUint32(4 * i, true));
}
