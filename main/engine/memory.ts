// Memory a model needs at a context length: weights (tensor bytes, mapped) plus
// the f16 KV cache (2 x n_layer x n_head_kv x head_dim x ctx x 2 bytes).
import type { GgufSummary } from "./native";

export interface MemoryEstimate {
  ctx: number;
  weightBytes: number;
  /** What the cache reserves: every layer's K and V for ctx positions. */
  kvBytes: number;
  /**
   * What it holds in RAM at ctx positions beside a KV store (the app reads every book through
   * one): kvBytes, but for Gemma 3's sliding-window layers, which keep their window's rows and
   * the store blocks around it (the rest leave RAM once stored: native/src/model/session_swa.cpp).
   */
  kvBytesInRam: number;
  totalBytes: number; // weights + kvBytes
}

/** Positions per KV store block; a local layer keeps at most its window and two of them. */
const STORE_BLOCK = 128;

/**
 * Gemma 3's sliding-window layers, as the engine reads them (hparams.cpp): every layer but
 * each period-th (period 6 when unsaid; 0: every layer) attends its last `window` positions.
 */
function slidingLayers(md: GgufSummary["metadata"], arch: string, nLayer: number): { layers: number; window: number } {
  const window = arch === "gemma3" ? num(md, `${arch}.attention.sliding_window`) ?? 0 : 0;
  if (window <= 0) return { layers: 0, window: 0 };
  const period = num(md, `${arch}.attention.sliding_window_pattern`) ?? 6;
  const global = period > 0 ? Math.floor(nLayer / period) : 0;
  return { layers: nLayer - global, window };
}

function num(md: GgufSummary["metadata"], key: string): number | undefined {
  const v = md[key];
  return typeof v === "number" ? v : undefined;
}

/** Positions a session may hold (kMaxCtx, native/src/addon/session_wrap.cpp). */
export const MAX_SESSION_CTX = 1 << 24;

/**
 * A session's context when none is asked for, as the engine picks it (default_ctx): the
 * trained one (2048 when the file has none) within [1, MAX_SESSION_CTX]. A file may declare
 * any number; sized as declared, 2^30 read as a 64 TiB cache that no session would hold.
 */
export function defaultContext(trained: number | undefined): number {
  const t = trained !== undefined && Number.isFinite(trained) ? Math.trunc(trained) : 2048;
  return Math.min(Math.max(t, 1), MAX_SESSION_CTX);
}

/** Weights + KV cache at `ctx` tokens, or at the context a session takes by default. */
export function estimateMemory(summary: GgufSummary, ctx?: number): MemoryEstimate | undefined {
  const md = summary.metadata;
  const arch = md["general.architecture"];
  if (typeof arch !== "string") return undefined;
  const nLayer = num(md, `${arch}.block_count`);
  const nEmbd = num(md, `${arch}.embedding_length`);
  const nHead = num(md, `${arch}.attention.head_count`);
  if (!nLayer || !nEmbd || !nHead) return undefined;
  const nHeadKv = num(md, `${arch}.attention.head_count_kv`) ?? nHead;
  const headDim = num(md, `${arch}.attention.key_length`) ?? nEmbd / nHead;
  const c = ctx ?? defaultContext(num(md, `${arch}.context_length`));
  const weightBytes = summary.tensors.reduce((s, t) => s + t.bytes, 0);
  const perLayerPosition = 2 * nHeadKv * headDim * 2;
  const kvBytes = perLayerPosition * nLayer * c;
  const sliding = slidingLayers(md, arch, nLayer);
  const localRows = Math.min(c, sliding.window + 2 * STORE_BLOCK);
  const kvBytesInRam = perLayerPosition * ((nLayer - sliding.layers) * c + sliding.layers * localRows);
  return { ctx: c, weightBytes, kvBytes, kvBytesInRam, totalBytes: weightBytes + kvBytes };
}
