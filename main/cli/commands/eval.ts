// tome eval --model M.gguf [--tasks ...] [--lengths 4K,16K] [--depths 0,25,50,75,100]
//           [--modes full,retrieval,streaming] [--haystack noise|FILE] [--samples N] [--json] [--report FILE]
// RULER-style synthetic tasks on the user's model, answered with full attention
// and each sparse mode: score, agreement with full attention, KL of the first
// answer token, the monitor's recall and mass, ms per token (main/eval).
// Progress goes to stderr; --json prints {"suite":"eval","rows":[...]} to stdout,
// before the report is written, so a report that cannot be written loses no row.
import * as fs from "node:fs";
import * as os from "node:os";
import { loadHaystack, type HaystackSource } from "../../eval/haystack";
import { defaultLengths, lengthLabel, MAX_LENGTH, parseDepth, parseLength, parseList, parseMode, parseTask } from "../../eval/options";
import { promptingOf } from "../../eval/prompt";
import { writeReport } from "../../eval/report/write";
import { runEval } from "../../eval/runner";
import { validateEvalResult } from "../../eval/schema";
import { summaryLines } from "../../eval/summary";
import { TASKS, type EvalOptions, type EvalResult, type EvalRow } from "../../eval/types";
import { loadAddon } from "../../engine";
import { intArg, optionalIntArg, parse, requireArg, UsageError } from "../args";
import { CliError, namedFileError } from "../errors";
import { checkParentDirectory, openModel } from "../files";
import * as L from "../limits";

export const usage = `tome eval --model M.gguf [--tasks ${TASKS.join(",")}]
         [--lengths 4K,8K,16K,32K,64K,128K up to the trained context] [--depths 0,25,50,75,100]
         [--modes full,retrieval,streaming] [--haystack noise|FILE] [--samples 1] [--seed 1] [--sinks 128] [--window 512]
         [--topk 100] [--monitor-every 1] [--monitor-heads 4] [--threads N] [--beyond-trained] [--json] [--report FILE]
       tome eval --from RESULT.json --report FILE      (the report of a saved --json result)`;

export const flags = `  --model FILE           the GGUF model (required)
  --tasks LIST           tasks to run, comma separated, or all (all: ${TASKS.join(", ")})
  --lengths LIST         context lengths in tokens (4K = 4096), each in [64, ${MAX_LENGTH}]
                         (4K, 8K, 16K, 32K, 64K, 128K up to the model's trained context, or that context)
  --depths LIST          needle depths in percent of the haystack (0,25,50,75,100)
  --modes LIST           attention modes: full, retrieval, streaming, flat, ivf (full,retrieval,streaming)
  --haystack SRC         noise (RULER's filler) or a book file: txt, md, epub, pdf, html, doc, docx, odt, fb2, rtf, mobi, azw3 (noise)
  --samples N            instances per task, length and depth (1)
  --seed S               seed of the instances (1)
  --sinks N              first tokens always attended in the sparse modes (128)
  --window N             last tokens always attended in the sparse modes (512)
  --topk N               keys retrieved per query head (100)
  --monitor-every N      measure recall and captured mass every N answer steps (1)
  --monitor-heads N      (layer, KV head) pairs the monitor samples (4)
  --threads N            CPU threads (one per core)
  --beyond-trained       allow lengths above the model's trained context (rows are marked)
  --json                 print the result as one JSON object on stdout
  --report FILE          write an HTML report (its folder must exist)
  --from RESULT.json     with --report: the report of a saved --json result, nothing run
  -h, --help             this help`;

/** The report of a saved --json result. */
function reportFromJson(from: string, report: string): number {
  checkParentDirectory("--report", report);
  const result = readResult(from);
  for (const line of summaryLines(result)) process.stderr.write(line + "\n");
  saveReport(report, result);
  return 0;
}

function saveReport(file: string, result: EvalResult): void {
  try {
    writeReport(file, result);
  } catch (e) {
    throw namedFileError("--report", file, e);
  }
  process.stderr.write(`tome eval: report written to ${file}\n`);
}

function readResult(from: string): EvalResult {
  let text: string;
  try {
    text = fs.readFileSync(from, "utf8");
  } catch (e) {
    throw namedFileError("--from", from, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--from '${from}': not JSON (${(e as Error).message.replace(/\s+/g, " ")})`, "NOT_JSON");
  }
  try {
    return validateEvalResult(json);
  } catch (e) {
    throw new CliError(`--from '${from}': not a tome eval result (${(e as Error).message})`, "NOT_EVAL_RESULT");
  }
}

async function readHaystack(spec: string): Promise<HaystackSource> {
  try {
    return await loadHaystack(spec);
  } catch (e) {
    throw namedFileError("--haystack", spec, e);
  }
}

function listArg<T>(v: string | undefined, name: string, one: (s: string) => T, dflt: T[]): T[] {
  if (v === undefined) return dflt;
  try {
    return parseList(v, one);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

const OPTIONS = {
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
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

/** Every flag but the lengths' default (the model's trained context decides it); reads no file. */
function evalOptions(values: Values): Omit<EvalOptions, "lengths"> & { lengths?: number[] } {
  return {
    tasks: listArg(values.tasks === "all" ? undefined : values.tasks, "tasks", parseTask, [...TASKS]),
    lengths: values.lengths === undefined ? undefined : listArg(values.lengths, "lengths", parseLength, []),
    depths: listArg(values.depths, "depths", parseDepth, [0, 25, 50, 75, 100]),
    modes: listArg(values.modes, "modes", parseMode, ["full", "retrieval", "streaming"]),
    haystack: values.haystack ?? "noise",
    samples: intArg(values.samples, "samples", 1, 1, 1000),
    seed: intArg(values.seed, "seed", 1, 0, 2 ** 32),
    threads: intArg(values.threads, "threads", Math.min(os.cpus().length, L.MAX_THREADS), 1, L.MAX_THREADS),
    beyondTrained: values["beyond-trained"] === true,
    sinks: optionalIntArg(values.sinks, "sinks", 0, L.MAX_SINKS),
    window: optionalIntArg(values.window, "window", 1, L.MAX_WINDOW),
    topK: optionalIntArg(values.topk, "topk", 1, L.MAX_TOP_K),
    monitorEvery: intArg(values["monitor-every"], "monitor-every", 1, 1, L.MAX_MONITOR_EVERY),
    monitorHeads: intArg(values["monitor-heads"], "monitor-heads", 4, 1, L.MAX_MONITOR_HEADS),
  };
}

function rowLine(r: EvalRow): string {
  return (
    `eval ${r.task} ${lengthLabel(r.length)} depth ${r.depth ?? "-"} ${r.mode}: score ${r.score.toFixed(2)}` +
    (r.agree_with_full === null ? "" : `, agree ${r.agree_with_full}, KL ${r.kl!.toExponential(2)}`) +
    (r.recall === null ? "" : `, recall ${r.recall.toFixed(3)}`) +
    (r.mass === null ? "" : `, mass ${r.mass.toFixed(3)}`) +
    (r.ms_per_token === null ? "" : `, ${r.ms_per_token.toFixed(1)} ms/token`) +
    (r.mode !== "full" && !r.sparse ? ` (prefill shorter than sinks + window + 256: the query ran exact, ${r.sparse_steps} answer steps sparse)` : "")
  );
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS);
  if (values.from !== undefined) return reportFromJson(values.from, requireArg(values.report, "report"));
  const modelPath = requireArg(values.model, "model");
  const given = evalOptions(values);
  // a report that cannot be written fails now, not after every row has run
  if (values.report !== undefined) checkParentDirectory("--report", values.report);
  const haystack = await readHaystack(given.haystack);
  const addon = loadAddon();
  const model = openModel("--model", modelPath);
  const info = model.info();
  const options: EvalOptions = { ...given, lengths: given.lengths ?? defaultLengths(info.nCtxTrain) };
  const beyond = options.lengths.filter((l) => l > info.nCtxTrain);
  if (beyond.length && !options.beyondTrained) {
    throw new UsageError(`lengths ${beyond.map(lengthLabel).join(", ")} exceed the model's trained context (${info.nCtxTrain}); add --beyond-trained to run them anyway (rows are marked)`);
  }
  const prompting = promptingOf(addon, modelPath, model);
  if (!prompting.template) process.stderr.write("tome eval: the model has no chat template; prompts use tome's plain template (Question: ... Answer:)\n");
  const result = await runEval({ addon, model, modelPath, prompting, haystack }, options, {
    onRow: (r) => process.stderr.write(rowLine(r) + "\n"),
  });
  for (const line of summaryLines(result)) process.stderr.write(line + "\n");
  if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
  if (values.report !== undefined) saveReport(values.report, result);
  return 0;
}
