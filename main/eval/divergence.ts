// How far one attention mode's next-token distribution is from full attention's:
// log-softmax of a logits row, KL(p || q) in nats, greedy argmax. Shared by
// tome eval and tome bench accuracy.

/** Natural-log softmax of one row of logits (n_vocab), in f64. */
export function logSoftmax(logits: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  let s = 0;
  for (const v of logits) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(logits, (v) => v - lse);
}

/** KL(p || q) for log-probabilities p, q (nats). Terms with p below e^-50 are skipped
 * (they contribute nothing measurable and their q may be -inf after rounding). */
export function kl(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > -50) d += Math.exp(p[i]) * (p[i] - q[i]);
  return Math.max(0, d);
}

/** How far the most likely entry of a log-probability row leads the second, nats (null for a
 * row of fewer than two finite entries): a greedy choice close to a tie flips under any
 * rounding of the logits. */
export function topTwoGap(logp: ArrayLike<number>): number | null {
  let a = -Infinity, b = -Infinity;
  for (let i = 0; i < logp.length; i++) {
    const v = logp[i];
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return Number.isFinite(a) && Number.isFinite(b) ? a - b : null;
}

/** Index of the largest value (the first one on ties). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
