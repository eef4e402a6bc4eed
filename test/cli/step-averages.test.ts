// The benches' per-step averages: each phase's mean over the steps added, the
// scanned share over every step, the monitor's figures over the steps it sampled.
import { describe, expect, it } from "vitest";
import { describePhases, STEP_PHASES, StepAverages } from "../../main/bench/step-averages";
import type { StepStats } from "../../main/engine/native";

function stats(ms: Partial<StepStats["ms"]>, scanned: number, monitor?: { mass: number; recall: number }): StepStats {
  const zero = { matmul: 0, fullAttention: 0, staticAttention: 0, search: 0, retrievedAttention: 0, merge: 0, other: 0, indexBuild: 0, indexInsert: 0, monitor: 0 };
  return {
    tokens: 1, mode: "retrieval", sinks: 128, window: 512, sparse: true, ms: { ...zero, ...ms },
    keysScanned: 0, keysIndexed: 0, keysScannedFrac: scanned, keysRetrieved: 0, topK: 100, widened: false,
    ...(monitor ? { massCaptured: monitor.mass, recall: monitor.recall } : {}),
    positions: new Int32Array(), weights: new Float32Array(), indexBytes: 0,
  };
}

describe("StepAverages", () => {
  it("averages each phase over the steps, the monitor over the steps it sampled", () => {
    const a = new StepAverages();
    a.add(stats({ matmul: 6, search: 20, indexBuild: 9000 }, 0.02));
    a.add(stats({ matmul: 8, search: 30, indexInsert: 3 }, 0.04, { mass: 0.5, recall: 0.9 }));
    a.add(stats({ matmul: 7, search: 25, other: 1.5 }, 0.03));
    const ph = a.phases();
    expect(ph.matmul).toBeCloseTo(7, 12);
    expect(ph.search).toBeCloseTo(25, 12);
    expect(ph.indexInsert).toBeCloseTo(1, 12);
    expect(ph.other).toBeCloseTo(0.5, 12);
    expect(ph.fullAttention).toBe(0);
    expect(Object.keys(ph)).not.toContain("indexBuild"); // the build is a row's build_s, not a step's time
    expect(a.keysScannedFrac).toBeCloseTo(0.03, 12);
    expect(a.monitor()).toEqual({ mean_mass: 0.5, mean_recall: 0.9 });
  });

  it("reads zero with no steps, and names only the phases a step spent time in", () => {
    const a = new StepAverages();
    expect(Object.values(a.phases())).toEqual(STEP_PHASES.map(() => 0));
    expect(a.monitor()).toEqual({});
    expect(describePhases(a.phases())).toBe("none timed");
    a.add(stats({ search: 25.514, matmul: 6.3 }, 0));
    expect(describePhases(a.phases())).toBe("matmul 6.30, search 25.51");
  });
});
