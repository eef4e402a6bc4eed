// A Mobipocket/Kindle index (INDX records): here, the table of contents (NCX) of
// an old-style (MOBI 6) book, which is where its chapters are: its markup has
// no headings to find them by (a converter's chapter titles are <font> and <b>).
//   main record     "INDX", header length (4), IDXT offset (20), data record count
//                   (24), text encoding (28), entry count (36), CNCX record count
//                   (52); at the header's end the TAGX section: "TAGX", its length,
//                   control byte count, then 4-byte tags (tag, values per entry,
//                   bit mask, end of a control byte's tags)
//   data records    "INDX" headers whose IDXT ("IDXT", u16 offsets) lists entries:
//                   a name (length byte, bytes), control bytes, then tag values as
//                   forward numbers (7 bits a byte, most significant first, the
//                   last byte's top bit set)
//   CNCX records    strings the entries point to (record * 0x10000 + offset): a
//                   forward number, the length, then the bytes
// NCX tags: 1 the entry's position (a byte offset in the book's text), 3 its label
// (CNCX), 4 its depth.
import { corrupt } from "./errors";

const WHAT = "Kindle book";

export interface NcxEntry {
  /** byte offset into the uncompressed text */
  position: number;
  label: string;
  depth: number;
}

interface Tag {
  tag: number;
  perEntry: number;
  mask: number;
  endOfByte: boolean;
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const isIndx = (b: Uint8Array | undefined): b is Uint8Array => !!b && b.length >= 56 && String.fromCharCode(b[0], b[1], b[2], b[3]) === "INDX";
const bitCount = (n: number) => n.toString(2).replace(/0/g, "").length;

/** A forward number at `at` (see the file comment): its value and the byte after it. */
function forward(b: Uint8Array, at: number, end: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    if (at >= end) throw corrupt(WHAT, "an index entry runs past its end");
    const c = b[at++];
    v = v * 128 + (c & 0x7f);
    if (c & 0x80) return [v, at];
  }
  throw corrupt(WHAT, "an index number is too long");
}

/**
 * The NCX entries of the index whose main record is `records[first]`, in file order, with their
 * labels decoded by `decode`. Throws CORRUPT_FILE on a malformed index (the caller may read the
 * book without it).
 */
export function readNcx(records: Uint8Array[], first: number, decode: (b: Uint8Array) => string): NcxEntry[] {
  const main = records[first];
  if (!isIndx(main)) throw corrupt(WHAT, "its table of contents is not an index record");
  const headerLength = u32(main, 4);
  const dataRecords = u32(main, 24);
  const cncxRecords = u32(main, 52);
  if (first + 1 + dataRecords + cncxRecords > records.length) throw corrupt(WHAT, "its table of contents names records the file lacks");
  const tags = readTagx(main, headerLength);
  const controlBytes = u32(main, headerLength + 8);
  const cncx = records.slice(first + 1 + dataRecords, first + 1 + dataRecords + cncxRecords);
  const label = (offset: number): string => {
    const rec = cncx[Math.floor(offset / 0x10000)];
    const at = offset % 0x10000;
    if (!rec || at >= rec.length) return "";
    const [length, from] = forward(rec, at, rec.length);
    return decode(rec.subarray(from, Math.min(rec.length, from + length)));
  };
  const entries: NcxEntry[] = [];
  for (let r = first + 1; r <= first + dataRecords; r++) {
    for (const values of recordEntries(records[r], tags, controlBytes)) {
      const position = values.get(1)?.[0];
      if (position === undefined) continue;
      entries.push({ position, label: label(values.get(3)?.[0] ?? -1), depth: values.get(4)?.[0] ?? 0 });
    }
  }
  return entries;
}

function readTagx(main: Uint8Array, at: number): Tag[] {
  if (at + 12 > main.length || String.fromCharCode(main[at], main[at + 1], main[at + 2], main[at + 3]) !== "TAGX")
    throw corrupt(WHAT, "its table of contents has no TAGX section");
  const length = u32(main, at + 4);
  if (length < 12 || at + length > main.length) throw corrupt(WHAT, "its table of contents' TAGX section runs past its record");
  const tags: Tag[] = [];
  for (let p = at + 12; p + 4 <= at + length; p += 4) tags.push({ tag: main[p], perEntry: main[p + 1], mask: main[p + 2], endOfByte: main[p + 3] === 1 });
  return tags;
}

/** Each entry's tag values (tag -> values) in one data record. */
function* recordEntries(rec: Uint8Array | undefined, tags: Tag[], controlBytes: number): Generator<Map<number, number[]>> {
  if (!isIndx(rec)) throw corrupt(WHAT, "a table of contents record is not an index record");
  const idxt = u32(rec, 20);
  const count = u32(rec, 24);
  if (idxt + 4 + 2 * count > rec.length || String.fromCharCode(rec[idxt], rec[idxt + 1], rec[idxt + 2], rec[idxt + 3]) !== "IDXT")
    throw corrupt(WHAT, "a table of contents record has no IDXT section");
  for (let i = 0; i < count; i++) {
    const start = u16(rec, idxt + 4 + 2 * i);
    const end = i + 1 < count ? u16(rec, idxt + 6 + 2 * i) : idxt;
    if (start >= end || end > rec.length) throw corrupt(WHAT, "a table of contents entry lies outside its record");
    yield entryValues(rec, start + 1 + rec[start], end, tags, controlBytes);
  }
}

/** One entry's tag values, read from its control bytes at `at` (past its name) to `end`. */
function entryValues(rec: Uint8Array, at: number, end: number, tags: Tag[], controlBytes: number): Map<number, number[]> {
  let control = at;
  let p = at + controlBytes;
  if (p > end) throw corrupt(WHAT, "a table of contents entry runs past its end");
  // which tags this entry has, and how many values (a count) or bytes (a size) each holds
  const present: { tag: number; perEntry: number; count: number | null; bytes: number | null }[] = [];
  for (const t of tags) {
    if (t.endOfByte) {
      control++;
      continue;
    }
    let v = rec[control] & t.mask;
    if (!v) continue;
    if (v === t.mask && bitCount(t.mask) > 1) {
      const [bytes, next] = forward(rec, p, end);
      p = next;
      present.push({ tag: t.tag, perEntry: t.perEntry, count: null, bytes });
    } else {
      for (let m = t.mask; !(m & 1); m >>= 1) v >>= 1;
      present.push({ tag: t.tag, perEntry: t.perEntry, count: v, bytes: null });
    }
  }
  const values = new Map<number, number[]>();
  for (const t of present) {
    const vs: number[] = [];
    if (t.count !== null) {
      for (let k = 0; k < t.count * t.perEntry; k++) {
        const [v, next] = forward(rec, p, end);
        vs.push(v);
        p = next;
      }
    } else {
      const stop = p + t.bytes!;
      while (p < stop) {
        const [v, next] = forward(rec, p, end);
        vs.push(v);
        p = next;
      }
    }
    values.set(t.tag, vs);
  }
  return values;
}
