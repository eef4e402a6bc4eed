// Kindle books written as converters write them, for the mobi reader's tests:
// a Palm database, record 0's headers (PalmDOC, MOBI, EXTH), text records of 4096
// bytes compressed with PalmDOC's LZ77 or HUFF/CDIC, with trailing entries (a
// character continued in the next record, and index data the reader must skip),
// an NCX index, a KF8 part with its FDST. Layouts as main/library/ingest's
// mobi-header.ts, palmdoc.ts, huffcdic.ts and mobi-index.ts describe them; the
// encoders are written from those descriptions, independently of the decoders.

const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const be16 = (n: number) => [(n >>> 8) & 255, n & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);

/** PalmDOC LZ77: back-references of 3-10 bytes up to 2047 back, a space and a letter as one byte, runs of other bytes escaped. */
export function palmDocCompress(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  const seen = new Map<number, number[]>(); // 3 bytes -> where they started
  const key = (i: number) => (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
  const remember = (i: number) => {
    if (i + 2 >= b.length) return;
    const list = seen.get(key(i)) ?? [];
    list.push(i);
    seen.set(key(i), list);
  };
  for (let i = 0; i < b.length; ) {
    let best = 0;
    let bestAt = 0;
    for (const j of i + 2 < b.length ? (seen.get(key(i)) ?? []) : []) {
      if (i - j > 2047) continue;
      let n = 0;
      while (n < 10 && i + n < b.length && b[j + n] === b[i + n]) n++; // may run into i's own bytes: the copy overlaps
      if (n > best) [best, bestAt] = [n, j];
    }
    if (best >= 3) {
      const pair = 0x8000 | ((i - bestAt) << 3) | (best - 3);
      out.push(pair >> 8, pair & 255);
      for (let k = 0; k < best; k++) remember(i + k);
      i += best;
    } else if (b[i] === 0x20 && i + 1 < b.length && b[i + 1] >= 0x40 && b[i + 1] <= 0x7f) {
      out.push(b[i + 1] ^ 0x80);
      remember(i);
      remember(i + 1);
      i += 2;
    } else if (b[i] === 0 || (b[i] >= 0x09 && b[i] <= 0x7f)) {
      out.push(b[i]);
      remember(i++);
    } else {
      let n = 0;
      while (n < 8 && i + n < b.length && (b[i + n] >= 0x80 || (b[i + n] >= 1 && b[i + n] <= 8))) n++;
      out.push(n, ...b.subarray(i, i + n));
      for (let k = 0; k < n; k++) remember(i + k);
      i += n;
    }
  }
  return Uint8Array.from(out);
}

/**
 * A HUFF/CDIC code for a sample text: its distinct bytes and its most frequent words as
 * phrases, code lengths 5, 7, 10 and 13 by frequency, codes assigned from the top down (longer
 * codes below shorter ones). Codes past 8 bits share first bytes, so the reader takes table 2's
 * path; one first byte starts both 10- and 13-bit codes (62 of 10 bits do not fill whole bytes),
 * so it steps past the empty lengths 11 and 12. Some word phrases are stored compressed, one level nested in another.
 */
export class HuffCdicWriter {
  private readonly phrases: { bytes: Uint8Array; stored: Uint8Array; plain: boolean }[] = [];
  private readonly codes: { code: number; length: number }[] = [];
  private readonly index = new Map<string, number>();
  private readonly longest: number;

  constructor(sample: Uint8Array, private readonly bitsPerCdic = 8) {
    const counts = new Map<string, number>();
    const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const c of sample) add(String.fromCharCode(c));
    const latin = Buffer.from(sample).toString("latin1");
    for (const m of latin.matchAll(/[a-z]{3,7} /gi)) add(m[0]);
    const words = [...counts].filter(([k]) => k.length > 1).sort((x, y) => y[1] - x[1]).slice(0, 400);
    const singles = [...counts].filter(([k]) => k.length === 1).sort((x, y) => y[1] - x[1]);
    // by frequency: 8 phrases of length 5, 32 of 7, 62 of 10, the rest of 13 (Kraft: 8/32 + 32/128 + 62/1024 + n/8192 <= 1)
    const order = [...words.slice(0, 20), ...singles, ...words.slice(20)].map(([k]) => k);
    if (order.length > 102 + 3500) throw new Error("too many phrases for this code");
    const lengthOf = (i: number) => (i < 8 ? 5 : i < 40 ? 7 : i < 102 ? 10 : 13);
    let next = 2 ** 32;
    order.forEach((k, i) => {
      const length = lengthOf(i);
      next -= 2 ** (32 - length);
      this.codes.push({ code: next, length });
      this.index.set(k, i);
    });
    this.longest = Math.max(...order.map((k) => k.length));
    // phrases: singles stored as they are; every third word compressed, from singles and earlier words (compressed ones too: nested)
    order.forEach((k, i) => {
      const bytes = Buffer.from(k, "latin1");
      const compress = k.length > 1 && i % 3 === 0;
      this.phrases.push({ bytes, stored: bytes, plain: !compress });
    });
    this.phrases.forEach((p, i) => {
      if (!p.plain) p.stored = this.encode(p.bytes, (k) => k.length === 1 || this.index.get(k)! < i);
    });
  }

  /** Bits of the phrases that cover `b`, greedily longest first among those `usable` allows. */
  private encode(b: Uint8Array, usable: (k: string) => boolean = () => true): Uint8Array {
    const s = Buffer.from(b).toString("latin1");
    const bits: number[] = [];
    for (let i = 0; i < s.length; ) {
      let n = Math.min(this.longest, s.length - i);
      while (n > 1 && !(this.index.has(s.slice(i, i + n)) && usable(s.slice(i, i + n)))) n--;
      const k = this.index.get(s.slice(i, i + n));
      if (k === undefined) throw new Error(`no phrase for byte ${s.charCodeAt(i)}`);
      const { code, length } = this.codes[k];
      for (let bit = 31; bit >= 32 - length; bit--) bits.push(Math.floor(code / 2 ** bit) & 1);
      i += n;
    }
    const out = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((v, i) => (out[i >> 3] |= v << (7 - (i & 7))));
    return out;
  }

  compress(b: Uint8Array): Uint8Array {
    return this.encode(b);
  }

  /** The HUFF record and the CDIC records. */
  records(): Uint8Array[] {
    const byLength = new Map<number, { first: number; top: number; least: number }>();
    this.codes.forEach(({ code, length }, i) => {
      const right = code / 2 ** (32 - length);
      const l = byLength.get(length);
      if (!l) byLength.set(length, { first: i, top: right, least: right });
      else l.least = right;
    });
    const table1: number[] = [];
    for (let b = 0; b < 256; b++) {
      const lo = b * 2 ** 24;
      const covering = this.codes.find((c) => c.length <= 8 && c.code <= lo && c.code + 2 ** (32 - c.length) > lo);
      if (covering) {
        const l = byLength.get(covering.length)!;
        table1.push(((l.first + l.top) * 256) | 0x80 | covering.length);
      } else {
        const inside = this.codes.filter((c) => c.code >= lo && c.code < lo + 2 ** 24);
        table1.push(inside.length ? Math.min(...inside.map((c) => c.length)) : 8 | 0x80);
      }
    }
    const table2: number[] = [];
    let above = 2 ** 32; // an empty length's least: above every longer code
    for (let length = 1; length <= 32; length++) {
      const l = byLength.get(length);
      if (l) above = l.least * 2 ** (32 - length);
      const least = Math.floor(above / 2 ** (32 - length));
      table2.push(Math.min(least, 2 ** 32 - 1), l ? l.first + l.top : 0);
    }
    const huff = Uint8Array.from([...ascii("HUFF"), ...be32(0x18), ...be32(24), ...be32(24 + 1024), ...be32(0), ...be32(0), ...table1.flatMap(be32), ...table2.flatMap(be32)]);
    const cdics: Uint8Array[] = [];
    const per = 2 ** this.bitsPerCdic;
    for (let from = 0; from < this.phrases.length; from += per) {
      const group = this.phrases.slice(from, from + per);
      const offsets: number[] = [];
      const body: number[] = [];
      for (const p of group) {
        offsets.push(2 * group.length + body.length);
        body.push(...be16(p.stored.length | (p.plain ? 0x8000 : 0)), ...p.stored);
      }
      cdics.push(Uint8Array.from([...ascii("CDIC"), ...be32(0x10), ...be32(this.phrases.length), ...be32(this.bitsPerCdic), ...offsets.flatMap(be16), ...body]));
    }
    return [huff, ...cdics];
  }
}

/** A trailing entry's size bytes (size includes them): most significant group first, its top bit set. */
function backwardSize(payload: number): number[] {
  for (let n = 1; ; n++) {
    const size = payload + n;
    const groups: number[] = [];
    for (let v = size; v > 0 || !groups.length; v = Math.floor(v / 128)) groups.unshift(v & 127);
    if (groups.length === n) return groups.map((g, i) => (i === 0 ? g | 0x80 : g));
  }
}

export type Compression = "none" | "palmdoc" | HuffCdicWriter;

/**
 * The text cut into records of 4096 bytes, each compressed, then its trailing entries: with
 * `extraFlags` bit 0, the rest of a UTF-8 character the record ends inside; with bit 1 (and 2),
 * an entry of seeded random bytes.
 */
export function textRecords(text: Uint8Array, compression: Compression, extraFlags: number, seed = 7): Uint8Array[] {
  let x = seed;
  const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const out: Uint8Array[] = [];
  for (let at = 0; at < text.length; at += 4096) {
    const chunk = text.subarray(at, at + 4096);
    const packed = compression === "none" ? chunk : compression === "palmdoc" ? palmDocCompress(chunk) : compression.compress(chunk);
    const tail: number[] = [];
    if (extraFlags & 1) {
      let k = 0;
      while (at + 4096 + k < text.length && (text[at + 4096 + k] & 0xc0) === 0x80) k++;
      tail.push(...text.subarray(at + 4096, at + 4096 + k), k);
    }
    for (let bit = 15; bit >= 1; bit--) { // bit 1's entry last: the reader takes it off first
      if (!(extraFlags & (1 << bit))) continue;
      const payload = Array.from({ length: rand(200) }, () => rand(256));
      tail.push(...payload, ...backwardSize(payload.length));
    }
    out.push(Uint8Array.from([...packed, ...tail]));
  }
  return out;
}

export interface NcxEntrySpec {
  position: number;
  label: string;
  depth: number;
}

/**
 * An NCX index: the main record (header, TAGX), one data record, one CNCX record. Tags 1
 * (position), 2 (length), 3 (label), 4 (depth) with one-bit masks, and tag 21 (a parent) with a
 * two-bit mask, set on some entries with a count (01) and on others as a byte size (11). Labels
 * in the book's encoding.
 */
export function ncxRecords(entries: NcxEntrySpec[], encode: (s: string) => Uint8Array = utf8): Uint8Array[] {
  const fwd = (v: number) => {
    const groups: number[] = [];
    for (; v > 0 || !groups.length; v = Math.floor(v / 128)) groups.unshift(v & 127);
    groups[groups.length - 1] |= 0x80;
    return groups;
  };
  const cncx: number[] = [];
  const labelAt = entries.map((e) => {
    const at = cncx.length;
    const b = [...encode(e.label)];
    cncx.push(...fwd(b.length), ...b);
    return at;
  });
  const tags = [
    [1, 1, 0x01, 0],
    [2, 1, 0x02, 0],
    [3, 1, 0x04, 0],
    [4, 1, 0x08, 0],
    [21, 1, 0x30, 0],
    [0, 0, 0, 1],
  ];
  const tagx = [...ascii("TAGX"), ...be32(12 + 4 * tags.length), ...be32(1), ...tags.flat()];
  const header = (idxt: number, count: number, total: number, cncxCount: number) => {
    const h = new Array(192).fill(0);
    h.splice(0, 8, ...ascii("INDX"), ...be32(192));
    h.splice(20, 8, ...be32(idxt), ...be32(count));
    h.splice(28, 4, ...be32(65001));
    h.splice(36, 4, ...be32(total));
    h.splice(52, 4, ...be32(cncxCount));
    return h;
  };
  const main = [...header(0, 1, entries.length, 1), ...tagx];
  const body: number[] = [];
  const offsets: number[] = [];
  entries.forEach((e, i) => {
    offsets.push(192 + body.length);
    const name = ascii(String(i).padStart(3, "0"));
    const parent = i % 3 === 1 ? 0x10 : i % 3 === 2 ? 0x30 : 0; // a count of 1, or a size in bytes
    // a size comes right after the control bytes, before every tag's values
    const size = i % 3 === 2 ? fwd(2) : [];
    const parentValues = i % 3 === 1 ? fwd(0) : i % 3 === 2 ? [...fwd(0), ...fwd(1)] : [];
    body.push(name.length, ...name, 0x0f | parent, ...size, ...fwd(e.position), ...fwd(100), ...fwd(labelAt[i]), ...fwd(e.depth), ...parentValues);
  });
  const idxtAt = 192 + body.length;
  const data = [...header(idxtAt, entries.length, 0, 0), ...body, ...ascii("IDXT"), ...offsets.flatMap(be16)];
  return [Uint8Array.from(main), Uint8Array.from(data), Uint8Array.from(cncx)];
}

export interface Record0 {
  compression: 1 | 2 | 17480;
  textLength: number;
  textRecords: number;
  encryption?: number;
  utf8: boolean;
  version: number;
  fullName: string;
  huff?: [number, number];
  extraFlags: number;
  ncx?: number;
  fdst?: [number, number];
  exth: [number, Uint8Array][];
}

/** Record 0: PalmDOC header, a 232-byte MOBI header, EXTH, the full name. */
export function record0(o: Record0): Uint8Array {
  const NONE = 0xffffffff;
  const h = new Array(16 + 232).fill(0);
  const put = (at: number, bytes: number[]) => h.splice(at, bytes.length, ...bytes);
  put(0, [...be16(o.compression), 0, 0, ...be32(o.textLength), ...be16(o.textRecords), ...be16(4096), ...be16(o.encryption ?? 0)]);
  put(16, [...ascii("MOBI"), ...be32(232), ...be32(2), ...be32(o.utf8 ? 65001 : 1252), ...be32(0x1234), ...be32(o.version)]);
  put(0x70, [...be32(o.huff?.[0] ?? 0), ...be32(o.huff?.[1] ?? 0)]);
  put(0x80, be32(o.exth.length ? 0x50 : 0));
  put(0xc0, [...be32(o.fdst?.[0] ?? NONE), ...be32(o.fdst?.[1] ?? 0)]);
  put(0xf2, be16(o.extraFlags));
  put(0xf4, be32(o.ncx ?? NONE));
  const exthBody = o.exth.flatMap(([type, data]) => [...be32(type), ...be32(8 + data.length), ...data]);
  const exth = o.exth.length ? [...ascii("EXTH"), ...be32(12 + exthBody.length), ...be32(o.exth.length), ...exthBody] : [];
  const name = o.utf8 ? [...utf8(o.fullName)] : [...Buffer.from(o.fullName, "latin1")];
  const nameAt = h.length + exth.length;
  put(0x54, [...be32(nameAt), ...be32(name.length)]);
  return Uint8Array.from([...h, ...exth, ...name, 0, 0]);
}

/** A Palm database of these records. */
export function palmDatabase(name: string, kind: string, records: Uint8Array[]): Uint8Array {
  const head = new Array(78).fill(0);
  head.splice(0, Math.min(31, name.length), ...ascii(name.slice(0, 31)));
  head.splice(60, 8, ...ascii(kind));
  head.splice(76, 2, ...be16(records.length));
  let at = 78 + 8 * records.length + 2;
  const list = records.flatMap((r, i) => {
    const entry = [...be32(at), 0, ...be32(2 * i).slice(1)];
    at += r.length;
    return entry;
  });
  return Buffer.concat([Uint8Array.from([...head, ...list, 0, 0]), ...records]);
}

/** An EXTH text field. */
export const exthText = (type: number, s: string): [number, Uint8Array] => [type, utf8(s)];
/** An EXTH number field. */
export const exthNumber = (type: number, n: number): [number, Uint8Array] => [type, Uint8Array.from(be32(n))];
