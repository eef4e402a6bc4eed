// tome bench SUITE [--json] [--quick] [--shape S,..] [--ctx N,..]: measurements,
// never pass/fail tests. --shape and --ctx narrow the decode suite to some of
// its rows (one long run per shape and length, e.g. the 1b shape alone).
// Suites: engine (tome vs llama.cpp through node-llama-cpp), index (recall vs
// keys scanned per index), decode (ms per token vs context per attention mode),
// accuracy (retrieval vs full on a real model), store (KV store: prefill, reopen, RAM budget).
import { parse, UsageError } from "../args";
import { benchAccuracy } from "../../bench/accuracy";
import { benchDecode } from "../../bench/decode";
import { benchEngine } from "../../bench/engine";
import { benchIndex } from "../../bench/index";
import { benchStore } from "../../bench/store";

export const usage =
  "tome bench engine|index|decode|accuracy|store [--json] [--quick] [--threads N] [--shape smol,1b] [--ctx 4096,131072]";

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  threads?: number;
  shapes?: string[]; // decode: only these model shapes
  ctxs?: number[]; // decode: only these context lengths
}

const suites: Record<string, (o: BenchOptions) => Promise<unknown>> = {
  engine: benchEngine,
  index: benchIndex,
  decode: benchDecode,
  accuracy: benchAccuracy,
  store: benchStore,
};

export async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      json: { type: "boolean" },
      quick: { type: "boolean" },
      threads: { type: "string" },
      shape: { type: "string" },
      ctx: { type: "string" },
    },
    true,
  );
  const suite = positionals[0];
  if (!suite || !suites[suite]) throw new UsageError(`bench needs a suite: ${Object.keys(suites).join(", ")}`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const shapes = values.shape === undefined ? undefined : String(values.shape).split(",");
  const ctxs = values.ctx === undefined ? undefined : String(values.ctx).split(",").map(Number);
  if (ctxs?.some((c) => !Number.isInteger(c) || c < 1024)) throw new UsageError("--ctx takes token counts >= 1024, comma separated");
  if ((shapes || ctxs) && suite !== "decode") throw new UsageError("--shape and --ctx apply to the decode suite");
  const result = await suites[suite]({ json: values.json === true, quick: values.quick === true, threads, shapes, ctxs });
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
