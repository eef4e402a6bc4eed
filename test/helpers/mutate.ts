// Seeded mutations of a file's bytes for fuzzing loaders: byte flips, 32/64-bit
// length fields overwritten with extreme values, splices and truncations,
// concentrated on the header (metadata + tensor table) where parsing happens.
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const EXTREMES = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000, 13, 1 << 20];

export function mutate(src: Buffer, headerBytes: number, seed: number): Buffer {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  let b = Buffer.from(src);
  const kind = pick(5);
  const where = () => pick(Math.min(headerBytes, b.length));
  if (kind === 0) {
    const n = 1 + pick(8);
    for (let i = 0; i < n; i++) b[where()] ^= 1 << pick(8);
  } else if (kind === 1) {
    const at = where() & ~3;
    if (at + 8 <= b.length) {
      b.writeUInt32LE(EXTREMES[pick(EXTREMES.length)] >>> 0, at);
      if (r() < 0.5) b.writeUInt32LE(pick(2) ? 0xffffffff : 0, at + 4);
    }
  } else if (kind === 2) {
    b = b.subarray(0, pick(Math.min(b.length, headerBytes * 2)));
  } else if (kind === 3) {
    const from = where(), to = where(), len = 1 + pick(64);
    b.copy(b, to, from, Math.min(b.length, from + len));
  } else {
    const at = where();
    b = Buffer.concat([b.subarray(0, at), Buffer.alloc(pick(16), pick(256)), b.subarray(at + pick(16))]);
  }
  return b;
}
