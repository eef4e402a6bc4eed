// Memory a model needs at a context length: weights (tensor bytes, mapped) plus
// the f16 KV cache (2 x n_layer x n_head_kv x head_dim x ctx x 2 bytes).
import type { GgufSummary } from "./native";

export interface MemoryEstimate {
  ctx: number;
  weightBytes: number;
  kvBytes: number;
  totalBytes: number;
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
  const kvBytes = 2 * nLayer * nHeadKv * headDim * c * 2;
  return { ctx: c, weightBytes, kvBytes, totalBytes: weightBytes + kvBytes };
}
