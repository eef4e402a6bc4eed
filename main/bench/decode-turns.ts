// Which decode-bench rows are timed in turns, and what their turns compare.
// The 2-core VM shares its host: the same row reads 20-40% apart an hour
// apart, and memory-bound rows (full, flat) move differently from
// search-bound ones (retrieval). Rows that hold memory together and take
// turns of a few steps meet the same minutes, so their ratios compare like
// with like; the rows that do not fit run alone afterwards.
import type { AttentionMode, ModelInfo } from "../engine/native";

export interface PlannedRow {
  ctx: number;
  mode: AttentionMode;
}

/**
 * Resident bytes of a decode session at ctx tokens: its K and V (f16) and its
 * indexes, per key and (layer, KV head). The graph: its f16 keys, int8 codes
 * and an adjacency row of up to 48 ids (measured on the smol shape at 16K:
 * 304 bytes at head dim 64, estimated here 392); flat: the f16 keys and their
 * norms (measured 138). Weights and the static set are not counted.
 */
export function sessionBytes(info: Pick<ModelInfo, "nLayer" | "nHeadKv" | "headDim">, ctx: number, mode: AttentionMode): number {
  const keys = info.nLayer * info.nHeadKv * ctx;
  const kv = 4 * info.headDim;
  const index = mode === "retrieval" ? 3 * info.headDim + 4 * 48 + 8 : mode === "flat" || mode === "ivf" ? 2 * info.headDim + 16 : 0;
  return keys * (kv + index);
}

// The goals' rows first (retrieval, then full), the longest context first at
// each: a graph build's training queries are transient memory best spent
// while little else is held; short contexts fit in what is left.
const ADMISSION: AttentionMode[] = ["retrieval", "full", "flat", "ivf", "streaming"];

/** The order in which rows are offered a place in the turns. */
export function admissionOrder(rows: PlannedRow[]): PlannedRow[] {
  const rank = (m: AttentionMode) => {
    const i = ADMISSION.indexOf(m);
    return i < 0 ? ADMISSION.length : i;
  };
  return [...rows].sort((a, b) => rank(a.mode) - rank(b.mode) || b.ctx - a.ctx);
}

/**
 * The untimed warm-up: turns of WARMUP.blockSteps steps per row until every
 * row is steady, at least minSteps and at most maxSteps. A row is steady once
 * its latest block is no more than `steady` times faster than the one before
 * (a row whose memory is coming back gets faster block by block). At least
 * 64 steps: one slow block can pass for steady while the memory is still
 * coming back (smol 128K retrieval, 2026-12-04, after the other rows were
 * prepared: untimed 84.1, 61.1, 58.7, 73.0 ms, where 16 steps were the
 * floor, then timed turns 58.0, 56.6, 48.8, 47.5; the row alone reads ~46).
 */
export const WARMUP = { blockSteps: 8, minSteps: 64, maxSteps: 96, steady: 1.05 };

/** Whether a row whose untimed blocks read `blocks` (ms per token, in order) needs no more of them. */
export function warmedUp(blocks: number[], w = WARMUP): boolean {
  const steps = blocks.length * w.blockSteps;
  if (steps >= w.maxSteps) return true;
  if (steps < w.minSteps || blocks.length < 2) return false;
  return blocks[blocks.length - 2] <= w.steady * blocks[blocks.length - 1];
}

/**
 * Per-turn ratios of rows timed together (their blocks aligned by turn): full
 * over retrieval at each context (how many times faster retrieval is), and
 * retrieval at each longer context over retrieval at the shortest.
 */
export function turnRatios(rows: Array<PlannedRow & { blocks: number[] }>): string[] {
  const find = (ctx: number, mode: AttentionMode) => rows.find((r) => r.ctx === ctx && r.mode === mode);
  const per = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
  const say = (label: string, r: number[]) => {
    const mean = r.reduce((s, x) => s + x, 0) / r.length;
    return `${label} per turn: ${r.map((x) => x.toFixed(2)).join(" ")} (mean ${mean.toFixed(2)}, ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;
  };
  const lines: string[] = [];
  const ctxs = [...new Set(rows.filter((r) => r.mode === "retrieval").map((r) => r.ctx))].sort((a, b) => a - b);
  for (const ctx of ctxs) {
    const full = find(ctx, "full"), ret = find(ctx, "retrieval");
    if (full && ret) lines.push(say(`ctx ${ctx} full / retrieval`, per(full.blocks, ret.blocks)));
  }
  const base = ctxs.length > 1 ? find(ctxs[0], "retrieval") : undefined;
  for (const ctx of ctxs.slice(1))
    if (base) lines.push(say(`retrieval ctx ${ctx} / ctx ${ctxs[0]}`, per(find(ctx, "retrieval")!.blocks, base.blocks)));
  return lines;
}
