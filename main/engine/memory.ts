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
  const c = ctx ?? num(md, `${arch}.context_length`) ?? 2048;
  const weightBytes = summary.tensors.reduce((s, t) => s + t.bytes, 0);
  const kvBytes = 2 * nLayer * nHeadKv * headDim * c * 2;
  return { ctx: c, weightBytes, kvBytes, totalBytes: weightBytes + kvBytes };
}
