// Greedy answer decoding in one session, from the logits of the query (the
// question and answer prefix, just evaluated): up to maxNew tokens or end of
// generation. Collects what the row needs: the first answer-token distribution,
// the tokens and text, ms per decode step, and the monitor's recall and mass.
import type { NativeModel, NativeSession } from "../engine/native";
import { argmax, logSoftmax } from "./divergence";

export interface Answer {
  tokens: number[];
  text: string;
  /** log p of the first answer token (n_vocab). */
  firstLogp: Float64Array;
  msPerToken: number | null;
  recall: number | null;
  mass: number | null;
  /** Decode steps that ran sparse. */
  sparseSteps: number;
}

/** Running means of the monitor's figures over the evals of one answer. */
export class MonitorMeans {
  private recall: number[] = [];
  private mass: number[] = [];
  add(session: NativeSession) {
    const st = session.lastStats();
    if (typeof st.recall === "number" && Number.isFinite(st.recall)) this.recall.push(st.recall);
    if (typeof st.massCaptured === "number" && Number.isFinite(st.massCaptured)) this.mass.push(st.massCaptured);
  }
  get meanRecall(): number | null {
    return this.recall.length ? this.recall.reduce((a, b) => a + b, 0) / this.recall.length : null;
  }
  get meanMass(): number | null {
    return this.mass.length ? this.mass.reduce((a, b) => a + b, 0) / this.mass.length : null;
  }
}

export async function decodeAnswer(
  model: NativeModel,
  session: NativeSession,
  queryLogits: Float32Array,
  maxNew: number,
  monitor: MonitorMeans,
  cancelled: () => boolean,
): Promise<Answer> {
  const firstLogp = logSoftmax(queryLogits);
  const tokens: number[] = [];
  let logits = queryLogits;
  const stepLogits = new Float32Array(queryLogits.length); // every step's logits, one array
  let ms = 0;
  let steps = 0;
  let sparseSteps = 0;
  while (tokens.length < maxNew) {
    const t = argmax(logits);
    if (model.isEog(t)) break;
    tokens.push(t);
    if (tokens.length === maxNew) break;
    if (cancelled()) throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
    const t0 = performance.now();
    logits = await session.evalInto(Int32Array.of(t), stepLogits);
    ms += performance.now() - t0;
    steps++;
    if (session.lastStats().sparse) sparseSteps++;
    monitor.add(session);
  }
  const text = Buffer.concat(tokens.map((t) => Buffer.from(model.tokenToPiece(t, false)))).toString("utf8");
  return { tokens, text, firstLogp, msPerToken: steps ? ms / steps : null, recall: monitor.meanRecall, mass: monitor.meanMass, sparseSteps };
}
