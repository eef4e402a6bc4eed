// Per-step engine stats averaged over a run of decode steps: the share of
// indexed keys the searches scored and the ms of each phase (every step), and
// the quality monitor's captured mass and recall@k (the steps it sampled).
// Shared by the benches.
import type { StepStats } from "../engine/native";

/** The phases a decode step's time is split into (StepStats.ms, less the index build). */
export const STEP_PHASES = [
  "matmul",
  "fullAttention",
  "staticAttention",
  "search",
  "retrievedAttention",
  "merge",
  "indexInsert",
  "monitor",
  "other",
] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

function perPhase(value: (p: StepPhase) => number): Record<StepPhase, number> {
  return Object.fromEntries(STEP_PHASES.map((p) => [p, value(p)])) as Record<StepPhase, number>;
}

export class StepAverages {
  private steps = 0;
  private scanned = 0;
  private sampled = 0;
  private mass = 0;
  private recall = 0;
  private phaseMs = perPhase(() => 0);

  add(st: StepStats): void {
    this.steps++;
    this.scanned += st.keysScannedFrac;
    for (const p of STEP_PHASES) this.phaseMs[p] += st.ms[p];
    if (st.massCaptured !== undefined) {
      this.sampled++;
      this.mass += st.massCaptured;
      this.recall += st.recall ?? 0;
    }
  }

  get keysScannedFrac(): number {
    return this.steps ? this.scanned / this.steps : 0;
  }

  /** Mean ms a step of each phase (0 for every phase when no step was added). */
  phases(): Record<StepPhase, number> {
    const n = Math.max(this.steps, 1);
    return perPhase((p) => this.phaseMs[p] / n);
  }

  /** The monitor's means, or {} when it sampled no step. */
  monitor(): { mean_mass?: number; mean_recall?: number } {
    return this.sampled ? { mean_mass: this.mass / this.sampled, mean_recall: this.recall / this.sampled } : {};
  }
}

/** "matmul 6.31, search 25.51, ..." : the phases a step spent time in, in STEP_PHASES order. */
export function describePhases(ms: Record<StepPhase, number>): string {
  const spent = STEP_PHASES.filter((p) => ms[p] > 0);
  return spent.length ? spent.map((p) => `${p} ${ms[p].toFixed(2)}`).join(", ") : "none timed";
}
