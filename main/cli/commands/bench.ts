// tome bench SUITE [--json] [--quick]: measurements, never pass/fail tests.
// Suites: engine (tome vs llama.cpp through node-llama-cpp), index (recall vs
// keys scanned per index), decode (ms per token vs context per attention mode),
// accuracy (retrieval vs full on a real model), store (KV store: prefill, reopen, RAM budget).
import { parse, UsageError } from "../args";
import { benchAccuracy } from "../../bench/accuracy";
import { benchDecode } from "../../bench/decode";
import { benchEngine } from "../../bench/engine";
import { benchIndex } from "../../bench/index";
import { benchStore } from "../../bench/store";

export const usage = "tome bench engine|index|decode|accuracy|store [--json] [--quick] [--threads N]";

const suites: Record<string, (o: { json: boolean; quick: boolean; threads?: number }) => Promise<unknown>> = {
  engine: benchEngine,
  index: benchIndex,
  decode: benchDecode,
  accuracy: benchAccuracy,
  store: benchStore,
};

export async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: "boolean" }, quick: { type: "boolean" }, threads: { type: "string" } },
    true,
  );
  const suite = positionals[0];
  if (!suite || !suites[suite]) throw new UsageError(`bench needs a suite: ${Object.keys(suites).join(", ")}`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const result = await suites[suite]({ json: values.json === true, quick: values.quick === true, threads });
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
