// Rows -> heatmaps: a depth x length grid per task, mode and metric, each cell
// the mean over samples; difference maps (a mode minus full attention, same
// instance). Pure: the HTML report and the app's Evaluate view draw the same
// grids.
import type { EvalMode, EvalRow, TaskName } from "./types";

export type Metric = "score" | "agree_with_full" | "first_token_agree" | "kl" | "recall" | "mass" | "ms_per_token";

export interface Heatmap {
  task: TaskName;
  mode: EvalMode;
  metric: Metric;
  /** "diff": mode minus full attention. */
  kind: "value" | "diff";
  lengths: number[];
  /** Rows of the grid, top to bottom; [null] for tasks without a depth. */
  depths: (number | null)[];
  /** cells[depthIndex][lengthIndex]: the mean, or null where nothing was measured. */
  cells: (number | null)[][];
  /** Some length here is beyond the model's trained context. */
  beyond: boolean[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function tasksOf(rows: EvalRow[]): TaskName[] {
  return [...new Set(rows.map((r) => r.task))];
}

export function modesOf(rows: EvalRow[]): EvalMode[] {
  const order = ["full", "retrieval", "streaming", "flat", "ivf"];
  return [...new Set(rows.map((r) => r.mode))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function axes(rows: EvalRow[], task: TaskName) {
  const mine = rows.filter((r) => r.task === task);
  const lengths = [...new Set(mine.map((r) => r.length))].sort((a, b) => a - b);
  const depths = [...new Set(mine.map((r) => r.depth))].sort((a, b) => (a ?? -1) - (b ?? -1));
  const beyond = lengths.map((l) => mine.some((r) => r.length === l && r.beyond_trained));
  return { mine, lengths, depths, beyond };
}

export function heatmap(rows: EvalRow[], task: TaskName, mode: EvalMode, metric: Metric): Heatmap {
  const { mine, lengths, depths, beyond } = axes(rows, task);
  const cells = depths.map((d) =>
    lengths.map((l) =>
      mean(mine.filter((r) => r.mode === mode && r.depth === d && r.length === l).map((r) => r[metric]).filter((v): v is number => typeof v === "number")),
    ),
  );
  return { task, mode, metric, kind: "value", lengths, depths, cells, beyond };
}

/** Mode minus full attention, instance by instance, then averaged. */
export function differenceMap(rows: EvalRow[], task: TaskName, mode: EvalMode, metric: Metric = "score"): Heatmap {
  const { mine, lengths, depths, beyond } = axes(rows, task);
  const key = (r: EvalRow) => `${r.length}|${r.depth}|${r.sample}`;
  const full = new Map(mine.filter((r) => r.mode === "full").map((r) => [key(r), r]));
  const cells = depths.map((d) =>
    lengths.map((l) => {
      const diffs: number[] = [];
      for (const r of mine) {
        if (r.mode !== mode || r.depth !== d || r.length !== l) continue;
        const f = full.get(key(r));
        const a = r[metric], b = f?.[metric];
        if (typeof a === "number" && typeof b === "number") diffs.push(a - b);
      }
      return mean(diffs);
    }),
  );
  return { task, mode, metric, kind: "diff", lengths, depths, cells, beyond };
}
