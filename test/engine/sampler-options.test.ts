// Sampler options at the addon's boundary: the counts (topK, repeatLastN) and
// the seed are whole numbers in range or a TypeError (code ERR_INVALID_ARG)
// naming the option; NaN, huge and fractional counts were cast to int, which is
// undefined behaviour (on x86: INT_MIN, the option silently off). The edge
// values themselves are accepted and sample.
import { describe, expect, it } from "vitest";
import { loadAddon, type SamplerOptions } from "../../main/engine";

describe("Sampler options", () => {
  const addon = loadAddon();

  function refusal(options: unknown): { code?: string; message: string } | null {
    try {
      new addon.Sampler(options as SamplerOptions);
      return null;
    } catch (e) {
      const err = e as Error & { code?: string };
      return { code: err.code, message: err.message };
    }
  }

  it("refuses counts and seeds that are not whole numbers in range, naming the option", () => {
    const cases: [unknown, RegExp][] = [
      [{ topK: Number.NaN }, /topK/],
      [{ topK: 1e12 }, /topK/],
      [{ topK: -1e12 }, /topK/],
      [{ topK: 2.5 }, /topK.*integer/],
      [{ topK: Infinity }, /topK/],
      [{ repeatLastN: Number.NaN }, /repeatLastN/],
      [{ repeatLastN: 1e12 }, /repeatLastN/],
      [{ repeatLastN: -3 }, /repeatLastN/],
      [{ seed: 1.5 }, /seed/],
      [{ topK: "40" }, /topK/],
    ];
    for (const [options, message] of cases) {
      const r = refusal(options);
      expect(r, JSON.stringify(options)).not.toBeNull();
      expect(r!.code, JSON.stringify(options)).toBe("ERR_INVALID_ARG");
      expect(r!.message).toMatch(message);
    }
  });

  it("accepts the edge values, and they sample", () => {
    const logits = Float32Array.from([0.1, 3, 0.2, 2.9]);
    for (const options of [
      { topK: 0 },
      { topK: 2 ** 31 - 1 },
      { repeatLastN: 0, repeatPenalty: 1.1 },
      { repeatLastN: 2 ** 31 - 1, repeatPenalty: 1.1 },
      { seed: Number.MAX_SAFE_INTEGER },
      { topK: 1, temperature: 0.8 },
    ]) {
      expect(refusal(options), JSON.stringify(options)).toBeNull();
      const s = new addon.Sampler(options);
      s.accept(1);
      const t = s.sample(logits);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(logits.length);
    }
    // topK 1 keeps the best logit only, whatever the draw
    expect(new addon.Sampler({ topK: 1, temperature: 0.8, seed: 7 }).sample(logits)).toBe(1);
  });
});
