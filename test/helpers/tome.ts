// Small wrappers over the addon for tests: greedy decoding with tome.
import { loadAddon, type NativeModel, type NativeSession } from "../../main/engine";

export { logSoftmax } from "../../main/eval/divergence";

export function argmax(a: Float32Array, from = 0, n = a.length): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
}

export function openTome(path: string, ctx: number, threads = 2): { model: NativeModel; session: NativeSession } {
  const addon = loadAddon();
  const model = new addon.Model(path);
  const session = new addon.Session(model, { ctx, threads });
  return { model, session };
}

/** Greedy continuation: n tokens after prompt, stopping at end of generation as llama.cpp does. */
export async function tomeGreedy(model: NativeModel, session: NativeSession, prompt: number[], n: number): Promise<number[]> {
  let logits = await session.eval(Int32Array.from(prompt));
  const out: number[] = [];
  while (out.length < n) {
    const t = argmax(logits);
    if (model.isEog(t)) break;
    out.push(t);
    if (out.length < n) logits = await session.eval(Int32Array.of(t));
  }
  return out;
}

