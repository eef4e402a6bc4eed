// The work of a prefill, from the model's shape, for its time left: a token's
// matrix products cost the same at every position, its attention grows with the
// positions it attends (all before it; a sliding-window layer's last
// slidingWindow): on the 1b shape the second half of a 128K-token book is 2.4 times
// the first in FLOPs, more in time where attention costs more a FLOP. In FLOPs, the
// two kinds apart: their cost per FLOP differs by host and kernel, and PrefillEta
// measures how.
import type { ModelInfo } from "./native";

export interface PrefillWork {
  matmul: number;
  attention: number;
}

export type ModelShape = Pick<
  ModelInfo,
  | "nLayer"
  | "nEmbd"
  | "nHead"
  | "nHeadKv"
  | "headDim"
  | "nFf"
  | "slidingWindow"
  | "slidingWindowPeriod"
  | "nExpert"
  | "nExpertUsed"
  | "nFfExpert"
  | "nFfSharedExpert"
  | "nDenseLead"
>;

/**
 * FLOPs of one token's matrix products: Q, K, V and the output projection, the FFN (gated:
 * three matrices; a mixture of experts its used experts, shared expert and router). The
 * output matrix is left out: a prefill takes the logits of its last token only.
 */
export function tokenMatmulFlops(m: ModelShape): number {
  const q = m.nHead * m.headDim;
  const kv = m.nHeadKv * m.headDim;
  const attention = m.nEmbd * (2 * q + 2 * kv);
  const dense = 3 * m.nEmbd * m.nFf;
  const experts = m.nExpertUsed * 3 * m.nEmbd * m.nFfExpert + 3 * m.nEmbd * m.nFfSharedExpert + m.nEmbd * m.nExpert;
  const moeLayers = m.nExpert > 0 ? Math.max(0, m.nLayer - m.nDenseLead) : 0;
  return 2 * (m.nLayer * attention + (m.nLayer - moeLayers) * dense + moeLayers * experts);
}

/** Keys attended by the tokens at positions [0, n), each attending itself and those before it, at most w (w 0: all). */
function keysBefore(n: number, w: number): number {
  if (w <= 0 || n <= w) return (n * (n + 1)) / 2;
  return (w * (w + 1)) / 2 + (n - w) * w;
}

/** FLOPs of the attention of the tokens at positions [from, to): q . k and p . v, 2 x headDim each, per query head and key. */
export function attentionFlops(m: ModelShape, from: number, to: number): number {
  // with a window, every slidingWindowPeriod-th layer is global (period 0: none is), as hparams' is_swa
  const global = m.slidingWindow <= 0 ? m.nLayer : m.slidingWindowPeriod > 0 ? Math.floor(m.nLayer / m.slidingWindowPeriod) : 0;
  const windowed = m.nLayer - global;
  const keys = global * (keysBefore(to, 0) - keysBefore(from, 0)) + windowed * (keysBefore(to, m.slidingWindow) - keysBefore(from, m.slidingWindow));
  return 4 * m.headDim * m.nHead * keys;
}

/** The work of the tokens at positions [from, to). */
export function prefillWork(m: ModelShape, from: number, to: number): PrefillWork {
  return { matmul: tokenMatmulFlops(m) * Math.max(0, to - from), attention: attentionFlops(m, from, Math.max(from, to)) };
}
