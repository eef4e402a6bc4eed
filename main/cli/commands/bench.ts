// tome bench SUITE [--json] [--quick] [--shape S,..] [--ctx N,..] [--cases C,..]:
// measurements, never pass/fail tests. --shape and --ctx narrow the decode
// suite to some of its rows (one long run per shape and length, e.g. the 1b
// shape alone), --shape the engine suite's too (a3b: its mixture of experts), --type
// its rows' weight types; --cases the store suite's (its layer-major prefills take as
// long as the token-major one each: a quarter of an hour at 32K tokens here).
// Suites: engine (tome vs llama.cpp through node-llama-cpp), index (recall vs
// keys scanned per index), decode (ms per token vs context per attention mode),
// accuracy (retrieval vs full on a real model), settings (each retrieval setting
// against its neighbours: accuracy and cost), store (KV store: prefill, reopen, RAM budget).
import { optionalIntArg, parse, UsageError } from "../args";
import { MAX_CTX, MAX_THREADS } from "../limits";
import { TYPES } from "./make-model";
import { benchAccuracy } from "../../bench/accuracy";
import { benchDecode } from "../../bench/decode";
import { benchEngine } from "../../bench/engine";
import { benchIndex } from "../../bench/index";
import { benchSettings } from "../../bench/settings";
import { benchStore } from "../../bench/store";

export const usage =
  "tome bench engine|index|decode|accuracy|settings|store [--json] [--quick] [--threads N] [--shape smol,1b,a3b] [--type q4_k,iq4_xs] [--ctx 4096,131072] [--cases prefill,layer-major,reopen,budget,short]";

export const flags = `  SUITE                  engine (tome vs llama.cpp), index (recall vs keys scanned), decode (ms/token vs
                         context), accuracy (retrieval vs full), settings (each retrieval setting), store (KV store)
  --json                 print the result as one JSON object on stdout (progress on stderr)
  --quick                a shorter run
  --threads N            CPU threads, in [1, ${MAX_THREADS}] (one per core)
  --shape LIST           decode, engine: only these model shapes (smol, 1b; engine also a3b, a mixture of experts)
  --type LIST            engine: the rows' weight types (dense q8_0 and q4_k, a3b q4_k when unsaid; make-model's --type)
  --ctx LIST             decode: only these context lengths, in tokens (>= 1024)
  --cases LIST           store: only these cases (prefill, layer-major, reopen, budget, short)
  -h, --help             this help`;

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  threads?: number;
  shapes?: string[]; // decode, engine: only these model shapes
  types?: string[]; // engine: the rows' weight types
  ctxs?: number[]; // decode: only these context lengths
  cases?: string[]; // store: only these cases (the token-major prefill runs unless short alone is asked: the others read its store)
}

const suites: Record<string, (o: BenchOptions) => Promise<unknown>> = {
  engine: benchEngine,
  index: benchIndex,
  decode: benchDecode,
  accuracy: benchAccuracy,
  settings: benchSettings,
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
      type: { type: "string" },
      ctx: { type: "string" },
      cases: { type: "string" },
    },
    true,
  );
  const suite = positionals[0];
  if (!suite || !suites[suite]) throw new UsageError(suite ? `unknown suite '${suite}' (suites: ${Object.keys(suites).join(", ")})` : `bench needs a suite: ${Object.keys(suites).join(", ")}`);
  const threads = optionalIntArg(values.threads, "threads", 1, MAX_THREADS);
  const shapes = values.shape === undefined ? undefined : String(values.shape).split(",");
  const ctxs = values.ctx === undefined ? undefined : String(values.ctx).split(",").map(Number);
  if (ctxs?.some((c) => !Number.isInteger(c) || c < 1024 || c > MAX_CTX))
    throw new UsageError(`--ctx takes token counts in [1024, ${MAX_CTX}], comma separated, got '${values.ctx}'`);
  if (shapes && suite !== "decode" && suite !== "engine") throw new UsageError("--shape applies to the decode and engine suites");
  if (ctxs && suite !== "decode") throw new UsageError("--ctx applies to the decode suite");
  const types = values.type === undefined ? undefined : String(values.type).toLowerCase().split(",");
  if (types && suite !== "engine") throw new UsageError("--type applies to the engine suite");
  if (types?.some((t) => !(TYPES as readonly string[]).includes(t))) throw new UsageError(`--type takes ${TYPES.join(", ")}`);
  const cases = values.cases === undefined ? undefined : String(values.cases).split(",");
  const storeCases = ["prefill", "layer-major", "reopen", "budget", "short"];
  if (cases && suite !== "store") throw new UsageError("--cases applies to the store suite");
  if (cases?.some((c) => !storeCases.includes(c))) throw new UsageError(`--cases takes ${storeCases.join(", ")}`);
  const result = await suites[suite]({ json: values.json === true, quick: values.quick === true, threads, shapes, types, ctxs, cases });
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
