// A Word 97-2003 document's File Information Block and its text ([MS-DOC]).
//   FIB        at the WordDocument stream's start: wIdent 0xA5EC, nFib (193 for
//              Word 97 and later), flags (10: 0x0100 encrypted, 0x0200 the table
//              stream is "1Table", else "0Table"); then counts of 16- and 32-bit
//              fields, the 32-bit ones holding the lengths of the stories (text,
//              footnotes, headers, macros, comments, endnotes, text boxes), then
//              (offset, length) pairs into the table stream: 1 the style sheet,
//              13 the paragraph properties' bins, 33 the piece table (CLX)
//   CLX        property runs (0x01, i16 size, bytes) skipped, then 0x02, u32 size,
//              the piece table: n+1 character positions, then n 8-byte pieces whose
//              u32 at 2 is where the piece's text is in WordDocument: bit 30 set,
//              1 byte a character (Windows-1252) at (value & 0x3FFFFFFF) / 2; else
//              UTF-16 LE at the value
// Stories follow one another in character positions: the text, then footnotes,
// headers, macros, comments, endnotes.
import { decode1252 } from "./decode";
import { corrupt } from "./errors";

const WHAT = "Word document";

export interface Fib {
  nFib: number;
  encrypted: boolean;
  table: "0Table" | "1Table";
  /** characters in the main text, footnotes, headers, macros, comments, endnotes */
  stories: { text: number; footnotes: number; headers: number; macros: number; comments: number; endnotes: number };
  /** (offset, length) pairs into the table stream, by index */
  fcLcb: (i: number) => [number, number];
}

export function readFib(word: Uint8Array): Fib {
  const v = new DataView(word.buffer, word.byteOffset, word.byteLength);
  if (word.length < 0x9a || v.getUint16(0, true) !== 0xa5ec) throw corrupt(WHAT, "no Word file information block");
  const flags = v.getUint16(10, true);
  const csw = v.getUint16(32, true);
  const lwAt = 34 + 2 * csw; // cslw, then the 32-bit fields
  if (lwAt + 2 > word.length) throw corrupt(WHAT, "its file information block is cut short");
  const cslw = v.getUint16(lwAt, true);
  const lw = (i: number) => (i < cslw && lwAt + 2 + 4 * i + 4 <= word.length ? v.getInt32(lwAt + 2 + 4 * i, true) : 0);
  const pairsAt = lwAt + 2 + 4 * cslw;
  const pairCount = pairsAt + 2 <= word.length ? v.getUint16(pairsAt, true) : 0;
  const count = (n: number) => Math.max(0, n);
  return {
    nFib: v.getUint16(2, true),
    encrypted: (flags & 0x0100) !== 0,
    table: flags & 0x0200 ? "1Table" : "0Table",
    stories: { text: count(lw(3)), footnotes: count(lw(4)), headers: count(lw(5)), macros: count(lw(6)), comments: count(lw(7)), endnotes: count(lw(8)) },
    fcLcb: (i) => {
      const at = pairsAt + 2 + 8 * i;
      return i < pairCount && at + 8 <= word.length ? [v.getUint32(at, true), v.getUint32(at + 4, true)] : [0, 0];
    },
  };
}

interface Piece {
  cpStart: number;
  cpEnd: number;
  /** byte offset of its first character in WordDocument */
  fc: number;
  compressed: boolean;
}

/** The document's text, by character position, with each character's place (FC) in WordDocument. */
export class PieceText {
  private readonly pieces: Piece[] = [];

  constructor(private readonly word: Uint8Array, table: Uint8Array, fib: Fib) {
    const [fcClx, lcbClx] = fib.fcLcb(33);
    if (!lcbClx || fcClx + lcbClx > table.length) throw corrupt(WHAT, "no piece table");
    const t = new DataView(table.buffer, table.byteOffset + fcClx, lcbClx);
    let p = 0;
    while (p < lcbClx && t.getUint8(p) === 0x01) {
      if (p + 3 > lcbClx) throw corrupt(WHAT, "its piece table is cut short");
      p += 3 + t.getInt16(p + 1, true); // property runs for the pieces: not needed for the text
    }
    if (p + 5 > lcbClx || t.getUint8(p) !== 0x02) throw corrupt(WHAT, "its piece table is malformed");
    const size = t.getUint32(p + 1, true);
    const at = p + 5;
    if (size < 4 || at + size > lcbClx || (size - 4) % 12) throw corrupt(WHAT, "its piece table has a wrong size");
    const n = (size - 4) / 12;
    for (let i = 0; i < n; i++) {
      const cpStart = t.getUint32(at + 4 * i, true);
      const cpEnd = t.getUint32(at + 4 * (i + 1), true);
      const raw = t.getUint32(at + 4 * (n + 1) + 8 * i + 2, true);
      const compressed = (raw & 0x40000000) !== 0;
      const fc = compressed ? (raw & 0x3fffffff) / 2 : raw;
      if (cpEnd < cpStart || fc + (cpEnd - cpStart) * (compressed ? 1 : 2) > word.length) throw corrupt(WHAT, "a piece of its text lies outside the file");
      this.pieces.push({ cpStart, cpEnd, fc, compressed });
    }
  }

  /**
   * The characters in [from, to), each with the FC where it is stored (for the paragraph
   * properties, which are found by FC).
   */
  slice(from: number, to: number): { text: string; fcs: Int32Array } {
    const parts: string[] = [];
    const fcs = new Int32Array(Math.max(0, to - from));
    let n = 0;
    for (const p of this.pieces) {
      const a = Math.max(from, p.cpStart);
      const b = Math.min(to, p.cpEnd);
      if (a >= b) continue;
      const width = p.compressed ? 1 : 2;
      const start = p.fc + (a - p.cpStart) * width;
      const bytes = this.word.subarray(start, start + (b - a) * width);
      parts.push(p.compressed ? decode1252(bytes) : utf16le(bytes));
      for (let k = 0; k < b - a; k++) fcs[n++] = start + k * width;
    }
    const text = parts.join("");
    return { text, fcs: fcs.subarray(0, Math.min(n, text.length)) };
  }
}

function utf16le(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength & ~1).toString("utf16le");
}
