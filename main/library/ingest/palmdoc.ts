// A Mobipocket/Kindle text record's compressed bytes -> its bytes. Two schemes:
//   PalmDOC (compression 2): LZ77 over bytes, one token per byte c:
//     0x00, 0x09-0x7f   the byte itself
//     0x01-0x08         the next c bytes as they are
//     0x80-0xbf         with the next byte, 16 bits 10dddddd dddddlll: copy lll + 3
//                       bytes from d bytes back (1-2047; a copy may overlap itself)
//     0xc0-0xff         a space, then the byte c ^ 0x80
//   none (compression 1): the bytes as stored.
// HUFF/CDIC (compression 17480) is ./huffcdic's. Each record is also followed by
// trailing entries the header's extra-data flags announce (recordTextBytes).
import { corrupt } from "./errors";

const WHAT = "Kindle book";

/** A PalmDOC record inflated; `limit` bounds what one record may grow to (a hostile record cannot exhaust memory). */
export function inflatePalmDoc(src: Uint8Array, limit: number): Uint8Array {
  const out = new Uint8Array(Math.min(limit, src.length * 10));
  let o = 0;
  const room = (n: number) => {
    if (o + n > out.length) throw corrupt(WHAT, "a text record inflates past its size");
  };
  for (let i = 0; i < src.length; ) {
    const c = src[i++];
    if (c === 0 || (c >= 0x09 && c <= 0x7f)) {
      room(1);
      out[o++] = c;
    } else if (c <= 0x08) {
      if (i + c > src.length) throw corrupt(WHAT, "a text record ends inside a literal run");
      room(c);
      out.set(src.subarray(i, i + c), o);
      o += c;
      i += c;
    } else if (c <= 0xbf) {
      if (i >= src.length) throw corrupt(WHAT, "a text record ends inside a back-reference");
      const pair = (c << 8) | src[i++];
      const distance = (pair >> 3) & 0x7ff;
      const length = (pair & 7) + 3;
      if (distance === 0 || distance > o) throw corrupt(WHAT, "a back-reference points before the record's start");
      room(length);
      for (let k = 0; k < length; k++, o++) out[o] = out[o - distance]; // byte by byte: the copy may overlap
    } else {
      room(2);
      out[o++] = 0x20;
      out[o++] = c ^ 0x80;
    }
  }
  return out.subarray(0, o);
}

/**
 * A text record without its trailing entries. Each set bit above bit 0 of `extraFlags` adds an
 * entry at the end, outermost first for the lowest bit, whose size (itself included) is a
 * number written backwards: read from the last byte towards the front, 7 bits a byte, least
 * significant first, ending at the byte whose top bit is set. Bit 0 adds, innermost, the
 * bytes of a character continued in the next record: its last byte's low 2 bits + 1.
 */
export function recordTextBytes(record: Uint8Array, extraFlags: number): Uint8Array {
  let end = record.length;
  for (let flags = extraFlags >> 1; flags; flags >>= 1) {
    if (!(flags & 1)) continue;
    let size = 0;
    for (let shift = 0, p = end - 1; ; shift += 7, p--) {
      if (p < 0 || shift > 21) throw corrupt(WHAT, "a text record's trailing entry is malformed");
      size |= (record[p] & 0x7f) << shift;
      if (record[p] & 0x80) break;
    }
    if (size > end) throw corrupt(WHAT, "a text record's trailing entry is longer than the record");
    end -= size;
  }
  if (extraFlags & 1) {
    if (end === 0) throw corrupt(WHAT, "a text record's trailing entry is longer than the record");
    const size = (record[end - 1] & 3) + 1;
    if (size > end) throw corrupt(WHAT, "a text record's trailing entry is longer than the record");
    end -= size;
  }
  return record.subarray(0, end);
}
