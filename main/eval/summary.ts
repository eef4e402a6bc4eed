// Per mode and length, the figures a reader looks for first (means over tasks
// of each task's mean; counts, KL max and ms per token over all rows): mean score,
// agreement with full attention (whole answer and first token), mean and max
// KL of the first answer token, recall, mass, ms per token. Used by the CLI's
// closing lines, the report's table and the app.
import { lengthLabel } from "./options";
import type { EvalMode, EvalResult, EvalRow } from "./types";

export interface SummaryRow {
  mode: EvalMode;
  length: number;
  n: number;
  score: number;
  agree: number | null;
  firstTokenAgree: number | null;
  /** Rows whose first token differs from full attention's, and how many of them at a near-tie
   *  (full's lead under NEAR_TIE nats; rows saved without full_margin count as not). */
  firstTokenDiffers: number;
  firstTokenNearTies: number;
  klMean: number | null;
  klMax: number | null;
  recall: number | null;
  mass: number | null;
  msPerToken: number | null;
  /** Share of instances that ran sparse (the context long enough for the mode's index). */
  sparse: number;
  beyond: boolean;
}

/** A lead of full attention's first answer token over its second, in nats, under which a
 * disagreement is a near-tie: logits moved by ~0.01 (a first-token KL of ~5e-5) flip it. */
export const NEAR_TIE = 0.02;

const nums = (rows: EvalRow[], f: (r: EvalRow) => number | null) => rows.map(f).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * The mean over tasks of each task's mean (as RULER reports): pooled, a task with needle depths
 * (five rows an instance) weighed five times one without (word lists).
 */
function taskMean(rows: EvalRow[], f: (r: EvalRow) => number | null): number | null {
  const perTask = [...new Set(rows.map((r) => r.task))].map((t) => mean(nums(rows.filter((r) => r.task === t), f)));
  return mean(perTask.filter((v): v is number => v !== null));
}

export function summarize(rows: EvalRow[]): SummaryRow[] {
  const order = ["full", "retrieval", "streaming", "flat", "ivf"];
  const modes = [...new Set(rows.map((r) => r.mode))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const lengths = [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b);
  const out: SummaryRow[] = [];
  for (const mode of modes)
    for (const length of lengths) {
      const g = rows.filter((r) => r.mode === mode && r.length === length);
      if (!g.length) continue;
      const kls = nums(g, (r) => r.kl);
      const differs = g.filter((r) => r.first_token_agree === 0);
      out.push({
        mode,
        length,
        n: g.length,
        score: taskMean(g, (r) => r.score)!,
        agree: taskMean(g, (r) => r.agree_with_full),
        firstTokenAgree: taskMean(g, (r) => r.first_token_agree),
        firstTokenDiffers: differs.length,
        firstTokenNearTies: differs.filter((r) => typeof r.full_margin === "number" && r.full_margin < NEAR_TIE).length,
        klMean: taskMean(g, (r) => r.kl),
        klMax: kls.length ? Math.max(...kls) : null,
        recall: taskMean(g, (r) => r.recall),
        mass: taskMean(g, (r) => r.mass),
        msPerToken: mean(nums(g, (r) => r.ms_per_token)),
        sparse: g.filter((r) => r.sparse).length / g.length,
        beyond: g.some((r) => r.beyond_trained),
      });
    }
  return out;
}

/** Whether full attention itself fails the tasks (so agreement and KL are the figures that mean something). */
export function fullCannotSolve(rows: EvalRow[]): boolean {
  const full = rows.filter((r) => r.mode === "full");
  return full.length > 0 && taskMean(full, (r) => r.score)! < 0.1;
}

const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
const sci = (v: number | null) => (v === null ? "–" : v.toExponential(2));

/** "1 of 2 at a near-tie" when some first-token disagreements are near-ties, else "". */
export function nearTieNote(s: SummaryRow): string {
  return s.firstTokenNearTies > 0 ? `${s.firstTokenNearTies} of ${s.firstTokenDiffers} differing at a near-tie` : "";
}

export function summaryLines(result: EvalResult): string[] {
  const lines = [`eval summary (${result.model}, ${result.rows.length} rows):`];
  const summary = summarize(result.rows);
  for (const s of summary) {
    lines.push(
      `  ${s.mode.padEnd(9)} ${lengthLabel(s.length).padStart(6)}${s.beyond ? "*" : " "} score ${s.score.toFixed(3)}` +
        (s.mode === "full" ? "" : `  agree ${pct(s.agree)} (first token ${pct(s.firstTokenAgree)}${nearTieNote(s) ? `; ${nearTieNote(s)}` : ""})  KL mean ${sci(s.klMean)} max ${sci(s.klMax)}`) +
        (s.recall === null ? "" : `  recall ${s.recall.toFixed(3)}`) +
        (s.mass === null ? "" : `  mass ${s.mass.toFixed(3)}`) +
        (s.msPerToken === null ? "" : `  ${s.msPerToken.toFixed(2)} ms/token`) +
        (s.mode !== "full" && s.sparse < 1 ? `  (sparse in ${pct(s.sparse)})` : ""),
    );
  }
  if (result.rows.some((r) => r.beyond_trained)) lines.push("  * beyond the model's trained context");
  if (summary.some((s) => s.firstTokenNearTies > 0))
    lines.push(`  near-tie: full attention's first answer token led its second by under ${NEAR_TIE} nats, so any change of the logits may flip it`);
  if (fullCannotSolve(result.rows)) lines.push("  full attention scores near zero: this model cannot solve these tasks; agreement and KL are the figures that mean something");
  return lines;
}
