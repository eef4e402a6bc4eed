// Text -> bytes in a legacy encoding, for tests: Node's TextEncoder writes only
// UTF-8, so each encoding's table is read back from its decoder (every one- and
// two-byte sequence decoded once, the first sequence of each character kept).
const tables = new Map<string, Map<string, number[]>>();

function table(encoding: string): Map<string, number[]> {
  let t = tables.get(encoding);
  if (t) return t;
  t = new Map();
  const dec = new TextDecoder(encoding, { fatal: true });
  const add = (seq: number[]) => {
    let s: string;
    try {
      s = dec.decode(Uint8Array.from(seq));
    } catch {
      return;
    }
    if ([...s].length === 1 && !t!.has(s)) t!.set(s, seq);
  };
  for (let b = 0x80; b <= 0xff; b++) add([b]);
  for (let lead = 0x81; lead <= 0xfe; lead++) for (let trail = 0x40; trail <= 0xfe; trail++) add([lead, trail]);
  tables.set(encoding, t);
  return t;
}

/** `text` in `encoding` (ASCII as itself); throws on a character the encoding lacks. */
export function encodeLegacy(text: string, encoding: string): Uint8Array {
  const t = table(encoding);
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else {
      const seq = t.get(ch);
      if (!seq) throw new Error(`${encoding} has no ${ch}`);
      out.push(...seq);
    }
  }
  return Uint8Array.from(out);
}

/** `text` in UTF-16 without a byte order mark. */
export function encodeUtf16(text: string, bigEndian: boolean): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i + (bigEndian ? 1 : 0)] = c & 0xff;
    out[2 * i + (bigEndian ? 0 : 1)] = c >> 8;
  }
  return out;
}
