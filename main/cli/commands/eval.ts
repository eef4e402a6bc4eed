// tome eval --model M.gguf [--tasks ...] [--lengths 4K,16K] [--depths 0,25,50,75,100]
//           [--modes full,retrieval,streaming] [--haystack noise|FILE] [--samples N] [--json] [--report FILE]
// RULER-style synthetic tasks on the user's model, answered with full attention
// and each sparse mode: score, agreement with full attention, KL of the first
// answer token, the monitor's recall and mass, ms per token (main/eval).
// Progress goes to stderr; --json prints {"suite":"eval","rows":[...]} to stdout.
import * as fs from "node:fs";
import * as os from "node:os";
import { loadAddon } from "../../engine";
import { loadHaystack } from "../../eval/haystack";
import { defaultLengths, lengthLabel, parseDepth, parseLength, parseList, parseMode, parseTask } from "../../eval/options";
import { promptingOf } from "../../eval/prompt";
import { writeReport } from "../../eval/report/write";
import { runEval } from "../../eval/runner";
import { validateEvalResult } from "../../eval/schema";
import { summaryLines } from "../../eval/summary";
import { TASKS, type EvalOptions } from "../../eval/types";
import { intArg, parse, requireArg, UsageError } from "../args";

export const usage = `tome eval --model M.gguf [--tasks ${TASKS.join(",")}] [--lengths 4K,16K,32K,128K]
         [--depths 0,25,50,75,100] [--modes full,retrieval,streaming] [--haystack noise|FILE] [--samples 1] [--seed 1]
         [--sinks 128] [--window 512] [--topk 100] [--monitor-every 1] [--threads N] [--beyond-trained] [--json] [--report FILE]
       tome eval --from RESULT.json --report FILE      (the report of a saved --json result)`;

function reportFromJson(from: string, report: string): number {
  const result = validateEvalResult(JSON.parse(fs.readFileSync(from, "utf8")));
  writeReport(report, result);
  for (const line of summaryLines(result)) process.stderr.write(line + "\n");
  process.stderr.write(`tome eval: report written to ${report}\n`);
  return 0;
}

function listArg<T>(v: string | undefined, name: string, one: (s: string) => T, dflt: T[]): T[] {
  if (v === undefined) return dflt;
  try {
    return parseList(v, one);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: "string" },
    tasks: { type: "string" },
    lengths: { type: "string" },
    depths: { type: "string" },
    modes: { type: "string" },
    haystack: { type: "string" },
    samples: { type: "string" },
    seed: { type: "string" },
    threads: { type: "string" },
    sinks: { type: "string" },
    window: { type: "string" },
    topk: { type: "string" },
    "monitor-every": { type: "string" },
    "monitor-heads": { type: "string" },
    "beyond-trained": { type: "boolean" },
    json: { type: "boolean" },
    report: { type: "string" },
    from: { type: "string" },
  });
  if (values.from !== undefined) return reportFromJson(values.from, requireArg(values.report, "report"));
  const modelPath = requireArg(values.model, "model");
  const addon = loadAddon();
  const model = new addon.Model(modelPath);
  const info = model.info();
  const opt = (v: string | undefined, name: string, min: number) => (v === undefined ? undefined : intArg(v, name, 0, min));
  const options: EvalOptions = {
    tasks: listArg(values.tasks === "all" ? undefined : values.tasks, "tasks", parseTask, [...TASKS]),
    lengths: listArg(values.lengths, "lengths", parseLength, defaultLengths(info.nCtxTrain)),
    depths: listArg(values.depths, "depths", parseDepth, [0, 25, 50, 75, 100]),
    modes: listArg(values.modes, "modes", parseMode, ["full", "retrieval", "streaming"]),
    haystack: values.haystack ?? "noise",
    samples: intArg(values.samples, "samples", 1, 1, 1000),
    seed: intArg(values.seed, "seed", 1, 0, 2 ** 32),
    threads: intArg(values.threads, "threads", os.cpus().length, 1, 1024),
    beyondTrained: values["beyond-trained"] === true,
    sinks: opt(values.sinks, "sinks", 0),
    window: opt(values.window, "window", 1),
    topK: opt(values.topk, "topk", 1),
    monitorEvery: intArg(values["monitor-every"], "monitor-every", 1, 1, 1 << 20),
    monitorHeads: intArg(values["monitor-heads"], "monitor-heads", 4, 1, 1 << 16),
  };
  const beyond = options.lengths.filter((l) => l > info.nCtxTrain);
  if (beyond.length && !options.beyondTrained) {
    throw new UsageError(`lengths ${beyond.map(lengthLabel).join(", ")} exceed the model's trained context (${info.nCtxTrain}); add --beyond-trained to run them anyway (rows are marked)`);
  }
  const haystack = await loadHaystack(options.haystack);
  const prompting = promptingOf(addon, modelPath, model);
  if (!prompting.template) process.stderr.write("tome eval: the model has no chat template; prompts use tome's plain template (Question: ... Answer:)\n");
  const result = await runEval({ addon, model, modelPath, prompting, haystack }, options, {
    onRow: (r) =>
      process.stderr.write(
        `eval ${r.task} ${lengthLabel(r.length)} depth ${r.depth ?? "-"} ${r.mode}: score ${r.score.toFixed(2)}` +
          (r.agree_with_full === null ? "" : `, agree ${r.agree_with_full}, KL ${r.kl!.toExponential(2)}`) +
          (r.recall === null ? "" : `, recall ${r.recall.toFixed(3)}`) +
          (r.mass === null ? "" : `, mass ${r.mass.toFixed(3)}`) +
          (r.ms_per_token === null ? "" : `, ${r.ms_per_token.toFixed(1)} ms/token`) +
          (r.mode !== "full" && !r.sparse ? ` (prefill shorter than sinks + window + 256: the query ran exact, ${r.sparse_steps} answer steps sparse)` : "") +
          "\n",
      ),
  });
  for (const line of summaryLines(result)) process.stderr.write(line + "\n");
  if (values.report) {
    writeReport(values.report, result);
    process.stderr.write(`tome eval: report written to ${values.report}\n`);
  }
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}

