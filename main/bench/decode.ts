// tome bench decode: ms per decoded token versus context length for full,
// retrieval, flat and streaming attention, on synthetic models (make-model).
// Contexts up to PREFILL_LIMIT tokens are prefilled for real; longer ones use
// a synthetic KV cache and queries (Session.fillSynthetic), said so per row in
// kv_source. The index is built before timing starts (its cost is in build_s).
// The retrieval rows measure the graph index at every length (the engine's
// exactBelow default, 0); the app and `tome run` scan exactly below
// DEFAULT_EXACT_BELOW keys, which the flat rows measure.
import * as os from "node:os";
import type { BenchOptions } from "../cli/commands/bench";
import { loadAddon, type AttentionMode } from "../engine/native";
import { decodeRun, syntheticModel } from "./synthetic";

export interface DecodeRow {
  mode: AttentionMode;
  shape: string;
  ctx: number;
  ms_per_token: number;
  kv_source: "prefill" | "synthetic";
  build_s: number;
  keys_scanned_frac: number;
}

const PREFILL_LIMIT = Number(process.env.TOME_BENCH_PREFILL_LIMIT ?? 4096);
// Steps timed per row, from the first step after the index build. 16 steps
// moved 10-20% between runs on the 2-core VM (a 128K row's first steps run
// on cold caches and cost up to twice its later ones); 64 average that out,
// and cost at most ~30 s a row (full attention on the 1b shape at 128K).
const N_STEPS = 64;

export async function benchDecode(o: BenchOptions) {
  const threads = o.threads ?? os.cpus().length;
  const shapes = o.shapes ?? (o.quick ? ["smol"] : ["smol", "1b"]);
  const ctxs = o.ctxs ?? (o.quick ? [4096, 131072] : [4096, 16384, 32768, 131072]);
  const modes: AttentionMode[] = ["full", "retrieval", "flat", "streaming"];
  const addon = loadAddon();
  const rows: DecodeRow[] = [];
  const log = (s: string) => process.stderr.write(s + "\n");
  for (const shape of shapes) {
    const model = new addon.Model(await syntheticModel("llama", shape, "q8_0"));
    const nVocab = model.info().nVocab;
    for (const ctx of ctxs)
      for (const mode of modes) {
        const session = new addon.Session(model, { ctx: ctx + N_STEPS + 8, threads, attention: mode });
        try {
          const kvSource = ctx <= PREFILL_LIMIT ? "prefill" : "synthetic";
          const r = await decodeRun(session, { ctx, nVocab, synthetic: kvSource === "synthetic", steps: N_STEPS });
          const scanned = r.averages.keysScannedFrac;
          rows.push({ mode, shape, ctx, ms_per_token: r.msPerToken, kv_source: kvSource, build_s: r.buildS, keys_scanned_frac: scanned });
          log(`decode ${shape} ctx ${ctx} ${mode}: ${r.msPerToken.toFixed(1)} ms/token (${kvSource}; first step ${r.firstMs.toFixed(0)} ms, index build ${r.buildS.toFixed(1)} s, scanned ${(100 * scanned).toFixed(2)}%)`);
        } finally {
          session.close();
        }
      }
  }
  return { suite: "decode", threads, rows };
}
