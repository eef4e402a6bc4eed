// Per-step engine stats averaged over a run of decode steps: the share of
// indexed keys the searches scored (every step) and the quality monitor's
// captured mass and recall@k (the steps it sampled). Shared by the benches.
import type { StepStats } from "../engine/native";

export class StepAverages {
  private steps = 0;
  private scanned = 0;
  private sampled = 0;
  private mass = 0;
  private recall = 0;

  add(st: StepStats): void {
    this.steps++;
    this.scanned += st.keysScannedFrac;
    if (st.massCaptured !== undefined) {
      this.sampled++;
      this.mass += st.massCaptured;
      this.recall += st.recall ?? 0;
    }
  }

  get keysScannedFrac(): number {
    return this.steps ? this.scanned / this.steps : 0;
  }

  /** The monitor's means, or {} when it sampled no step. */
  monitor(): { mean_mass?: number; mean_recall?: number } {
    return this.sampled ? { mean_mass: this.mass / this.sampled, mean_recall: this.recall / this.sampled } : {};
  }
}
