// Accuracy of a sparse attention mode against full attention on a real model:
// full attention reads a document and continues it greedily (the reference);
// each measured session reads the same document and is teacher-forced on that
// continuation, so every step compares next-token distributions over the same
// history. Shared by `tome bench accuracy` and `tome bench settings`.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadAddon, type NativeModel, type SessionOptions } from "../engine/native";
import { argmax, kl, logSoftmax } from "../eval/divergence";
import { StepAverages } from "./step-averages";
import { requireTestData } from "./test-data";

/** Full attention's greedy continuation of doc: the tokens and their log-distributions. */
export interface Reference {
  model: NativeModel;
  doc: number[];
  tokens: number[];
  logProbs: Float64Array[];
  ctx: number;
}

export interface ForcedMetrics {
  /** Share of steps whose greedy token equals full attention's. */
  token_agreement: number;
  /** Mean KL(full || mode) of the next-token distributions, nats. */
  mean_kl: number;
  /** The quality monitor's captured softmax mass and recall@k, averaged over the sampled steps. */
  mean_mass?: number;
  mean_recall?: number;
  /** Keys the searches scored, as a share of the indexed keys, averaged over the steps. */
  keys_scanned_frac: number;
  ms_per_token: number;
}

/**
 * stories260K (trained; header context 2048) over the opening of a book from
 * ../shared/books: the longest context the fixture models handle, leaving
 * `steps` positions for the continuation.
 */
export function storiesDocument(steps: number): { model: NativeModel; doc: number[]; ctx: number } {
  const data = requireTestData();
  const model = new (loadAddon().Model)(path.join(data, "models", "stories260K.gguf"));
  const ctx = model.info().nCtxTrain;
  const text = fs.readFileSync(path.join(data, "books", "alice-in-wonderland_pg11.txt"), "utf8").replace(/\r\n/g, "\n");
  const doc = Array.from(model.tokenize(text, true, false)).slice(0, ctx - steps - 1);
  return { model, doc, ctx };
}

export async function fullReference(model: NativeModel, doc: number[], ctx: number, steps: number, threads: number): Promise<Reference> {
  const full = new (loadAddon().Session)(model, { ctx, threads, attention: "full" });
  try {
    let l = await full.eval(Int32Array.from(doc));
    const tokens: number[] = [];
    const logProbs: Float64Array[] = [];
    for (let i = 0; i < steps; i++) {
      logProbs.push(logSoftmax(l));
      const t = argmax(l);
      tokens.push(t);
      l = await full.eval(Int32Array.of(t));
    }
    return { model, doc, tokens, logProbs, ctx };
  } finally {
    full.close();
  }
}

/** A session with `options` (ctx and threads added) teacher-forced on the reference. */
export async function teacherForced(ref: Reference, options: SessionOptions, threads: number): Promise<ForcedMetrics> {
  const s = new (loadAddon().Session)(ref.model, { monitorEvery: 1, monitorHeads: 4, ...options, ctx: ref.ctx, threads });
  try {
    let lm = await s.eval(Int32Array.from(ref.doc));
    let agree = 0, klSum = 0;
    const averages = new StepAverages();  // the forced steps' stats (not the document's prefill)
    const t0 = performance.now();
    for (let i = 0; i < ref.tokens.length; i++) {
      if (i > 0) averages.add(s.lastStats());
      if (argmax(lm) === ref.tokens[i]) agree++;
      klSum += kl(ref.logProbs[i], logSoftmax(lm));
      lm = await s.eval(Int32Array.of(ref.tokens[i]));
    }
    const steps = ref.tokens.length;
    return {
      token_agreement: agree / steps,
      mean_kl: klSum / steps,
      keys_scanned_frac: averages.keysScannedFrac,
      ms_per_token: (performance.now() - t0) / steps,
      ...averages.monitor(),
    };
  } finally {
    s.close();
  }
}

export function describeMetrics(m: ForcedMetrics): string {
  return `agreement ${(100 * m.token_agreement).toFixed(1)}%, mean KL ${m.mean_kl.toExponential(2)}` +
    (m.mean_mass !== undefined ? `, mass ${m.mean_mass.toFixed(3)}, recall ${m.mean_recall!.toFixed(3)}` : "") +
    `, scanned ${(100 * m.keys_scanned_frac).toFixed(1)}%, ${m.ms_per_token.toFixed(1)} ms/token`;
}
