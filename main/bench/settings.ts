// tome bench settings: each retrieval setting's default (RetrievalSettings in
// native/src/model/attention_mode.h) against its neighbours, one setting varied
// at a time, the others at their defaults. Two measures:
//   accuracy  stories260K (trained) over the opening of a book, teacher-forced
//             on full attention's greedy continuation (teacher-forced.ts):
//             agreement, mean KL, the monitor's captured mass and recall@k,
//             keys scanned. Its context is 1.9K tokens, so the static set
//             (sinks + window) is a third of it: the rows show which way a
//             setting moves accuracy, not its size at 128K.
//   cost      the synthetic smol shape (make-model) over a synthetic 32K-token
//             KV cache fed pseudo tokens (bench decode's context and feed, a
//             row at a time, no turns): ms per token over 64 steps,
//             keys scanned, index build seconds. Settings of the search and
//             the graph only (sinks and window add their few hundred rows).
// --quick: the accuracy rows only (about a minute).
// Prints {"suite":"settings","rows":[{"measure","setting","value","is_default",..}]}.
import * as os from "node:os";
import type { BenchOptions } from "../cli/commands/bench";
import { loadAddon, type RetrievalOptions } from "../engine/native";
import { decodeRun, syntheticModel } from "./synthetic";
import { describeMetrics, fullReference, storiesDocument, teacherForced, type ForcedMetrics } from "./teacher-forced";

type Setting = "sinks" | "window" | "topK" | "ef" | "degree" | "querySample";

/** The engine's defaults (attention_mode.h; ef 0 = 3 x topK). */
const SETTING_DEFAULTS: Record<Setting, number> = { sinks: 128, window: 512, topK: 100, ef: 300, degree: 32, querySample: 0.25 };

const ACCURACY_SWEEP: Record<Setting, number[]> = {
  sinks: [16, 64, 128, 256],
  window: [128, 256, 512, 1024],
  topK: [25, 50, 100, 200],
  ef: [100, 200, 300, 600],
  degree: [16, 32, 48],
  querySample: [0.1, 0.25, 0.5, 1],
};
// The synthetic KV cache brings its own training queries, so querySample has no cost row.
const COST_SWEEP: Partial<Record<Setting, number[]>> = {
  topK: [50, 100, 200],
  ef: [200, 300, 600],
  degree: [16, 32, 48],
};
const COST_CTX = 32768;
const COST_STEPS = 64;

export interface SettingsRow {
  measure: "accuracy" | "cost";
  setting: Setting;
  value: number;
  is_default: boolean;
  ctx: number;
  // accuracy rows
  token_agreement?: number;
  mean_kl?: number;
  mean_mass?: number;
  mean_recall?: number;
  keys_scanned_frac: number;
  ms_per_token: number;
  // cost rows
  build_s?: number;
}

function options(setting: Setting, value: number): RetrievalOptions {
  const o: RetrievalOptions = { attention: "retrieval" };
  o[setting] = value;
  return o;
}

async function accuracyRows(threads: number, log: (s: string) => void): Promise<SettingsRow[]> {
  const steps = 128;
  const { model, doc, ctx } = storiesDocument(steps);
  const ref = await fullReference(model, doc, ctx, steps, threads);
  const rows: SettingsRow[] = [];
  let defaultMetrics: ForcedMetrics | undefined;  // the default point is shared by every sweep
  for (const [setting, values] of Object.entries(ACCURACY_SWEEP) as [Setting, number[]][])
    for (const value of values) {
      const isDefault = value === SETTING_DEFAULTS[setting];
      const m = (isDefault && defaultMetrics) || (await teacherForced(ref, options(setting, value), threads));
      if (isDefault) defaultMetrics = m;
      rows.push({ measure: "accuracy", setting, value, is_default: isDefault, ctx: doc.length, ...m });
      log(`settings accuracy ${setting} ${value}${isDefault ? " (default)" : ""}: ${describeMetrics(m)}`);
    }
  return rows;
}

async function costRows(threads: number, log: (s: string) => void): Promise<SettingsRow[]> {
  const addon = loadAddon();
  const model = new addon.Model(await syntheticModel("llama", "smol", "q8_0"));
  const nVocab = model.info().nVocab;
  const rows: SettingsRow[] = [];
  let defaultRow: SettingsRow | undefined;  // the default point is shared by every sweep
  for (const [setting, values] of Object.entries(COST_SWEEP) as [Setting, number[]][])
    for (const value of values) {
      const isDefault = value === SETTING_DEFAULTS[setting];
      if (isDefault && defaultRow) {
        rows.push({ ...defaultRow, setting, value });
        continue;
      }
      const session = new addon.Session(model, { ctx: COST_CTX + COST_STEPS + 8, threads, ...options(setting, value) });
      try {
        const r = await decodeRun(session, { ctx: COST_CTX, nVocab, synthetic: true, steps: COST_STEPS });
        const row: SettingsRow = {
          measure: "cost", setting, value, is_default: isDefault, ctx: COST_CTX,
          ms_per_token: r.msPerToken, keys_scanned_frac: r.averages.keysScannedFrac, build_s: r.buildS, ...r.averages.monitor(),
        };
        rows.push(row);
        if (isDefault) defaultRow = row;
        log(`settings cost ${setting} ${value}: ${row.ms_per_token.toFixed(1)} ms/token, scanned ${(100 * row.keys_scanned_frac).toFixed(2)}%, ` +
          `build ${r.buildS.toFixed(1)} s` + (row.mean_recall !== undefined ? `, monitor recall ${row.mean_recall.toFixed(3)}` : ""));
      } finally {
        session.close();
      }
    }
  return rows;
}

export async function benchSettings(o: BenchOptions) {
  const threads = o.threads ?? os.cpus().length;
  const log = (s: string) => process.stderr.write(s + "\n");
  const rows = await accuracyRows(threads, log);
  if (!o.quick) rows.push(...(await costRows(threads, log)));
  return { suite: "settings", threads, rows };
}
