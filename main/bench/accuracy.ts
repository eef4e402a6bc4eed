// tome bench accuracy: retrieval attention against full attention on a real
// model, over the longest context it handles: stories260K (trained at 512,
// header 2048) reads the opening of a book from ../shared/books, then each mode
// is teacher-forced on full attention's greedy continuation (teacher-forced.ts).
// Reports, per mode, the share of steps whose greedy token equals full
// attention's and the mean KL divergence KL(full || mode) of the next-token
// distributions.
import * as os from "node:os";
import type { AttentionMode, GroupSearch } from "../engine/native";
import { describeMetrics, fullReference, storiesDocument, teacherForced, type ForcedMetrics } from "./teacher-forced";

export interface AccuracyRow extends ForcedMetrics {
  model: string;
  mode: AttentionMode;
  /** GQA: one search per query head (union of their top-k), one with the group's mean query, or one joint traversal. */
  group?: GroupSearch;
  ctx: number;
  steps: number;
}

export async function benchAccuracy(o: { json: boolean; quick: boolean; threads?: number }) {
  const threads = o.threads ?? os.cpus().length;
  const steps = o.quick ? 64 : 256;
  const { model, doc, ctx } = storiesDocument(steps);
  const ref = await fullReference(model, doc, ctx, steps, threads);
  const rows: AccuracyRow[] = [];
  const variants: [AttentionMode, GroupSearch][] = [
    ["retrieval", "union"], ["retrieval", "joint"], ["retrieval", "mean"], ["flat", "union"], ["ivf", "union"], ["streaming", "union"],
  ];
  for (const [mode, group] of variants) {
    const m = await teacherForced(ref, { attention: mode, group }, threads);
    rows.push({ model: "stories260K", mode, group, ctx: doc.length, steps, ...m });
    process.stderr.write(`accuracy ${mode} (${group}): ${describeMetrics(m)}\n`);
  }
  return { suite: "accuracy", rows };
}
