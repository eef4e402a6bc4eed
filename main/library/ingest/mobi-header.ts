// The containers of a Kindle book: a Palm database (PDB) of records, whose record
// 0 holds the book's headers.
//   PDB header     name (32 bytes), ..., type (60) and creator (64): "BOOK" "MOBI"
//                  for Mobipocket and Kindle books, "TEXt" "REAd" for PalmDOC
//                  text; record count (76, u16); then 8 bytes a record: its offset
//   PalmDOC header compression (0: 1 none, 2 PalmDOC, 17480 HUFF/CDIC), text
//                  length (4), text record count (8), encryption (12: DRM if not 0)
//   MOBI header    "MOBI" (16), its length (20), text encoding (28: 1252 or 65001),
//                  format version (36: 8 for KF8), full name offset and length
//                  (84, 88), HUFF record and count (112, 116), EXTH flags (128),
//                  KF8's FDST record and count (192, 196: "FDST", 12, flow count,
//                  then each flow's start and end), extra data flags (242),
//                  NCX index record (244); record numbers count from this record 0
//   EXTH           "EXTH", length, count, then (type, length, data): 100 author,
//                  503 title, 121 the first record of a KF8 part in a file that
//                  holds both an old-style (MOBI 6) book and a KF8 one
// Offsets are from record 0's start; big-endian throughout.
import { decode1252 } from "./decode";
import { corrupt } from "./errors";

const WHAT = "Kindle book";
const NONE = 0xffffffff;

export interface PalmDatabase {
  name: string;
  /** type and creator, 8 characters ("BOOKMOBI") */
  kind: string;
  records: Uint8Array[];
}

export interface MobiHeader {
  compression: number;
  textLength: number;
  textRecords: number;
  encryption: number;
  utf8: boolean;
  version: number;
  fullName: string | null;
  huffRecord: number;
  huffCount: number;
  extraFlags: number;
  /** NCX index's main record, or null */
  ncx: number | null;
  /** KF8: the FDST record (flow boundaries), or null */
  fdst: number | null;
  /** EXTH records by type, their data */
  exth: Map<number, Uint8Array[]>;
}

const u32 = (b: Uint8Array, at: number) => (at + 4 <= b.length ? ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0 : NONE);
const u16 = (b: Uint8Array, at: number) => (at + 2 <= b.length ? (b[at] << 8) | b[at + 1] : 0);
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

export function readPalmDatabase(bytes: Uint8Array): PalmDatabase {
  if (bytes.length < 78) throw corrupt(WHAT, "shorter than a Palm database header");
  const count = u16(bytes, 76);
  if (count === 0 || 78 + 8 * count > bytes.length) throw corrupt(WHAT, "its record list runs past the file");
  const offsets = Array.from({ length: count }, (_, i) => u32(bytes, 78 + 8 * i));
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const from = offsets[i];
    const to = i + 1 < count ? offsets[i + 1] : bytes.length;
    if (from < 78 + 8 * count || to < from || to > bytes.length) throw corrupt(WHAT, `record ${i} lies outside the file`);
    records.push(bytes.subarray(from, to));
  }
  const nul = bytes.subarray(0, 32).indexOf(0);
  return { name: decode1252(bytes.subarray(0, nul < 0 ? 32 : nul)), kind: ascii(bytes, 60, 68), records };
}

/** The headers of a record 0 (see the file comment). */
export function readMobiHeader(rec: Uint8Array): MobiHeader {
  if (rec.length < 16) throw corrupt(WHAT, "its first record is too short for a header");
  const mobi = rec.length >= 24 && ascii(rec, 16, 20) === "MOBI";
  const headerLength = mobi ? u32(rec, 20) : 0;
  const has = (at: number, size: number) => mobi && at + size <= 16 + headerLength && at + size <= rec.length;
  const encoding = has(28, 4) ? u32(rec, 28) : 1252;
  const utf8 = encoding === 65001;
  const exth = has(128, 4) && u32(rec, 128) & 0x40 ? readExth(rec, 16 + headerLength) : new Map<number, Uint8Array[]>();
  const nameAt = has(84, 8) ? u32(rec, 84) : NONE;
  const nameLength = has(84, 8) ? u32(rec, 88) : 0;
  const fullName = nameAt !== NONE && nameLength > 0 && nameAt + nameLength <= rec.length ? textOf(rec.subarray(nameAt, nameAt + nameLength), utf8) : null;
  const record = (at: number) => (has(at, 4) && u32(rec, at) !== NONE ? u32(rec, at) : null);
  const version = has(36, 4) ? u32(rec, 36) : 0;
  return {
    compression: u16(rec, 0),
    textLength: u32(rec, 4),
    textRecords: u16(rec, 8),
    encryption: u16(rec, 12),
    utf8,
    version,
    fullName,
    huffRecord: has(112, 4) ? u32(rec, 112) : 0,
    huffCount: has(116, 4) ? u32(rec, 116) : 0,
    extraFlags: has(242, 2) ? u16(rec, 242) : 0,
    ncx: record(244),
    fdst: version >= 8 && has(196, 4) && u32(rec, 196) > 1 ? record(192) : null,
    exth,
  };
}

function readExth(rec: Uint8Array, at: number): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  if (at + 12 > rec.length || ascii(rec, at, at + 4) !== "EXTH") return out;
  const count = u32(rec, at + 8);
  let p = at + 12;
  for (let i = 0; i < count && p + 8 <= rec.length; i++) {
    const type = u32(rec, p);
    const length = u32(rec, p + 4);
    if (length < 8 || p + length > rec.length) break; // a malformed record ends the metadata, not the book
    out.set(type, [...(out.get(type) ?? []), rec.subarray(p + 8, p + length)]);
    p += length;
  }
  return out;
}

/** Bytes of the book's text encoding as a string. */
export function textOf(b: Uint8Array, utf8: boolean): string {
  return utf8 ? new TextDecoder("utf-8").decode(b) : decode1252(b);
}

/** An EXTH number (121, the KF8 part's first record) or null. */
export function exthNumber(h: MobiHeader, type: number): number | null {
  const d = h.exth.get(type)?.[0];
  return d && d.length === 4 ? u32(d, 0) : null;
}

/** The KF8 FDST record's first flow (the book's markup; the others are its styles and pictures) as [start, end), or null. */
export function firstFlow(rec: Uint8Array | undefined): [number, number] | null {
  if (!rec || rec.length < 20 || ascii(rec, 0, 4) !== "FDST") return null;
  if (u32(rec, 8) < 1) return null;
  return [u32(rec, 12), u32(rec, 16)];
}
