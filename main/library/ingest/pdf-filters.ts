// The PDF stream filters that can unpack a small file into a large one, decoded
// here only to measure what pdfjs would hold (./pdf-size). Each decoder stops
// once its output reaches `stop` bytes and returns what it has (a stream cut
// short or damaged returns what it decoded: pdfjs judges the file). Ratios at
// their worst: Flate ~1000:1, LZW ~2700:1 (a 12-bit code can stand for a string
// of ~4K bytes), run-length 64:1; the ASCII filters shrink their input.
import * as zlib from "node:zlib";

/** The filters a stream's dictionary names, in order ("/Filter /X" or "/Filter [/A /B]"). */
export function streamFilters(dict: string): string[] {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict);
  if (!m) return [];
  return [...m[1].matchAll(/\/([A-Za-z0-9]+)/g)].map((f) => f[1]);
}

/** A filter's output: its bytes, or `over` when it reached the stop (its bytes then cut there). */
export interface Decoded {
  bytes: Uint8Array;
  over: boolean;
}

/**
 * Applies one filter; null for a filter that is not measured (images: DCT, JPX, CCITT, JBIG2;
 * their decoders bound their output by the image's declared size, which pdfjs checks).
 */
export function decodeFilter(name: string, data: Uint8Array, stop: number, earlyChange = 1): Decoded | null {
  const done = (bytes: Uint8Array): Decoded => ({ bytes, over: bytes.length >= stop });
  switch (name) {
    case "FlateDecode":
    case "Fl":
      return inflate(data, stop);
    case "LZWDecode":
    case "LZW":
      return done(lzwDecode(data, stop, earlyChange));
    case "RunLengthDecode":
    case "RL":
      return done(runLengthDecode(data, stop));
    case "ASCIIHexDecode":
    case "AHx":
      return done(asciiHexDecode(data, stop));
    case "ASCII85Decode":
    case "A85":
      return done(ascii85Decode(data, stop));
    default:
      return null;
  }
}

function inflate(data: Uint8Array, stop: number): Decoded {
  try {
    // Z_SYNC_FLUSH at the end: a stream cut short (or its checksum) gives what it decoded, not an error
    const bytes = zlib.inflateSync(data, { maxOutputLength: stop, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return { bytes, over: bytes.length >= stop };
  } catch (e) {
    // past the stop node keeps nothing; a stream that does not inflate is left to pdfjs
    return { bytes: new Uint8Array(0), over: (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" };
  }
}

/** Output that grows by doubling up to `stop` bytes. */
class Out {
  buf: Uint8Array;
  n = 0;
  constructor(private stop: number) {
    this.buf = new Uint8Array(Math.min(stop, 1 << 16));
  }
  /** Room for k more bytes (fewer at the stop); false once the stop is reached. */
  room(k: number): number {
    const want = Math.min(this.n + k, this.stop);
    if (want > this.buf.length) {
      const b = new Uint8Array(Math.min(this.stop, Math.max(want, this.buf.length * 2)));
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
    }
    return want - this.n;
  }
  full(): boolean {
    return this.n >= this.stop;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * LZW as PDF uses it: MSB-first codes of 9 to 12 bits, 256 clears the table, 257 ends the data,
 * the code width grows one code early unless EarlyChange is 0. The table keeps each entry's
 * prefix code, last byte and length, and a string is written back to front.
 */
export function lzwDecode(data: Uint8Array, stop: number, earlyChange = 1): Uint8Array {
  const prefix = new Int32Array(4096);
  const last = new Uint8Array(4096);
  const len = new Int32Array(4096);
  for (let i = 0; i < 256; i++) (last[i] = i), (len[i] = 1), (prefix[i] = -1);
  const out = new Out(stop);
  let next = 258;
  let width = 9;
  let prev = -1;
  let bits = 0;
  let acc = 0;
  let at = 0;
  // writes the string of `code` (first byte of it: returned)
  const write = (code: number): number => {
    const room = out.room(len[code]);
    let c = code;
    for (let i = len[code] - 1; i >= 0; i--, c = prefix[c]) if (i < room) out.buf[out.n + i] = last[c];
    out.n += room;
    return last[firstOf(code)];
  };
  const firstOf = (code: number): number => {
    let c = code;
    while (prefix[c] >= 0) c = prefix[c];
    return c;
  };
  while (!out.full()) {
    while (bits < width && at < data.length) (acc = ((acc << 8) | data[at++]) & 0xffffff), (bits += 8);
    if (bits < width) break;
    const code = (acc >>> (bits - width)) & ((1 << width) - 1);
    bits -= width;
    if (code === 256) {
      next = 258;
      width = 9;
      prev = -1;
      continue;
    }
    if (code === 257) break;
    if (prev < 0) {
      if (code > 255) break; // damaged: the first code after a clear is a byte
      write(code);
      prev = code;
      continue;
    }
    let first: number;
    if (code < next) first = write(code);
    else if (code === next) {
      // the string being defined: prev's string plus its own first byte
      first = last[firstOf(prev)];
      if (next < 4096) {
        prefix[next] = prev;
        last[next] = first;
        len[next] = len[prev] + 1;
      }
      write(code);
      prev = code;
      next = Math.min(next + 1, 4096);
      if (next + earlyChange >= 1 << width && width < 12) width++;
      continue;
    } else break; // damaged
    if (next < 4096) {
      prefix[next] = prev;
      last[next] = first;
      len[next] = len[prev] + 1;
      next++;
    }
    if (next + earlyChange >= 1 << width && width < 12) width++;
    prev = code;
  }
  return out.bytes();
}

/** Run-length: a length byte n < 128 copies n + 1 bytes, n > 128 repeats the next byte 257 - n times, 128 ends. */
export function runLengthDecode(data: Uint8Array, stop: number): Uint8Array {
  const out = new Out(stop);
  let at = 0;
  while (at < data.length && !out.full()) {
    const n = data[at++];
    if (n === 128) break;
    if (n < 128) {
      const k = Math.min(n + 1, data.length - at);
      const room = out.room(k);
      out.buf.set(data.subarray(at, at + room), out.n);
      out.n += room;
      at += k;
    } else {
      if (at >= data.length) break;
      const room = out.room(257 - n);
      out.buf.fill(data[at++], out.n, out.n + room);
      out.n += room;
    }
  }
  return out.bytes();
}

/** Pairs of hex digits (white space skipped, ">" ends; an odd last digit is followed by 0). */
export function asciiHexDecode(data: Uint8Array, stop: number): Uint8Array {
  const out = new Out(stop);
  let hi = -1;
  for (const c of data) {
    if (c === 0x3e || out.full()) break;
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;
    if (v < 0) continue;
    if (hi < 0) hi = v;
    else if (out.room(1)) (out.buf[out.n++] = (hi << 4) | v), (hi = -1);
  }
  if (hi >= 0 && out.room(1)) out.buf[out.n++] = hi << 4;
  return out.bytes();
}

/** Base-85 groups of five characters to four bytes ("z" for four zeros, "~>" ends). */
export function ascii85Decode(data: Uint8Array, stop: number): Uint8Array {
  const out = new Out(stop);
  const put = (group: number, count: number) => {
    const room = out.room(count);
    for (let i = 0; i < room; i++) out.buf[out.n + i] = (group >>> (24 - 8 * i)) & 0xff;
    out.n += room;
  };
  let group = 0;
  let k = 0;
  for (const c of data) {
    if (c === 0x7e || out.full()) break;
    if (c === 0x7a && k === 0) put(0, 4);
    else if (c >= 0x21 && c <= 0x75) {
      group = group * 85 + (c - 0x21);
      if (++k === 5) put(group, 4), (group = 0), (k = 0);
    }
  }
  // a last group of k characters is padded with 'u' and gives k - 1 bytes
  if (k > 1) {
    for (let i = k; i < 5; i++) group = group * 85 + 84;
    put(group, k - 1);
  }
  return out.bytes();
}
