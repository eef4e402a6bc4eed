// Memory a model needs at a context length: weights (tensor bytes, mapped) plus
// the f16 KV cache (2 x n_layer x n_head_kv x head_dim x ctx x 2 bytes); and what
// retrieval attention adds in host memory (its indexes, a read's queries).
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
 * The sliding-window layers, as the engine reads them (hparams.cpp): Gemma 3's, Command R7B's
 * (cohere2), OLMo 3's (olmo2 with a window), gpt-oss's and EXAONE 4.0's at 64 layers (its 32B;
 * window 4096 when unsaid): every layer but each period-th (period 6 when unsaid for Gemma 3, 2
 * for gpt-oss, else 4; 0: every layer) attends its last `window` positions.
 */
function slidingLayers(md: GgufSummary["metadata"], arch: string, nLayer: number): { layers: number; window: number } {
  const exaone = arch === "exaone4" && nLayer === 64;
  const windowed = arch === "gemma3" || arch === "cohere2" || arch === "olmo2" || arch === "gpt-oss" || exaone;
  const window = windowed ? num(md, `${arch}.attention.sliding_window`) ?? (exaone ? 4096 : 0) : 0;
  if (window <= 0) return { layers: 0, window: 0 };
  const defaultPeriod = arch === "gemma3" ? 6 : arch === "gpt-oss" ? 2 : 4;
  const period = num(md, `${arch}.attention.sliding_window_pattern`) ?? defaultPeriod;
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

/** The attention shape a file declares; undefined when it lacks one. */
function attentionShape(summary: GgufSummary) {
  const md = summary.metadata;
  const arch = md["general.architecture"];
  if (typeof arch !== "string") return undefined;
  const nLayer = num(md, `${arch}.block_count`);
  const nEmbd = num(md, `${arch}.embedding_length`);
  const nHead = num(md, `${arch}.attention.head_count`);
  if (!nLayer || !nEmbd || !nHead) return undefined;
  const nHeadKv = num(md, `${arch}.attention.head_count_kv`) ?? nHead;
  const headDim = num(md, `${arch}.attention.key_length`) ?? nEmbd / nHead;
  return { md, arch, nLayer, nHead, nHeadKv, headDim, sliding: slidingLayers(md, arch, nLayer) };
}

/** Weights + KV cache at `ctx` tokens, or at the context a session takes by default. */
export function estimateMemory(summary: GgufSummary, ctx?: number): MemoryEstimate | undefined {
  const shape = attentionShape(summary);
  if (!shape) return undefined;
  const { md, arch, nLayer, nHeadKv, headDim, sliding } = shape;
  const c = ctx ?? defaultContext(num(md, `${arch}.context_length`));
  const weightBytes = summary.tensors.reduce((s, t) => s + t.bytes, 0);
  const perLayerPosition = 2 * nHeadKv * headDim * 2;
  const kvBytes = perLayerPosition * nLayer * c;
  const localRows = Math.min(c, sliding.window + 2 * STORE_BLOCK);
  const kvBytesInRam = perLayerPosition * ((nLayer - sliding.layers) * c + sliding.layers * localRows);
  return { ctx: c, weightBytes, kvBytes, kvBytesInRam, totalBytes: weightBytes + kvBytes };
}

/** What retrieval attention holds in RAM besides the K/V, at ctx positions. */
export interface RetrievalHostEstimate {
  /**
   * The graph indexes, one per (indexed layer, KV head) over the keys between the sinks and
   * the window: a key's int8 navigation code (headDim bytes), adjacency (~110: a 16-id row,
   * and a tail row for the ~21% of keys with longer lists) and degree (2): 176 bytes a key at
   * head dim 64, the slope of the engine's index bytes from 32K to 64K keys (README, KV store:
   * memory per key); and 1024 anchor queries an index (bf16) with their lists of 32 (score, id)
   * pairs, a size and a threshold each (native/src/retrieval/graph_anchors.h).
   */
  indexBytes: number;
  /**
   * The prefill's queries while a book is read, until its indexes are built: about 9/8 of the
   * rows a build takes (3/10 as many as keys, from 4096 to 32K an index), at most every query
   * head of one position in four (bf16 rows; native/src/model/query_sample.h).
   */
  readQueryBytes: number;
  /**
   * Of those, what a read with the book's KV store holds at once (the app always reads with
   * one): one indexed layer's. Each committed chunk's queries leave RAM for the store, and each
   * layer's come back just before its index build, which frees them.
   */
  readQueryLayerBytes: number;
}

/** The engine's defaults: one prefill position in four keeps its queries; a build's cap on them. */
const QUERY_STRIDE = 4;
const trainingQueriesWanted = (keys: number) => Math.min(Math.max(Math.floor((keys * 3) / 10), 4096), 32768);

export function estimateRetrievalHost(summary: GgufSummary, ctx: number, sinks: number, window: number): RetrievalHostEstimate | undefined {
  const shape = attentionShape(summary);
  if (!shape) return undefined;
  const { nLayer, nHead, nHeadKv, headDim, sliding } = shape;
  const indexes = (nLayer - sliding.layers) * nHeadKv; // sliding-window layers keep no index
  const keys = Math.max(0, ctx - sinks - window);
  if (keys === 0) return { indexBytes: 0, readQueryBytes: 0, readQueryLayerBytes: 0 };
  const indexBytes = indexes * (keys * (headDim + 112) + 1024 * (2 * headDim + 264));
  const wanted = trainingQueriesWanted(keys);
  const rows = Math.min(Math.ceil(ctx / QUERY_STRIDE) * Math.max(1, Math.round(nHead / nHeadKv)), Math.ceil((wanted * 9) / 8));
  return { indexBytes, readQueryBytes: indexes * rows * headDim * 2, readQueryLayerBytes: nHeadKv * rows * headDim * 2 };
}
