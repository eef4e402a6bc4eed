// Encoders for the PDF stream filters that main/library/ingest/pdf-filters.ts
// decodes, written from the PDF specification for the tests: pages encoded here
// are read back by pdfjs (the oracle), and bombs are built from them.

/**
 * LZW codes packed MSB first at the widths a PDF reader expects: 9 bits after a clear, one
 * more each time the reader's next table entry (one per code after the first) plus
 * EarlyChange reaches a power of two, 12 at most.
 */
class CodeWriter {
  private out: number[] = [];
  private acc = 0;
  private bits = 0;
  private width = 9;
  private next = 258;
  private first = true;
  constructor(private early: number) {}
  put(code: number): void {
    this.acc = (this.acc << this.width) | code;
    this.bits += this.width;
    while (this.bits >= 8) {
      this.out.push((this.acc >>> (this.bits - 8)) & 0xff);
      this.bits -= 8;
    }
    this.acc &= (1 << this.bits) - 1;
    if (code === 256) {
      this.width = 9;
      this.next = 258;
      this.first = true;
      return;
    }
    if (this.first) {
      this.first = false;
      return;
    }
    this.next = Math.min(this.next + 1, 4096);
    if (this.next + this.early >= 1 << this.width && this.width < 12) this.width++;
  }
  end(): Uint8Array {
    this.put(257);
    if (this.bits > 0) this.out.push((this.acc << (8 - this.bits)) & 0xff);
    return Uint8Array.from(this.out);
  }
}

/** LZW of `data` (greedy longest match; a clear code when the table is full). */
export function lzwEncode(data: Uint8Array, early: number): Uint8Array {
  const w = new CodeWriter(early);
  let table = new Map<string, number>();
  let next = 258;
  w.put(256);
  let cur = -1; // code of the string matched so far
  let key = "";
  for (const b of data) {
    if (cur < 0) {
      cur = b;
      key = String(b);
      continue;
    }
    const k = `${key},${b}`;
    const found = table.get(k);
    if (found !== undefined) {
      cur = found;
      key = k;
      continue;
    }
    w.put(cur);
    // the reader defines an entry per code after the first: the table here stays in step
    if (next < 4095) table.set(k, next++);
    else {
      w.put(256);
      table = new Map();
      next = 258;
    }
    cur = b;
    key = String(b);
  }
  if (cur >= 0) w.put(cur);
  return w.end();
}

/**
 * LZW codes whose output is `bytes` zero bytes at the least input: a zero, then codes 258,
 * 259, .. each the string being defined (one zero longer each), then the longest, 4095 (3,839
 * zeros), again and again; the rest as a shorter code.
 */
export function lzwRunCodes(bytes: number): Uint8Array {
  const w = new CodeWriter(1);
  w.put(256);
  w.put(0);
  let made = 1;
  for (let code = 258; code <= 4095 && made < bytes; code++) {
    w.put(code);
    made += code - 256;
  }
  const longest = 4095 - 256;
  while (made + longest <= bytes) {
    w.put(4095);
    made += longest;
  }
  // the rest: one zero (code 0), or the string of that many zeros (defined above)
  if (made < bytes) w.put(bytes - made === 1 ? 0 : 256 + (bytes - made));
  return w.end();
}

/** Run-length: literal runs of up to 128 bytes (no repeats), then the end mark. */
export function runLengthEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 128) {
    const run = data.subarray(i, i + 128);
    out.push(run.length - 1, ...run);
  }
  out.push(128);
  return Uint8Array.from(out);
}

/** ASCII85 ("z" for four zeros), ended by "~>". */
export function ascii85Encode(data: Uint8Array): Uint8Array {
  let s = "";
  for (let i = 0; i < data.length; i += 4) {
    const n = Math.min(4, data.length - i);
    let v = 0;
    for (let j = 0; j < 4; j++) v = v * 256 + (j < n ? data[i + j] : 0);
    if (v === 0 && n === 4) {
      s += "z";
      continue;
    }
    const digits: string[] = [];
    for (let j = 0; j < 5; j++, v = Math.floor(v / 85)) digits.unshift(String.fromCharCode(33 + (v % 85)));
    s += digits.slice(0, n + 1).join("");
  }
  return new Uint8Array(Buffer.from(s + "~>", "latin1"));
}
