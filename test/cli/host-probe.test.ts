// The benches' host probe: its chase must visit every line once before it
// repeats (else it measures a short loop that stays in cache), and report a
// finite time.
import { describe, expect, it } from "vitest";
import { describeHost, probeHost, randomReadNs, singleCycle } from "../../main/bench/host-probe";

/** Steps from 0 back to 0, and how many distinct elements were met. */
function cycleFrom0(next: Int32Array): { length: number; distinct: number } {
  const seen = new Set<number>();
  let x = 0;
  let length = 0;
  do {
    seen.add(x);
    x = next[x];
    length++;
  } while (x !== 0 && length <= next.length);
  return { length, distinct: seen.size };
}

describe("host probe", () => {
  it("singleCycle is one cycle through every element", () => {
    for (const n of [2, 3, 4, 10, 1000, 4097, 65536]) {
      const next = singleCycle(n);
      expect(cycleFrom0(next)).toEqual({ length: n, distinct: n });
      for (let i = 0; i < n; i++) expect(next[i]).not.toBe(i); // no fixed point
    }
  });
  it("different seeds give different cycles", () => {
    expect(Array.from(singleCycle(1000, 1))).not.toEqual(Array.from(singleCycle(1000, 2)));
  });
  it("a chase over a small buffer reports a finite time, and the host its CPU", () => {
    const ns = randomReadNs(1 << 20, 10000);
    expect(Number.isFinite(ns) && ns > 0).toBe(true);
    const h = probeHost(1 << 20, 10000);
    expect(h.cpu.length).toBeGreaterThan(0);
    expect(describeHost(h)).toMatch(/^host: .+, random read \d+ ns a line over 1 MiB$/);
  });
});
