// tome bench accuracy: retrieval attention against full attention on a real
// model, over the longest context it handles: stories260K (trained at 512,
// header 2048) reads the opening of a book from ../shared/books, then both modes
// are teacher-forced on full attention's greedy continuation. Reports, per mode,
// the share of steps whose greedy token equals full attention's and the mean KL
// divergence KL(full || mode) of the next-token distributions.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, type AttentionMode, type GroupSearch, type NativeSession } from "../engine/native";
import { requireTestData } from "./test-data";
import { argmax, kl, logSoftmax } from "../eval/divergence";

export interface AccuracyRow {
  model: string;
  mode: AttentionMode;
  /** GQA: one search per query head (union of their top-k), one with the group's mean query, or one joint traversal. */
  group?: GroupSearch;
  ms_per_token?: number;
  ctx: number;
  steps: number;
  token_agreement: number;
  mean_kl: number;
  mean_mass?: number;
  mean_recall?: number;
}

export async function benchAccuracy(o: { json: boolean; quick: boolean; threads?: number }) {
  const threads = o.threads ?? os.cpus().length;
  const data = requireTestData();
  const file = path.join(data, "models", "stories260K.gguf");
  const addon = loadAddon();
  const model = new addon.Model(file);
  const ctx = model.info().nCtxTrain; // 2048
  const steps = o.quick ? 64 : 256;
  const text = fs.readFileSync(path.join(data, "books", "alice-in-wonderland_pg11.txt"), "utf8").replace(/\r\n/g, "\n");
  const doc = Array.from(model.tokenize(text, true, false)).slice(0, ctx - steps - 1);
  const open = (attention: AttentionMode, group: GroupSearch = "union"): NativeSession =>
    new addon.Session(model, { ctx, threads, attention, group, monitorEvery: 1, monitorHeads: 4 });
  // full attention's greedy continuation is the reference
  const full = open("full");
  let l = await full.eval(Int32Array.from(doc));
  const ref: Float64Array[] = [];
  const tokens: number[] = [];
  for (let i = 0; i < steps; i++) {
    ref.push(logSoftmax(l));
    const t = argmax(l);
    tokens.push(t);
    l = await full.eval(Int32Array.of(t));
  }
  full.close();
  const rows: AccuracyRow[] = [];
  const variants: [AttentionMode, GroupSearch][] = [
    ["retrieval", "union"], ["retrieval", "joint"], ["retrieval", "mean"], ["flat", "union"], ["ivf", "union"], ["streaming", "union"],
  ];
  for (const [mode, group] of variants) {
    const s = open(mode, group);
    let lm = await s.eval(Int32Array.from(doc));
    let agree = 0, klSum = 0, mass = 0, recall = 0, sampled = 0;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      if (i > 0) {
        const st = s.lastStats();
        if (st.massCaptured !== undefined) { mass += st.massCaptured; recall += st.recall ?? 0; sampled++; }
      }
      if (argmax(lm) === tokens[i]) agree++;
      klSum += kl(ref[i], logSoftmax(lm));
      lm = await s.eval(Int32Array.of(tokens[i]));
    }
    const msPerToken = (performance.now() - t0) / steps;
    s.close();
    const row: AccuracyRow = { model: "stories260K", mode, group, ctx: doc.length, steps, token_agreement: agree / steps,
      mean_kl: klSum / steps, ms_per_token: msPerToken };
    if (sampled) { row.mean_mass = mass / sampled; row.mean_recall = recall / sampled; }
    rows.push(row);
    process.stderr.write(`accuracy ${mode} (${group}): agreement ${(100 * row.token_agreement).toFixed(1)}%, mean KL ${row.mean_kl.toExponential(2)}` +
      (sampled ? `, mass ${row.mean_mass!.toFixed(3)}, recall ${row.mean_recall!.toFixed(3)}` : "") + `, ${msPerToken.toFixed(1)} ms/token\n`);
  }
  return { suite: "accuracy", rows };
}
