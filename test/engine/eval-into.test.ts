// evalInto(tokens, out): eval(tokens) with the last position's logits written into the caller's
// array, so that a decode loop allocates nothing a step. It must give eval's logits bit for bit
// step after step, refuse an array of the wrong type or length before anything runs, and reject
// (not crash) when the array's buffer is detached while the call runs.
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    return { code: String(err.code), message: String(err.message) };
  }
  return { code: "resolved", message: "" };
}

describe.skipIf(!hasData)("evalInto", () => {
  const addon = loadAddon();
  const model = new addon.Model(modelPath("stories260K.gguf"));
  const nVocab = model.info().nVocab;
  const prompt = Int32Array.from({ length: 40 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 400)));

  it("writes eval's logits, bit for bit, into the one array it is given, step after step", async () => {
    for (const attention of ["full", "retrieval"] as const) {
      const opts = { ctx: 256, threads: 2, attention, sinks: 4, window: 16 };
      const fresh = new addon.Session(model, opts);
      const reused = new addon.Session(model, opts);
      let a = await fresh.eval(prompt);
      expect(await reused.eval(prompt)).toEqual(a);
      const out = new Float32Array(nVocab);
      for (let step = 0; step < 24; step++) {
        const token = Int32Array.of(argmax(a));
        a = await fresh.eval(token);
        const b = await reused.evalInto(token, out);
        expect(b).toBe(out);
        expect(b).toEqual(a);
      }
      expect(reused.tokens()).toEqual(fresh.tokens());
      fresh.close();
      reused.close();
    }
  });

  it("writes only the view it is given when that view is part of a larger buffer", async () => {
    const fresh = new addon.Session(model, { ctx: 128, threads: 1 });
    const reused = new addon.Session(model, { ctx: 128, threads: 1 });
    await fresh.eval(prompt);
    await reused.eval(prompt);
    const whole = new Float32Array(nVocab + 8).fill(-7);
    const out = whole.subarray(4, 4 + nVocab);
    const a = await fresh.eval(Int32Array.of(9));
    expect(await reused.evalInto(Int32Array.of(9), out)).toBe(out);
    expect(out).toEqual(a);
    expect([...whole.subarray(0, 4), ...whole.subarray(4 + nVocab)]).toEqual(new Array(8).fill(-7));
    fresh.close();
    reused.close();
  });

  it("refuses an array of the wrong type or length before it evaluates anything", async () => {
    const s = new addon.Session(model, { ctx: 128, threads: 1 });
    await s.eval(prompt);
    const bad: unknown[] = [new Float32Array(nVocab - 1), new Float32Array(nVocab + 1), new Float64Array(nVocab), [0], undefined];
    for (const out of bad) {
      const r = await rejection(s.evalInto(Int32Array.of(5), out as Float32Array));
      expect(r.code).toBe("ERR_INVALID_ARG");
      expect(s.nPast()).toBe(prompt.length);
    }
    expect((await rejection(s.evalInto(Int32Array.of(5), new Float32Array(3)))).message).toContain(`n_vocab (${nVocab})`);
    s.close();
  });

  it("rejects when the array is detached while it runs, after evaluating the tokens; the session goes on", async () => {
    const s = new addon.Session(model, { ctx: 128, threads: 1 });
    await s.eval(prompt);
    const out = new Float32Array(nVocab);
    const pending = s.evalInto(Int32Array.of(5), out);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    expect(out.length).toBe(0);
    const r = await rejection(pending);
    expect(r.code).toBe("ERR_INVALID_ARG");
    expect(r.message).toContain("detached");
    expect(s.nPast()).toBe(prompt.length + 1);
    const again = new Float32Array(nVocab);
    expect(await s.evalInto(Int32Array.of(6), again)).toBe(again);
    expect(s.nPast()).toBe(prompt.length + 2);
    s.close();
  });
});
