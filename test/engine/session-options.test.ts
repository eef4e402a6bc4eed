// Session options at the addon's boundary: every out-of-range or mistyped value
// is refused at construction with a TypeError (code ERR_INVALID_ARG) naming the
// option, or BAD_ARGUMENT for an unknown attention mode; nothing is created, and
// the edge values themselves are accepted.
import { describe, expect, it } from "vitest";
import { loadAddon, type SessionOptions } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";

describe.skipIf(!hasData)("Session options", () => {
  const addon = loadAddon();
  const model = () => new addon.Model(modelPath("stories260K.gguf"));

  function refusal(options: unknown): { code?: string; message: string } | null {
    try {
      new addon.Session(model(), options as SessionOptions).close();
      return null;
    } catch (e) {
      const err = e as Error & { code?: string };
      return { code: err.code, message: err.message };
    }
  }

  it("refuses hostile sizes and mistyped values, naming the option", () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ctx: 1e12 }, "ERR_INVALID_ARG", /ctx/],
      [{ ctx: -5 }, "ERR_INVALID_ARG", /ctx/],
      [{ ctx: 10.5 }, "ERR_INVALID_ARG", /ctx.*integer/],
      [{ ctx: Number.NaN }, "ERR_INVALID_ARG", /ctx/],
      [{ ctx: "256" }, "ERR_INVALID_ARG", /ctx/],
      [{ threads: 1e6 }, "ERR_INVALID_ARG", /threads/],
      [{ batch: 0 }, "ERR_INVALID_ARG", /batch/],
      [{ attention: "retrieval", sinks: -1 }, "ERR_INVALID_ARG", /sinks/],
      [{ attention: "retrieval", window: 0 }, "ERR_INVALID_ARG", /window/],
      [{ attention: "retrieval", topK: 1e9 }, "ERR_INVALID_ARG", /topK/],
      [{ attention: "retrieval", degree: 1 }, "ERR_INVALID_ARG", /degree/],
      [{ attention: "retrieval", querySample: 0 }, "ERR_INVALID_ARG", /querySample/],
      [{ attention: "retrieval", widenBelow: 2 }, "ERR_INVALID_ARG", /widenBelow/],
      [{ ramBudget: -5 }, "ERR_INVALID_ARG", /ramBudget/],
      [{ ramBudgetFrac: 7 }, "ERR_INVALID_ARG", /ramBudgetFrac/],
      [{ eviction: "fifo" }, "ERR_INVALID_ARG", /eviction/],
      [{ attention: "x" }, "BAD_ARGUMENT", /attention mode/],
      [7, "ERR_INVALID_ARG", /options/],
    ];
    for (const [options, code, message] of cases) {
      const r = refusal(options);
      expect(r, JSON.stringify(options)).not.toBeNull();
      expect(r!.code, JSON.stringify(options)).toBe(code);
      expect(r!.message, JSON.stringify(options)).toMatch(message);
    }
  });

  it("writeSyntheticModel rejects bad options (never throws at the call)", async () => {
    const call = (o: unknown) => addon.writeSyntheticModel(o as Parameters<typeof addon.writeSyntheticModel>[0]);
    await expect(call(7)).rejects.toMatchObject({ code: "ERR_INVALID_ARG" });
    await expect(call({ arch: "llama", shape: "smol", type: "bogus", vocab: "v", out: "o" })).rejects.toMatchObject({
      code: "BAD_ARGUMENT",
      message: expect.stringMatching(/weight type/),
    });
  });

  it("accepts the edge values", () => {
    for (const options of [
      { ctx: 1 },
      { ctx: 64, threads: 0, batch: 1 },
      { ctx: 64, batch: 65536 },
      { ctx: 64, attention: "retrieval", sinks: 0, window: 1, topK: 1, degree: 2, querySample: 1, widenBelow: 1 },
      { ctx: 64, ramBudgetFrac: 1, eviction: "lru" },
    ] as SessionOptions[]) {
      expect(refusal(options), JSON.stringify(options)).toBeNull();
    }
  });
});
