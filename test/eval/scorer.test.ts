// RULER string-match scoring: right answers count, near misses do not.
import { describe, expect, it } from "vitest";
import { matches, scoreAnswer } from "../../main/eval/scorer";
import { kl, logSoftmax, topTwoGap } from "../../main/eval/divergence";
import { parseLength } from "../../main/eval/options";

describe("scorer", () => {
  it("accepts the answer anywhere in the text, in any case", () => {
    expect(scoreAnswer(" is: 4817263.", ["4817263"])).toBe(1);
    expect(scoreAnswer("They are QPWXY, abcde and HJKLO", ["QPWXY", "ABCDE", "HJKLO"])).toBe(1);
    expect(scoreAnswer("1. tamori 2. belu", ["belu", "tamori"])).toBe(1);
  });

  it("rejects near misses: another digit, a longer number, a word inside a word", () => {
    expect(matches("the number is 4817264", "4817263")).toBe(false);
    expect(matches("the number is 48172639", "4817263")).toBe(false);
    expect(matches("the number is 14817263", "4817263")).toBe(false);
    expect(matches("VAR ABCDEF", "ABCDE")).toBe(false);
    expect(matches("tamoris", "tamori")).toBe(false);
  });

  it("scores the share of expected strings found (string_match_all)", () => {
    expect(scoreAnswer("1111111 and 2222222", ["1111111", "2222222", "3333333", "4444444"])).toBe(0.5);
    expect(scoreAnswer("", ["1"])).toBe(0);
  });
});

describe("divergence and options", () => {
  it("KL is zero for equal distributions and positive otherwise", () => {
    const a = logSoftmax(Float32Array.of(1, 2, 3));
    expect(kl(a, a)).toBe(0);
    expect(kl(a, logSoftmax(Float32Array.of(3, 2, 1)))).toBeGreaterThan(0.5);
  });

  it("measures the lead of the most likely token over the second, wherever they stand", () => {
    expect(topTwoGap(Float64Array.of(-3, -1.25, -2, -1))).toBeCloseTo(0.25, 12);
    expect(topTwoGap(Float64Array.of(-1, -3, -1))).toBe(0);
    expect(topTwoGap(Float64Array.of(-0.5))).toBeNull();
    expect(topTwoGap(Float64Array.of(-0.5, -Infinity))).toBeNull();
  });

  it("parses lengths as RULER writes them", () => {
    expect([parseLength("4K"), parseLength("16k"), parseLength("2048"), parseLength("1.5K")]).toEqual([4096, 16384, 2048, 1536]);
    expect(() => parseLength("4M")).toThrow(/bad length/);
  });
});
