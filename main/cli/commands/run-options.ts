// The flags of `tome run`: its usage and help, and every flag parsed and checked (bounds are
// the engine's, named by the flag; flags that do not apply are noted) before any file is read.
import {
  DEFAULT_EXACT_BELOW,
  DEFAULT_FULL_BELOW,
  defaultCacheDir,
  parseBytes,
  type AttentionMode,
  type SamplerOptions,
  type SessionOptions,
} from "../../engine";
import { flagName, floatArg, intArg, parse, requireArg, UsageError } from "../args";
import * as L from "../limits";

export const usage = `tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0.8] [--seed random] [--top-k 40] [--top-p 0.95]
         [--min-p 0.05] [--repeat-penalty 1] [--threads 0] [--ctx N] [--batch 512] [--json] [--stats]
         [--doc FILE] [--keep-boilerplate] [--attention full|retrieval|streaming|flat|ivf] [--sinks 128] [--window 512]
         [--topk 100] [--ef 3*topk] [--degree 32] [--query-sample 0.25] [--exact-below ${DEFAULT_EXACT_BELOW}]
         [--full-below ${DEFAULT_FULL_BELOW}] [--monitor-every 16] [--monitor-heads 4] [--widen-below 0] [--cache-dir D] [--no-cache] [--ram-budget BYTES|PERCENT%] [--eviction lfu|lru]`;

export const flags = `  --model FILE           the GGUF model (required)
  --prompt TEXT          the prompt (required); with --doc it starts a paragraph after the document
  -n N                   tokens to generate (64), fewer at an end-of-generation token
  --temp T               sampling temperature in [0, 100] (0.8; 0 = greedy)
  --seed S               sampler seed (random; a sampled run prints it on stderr, --json has it, to repeat a run)
  --top-k N              sample among the N likeliest tokens (40; 0 = all)
  --top-p P              sample among the likeliest tokens up to probability mass P, in [0, 1] (0.95)
  --min-p P              drop tokens below P times the likeliest one's probability, in [0, 1] (0.05)
  --repeat-penalty F     divide the logits of recently seen tokens by F, > 0 (1 = off)
  --threads N            CPU threads (0 = one per core)
  --ctx N                context in tokens (document + prompt + -n, at least 512), at most ${L.MAX_CTX}
  --batch N              tokens per prefill batch (512); the document's store commits each
  --json                 print one JSON object (prompt_tokens, tokens, text, seed, ...) instead of the text
  --stats                each step's phase times, keys scanned, monitor recall and mass, retrieved positions
  --doc FILE             a book read before the prompt: txt, md, epub, pdf or html as the app reads them
                         (other extensions as plain text); progress on stderr while it is prefilled
  --keep-boilerplate     keep a Project Gutenberg book's header and licence (dropped by default, as in the app)
  --attention MODE       full (default), retrieval (graph index), streaming (sinks + window only),
                         flat (exact top-k by a scan) or ivf (k-means lists)
  --sinks N              first tokens always attended (128)
  --window N             last tokens always attended (512)
  --topk N               keys retrieved per query head (100)
  --ef N                 graph search beam (0 = 3 x --topk)
  --degree N             graph out-degree, in [2, 1024] (32)
  --query-sample F       share of the prefill's queries the graph is built from, in (0, 1] (0.25)
  --exact-below KEYS     indexes with fewer keys are scanned exactly (${DEFAULT_EXACT_BELOW}; 0 = always the index)
  --full-below KEYS      full attention until the index would hold this many keys: built then at the next
                         prompt, never mid-answer (${DEFAULT_FULL_BELOW}; 0 = an index from the first prompt)
  --monitor-every N      run the quality monitor every N steps (16; 0 = off)
  --monitor-heads N      (layer, KV head) pairs the monitor samples (4)
  --widen-below F        double the search beam while a monitored layer captures less than F of the
                         softmax mass, in [0, 1] (0 = never)
  --cache-dir D          the documents' KV stores ($TOME_CACHE_DIR, else the platform's cache folder:
                         ~/.cache/tome/kv-cache, ~/Library/Caches/tome/kv-cache, %LOCALAPPDATA%\\tome\\kv-cache)
  --no-cache             prefill the document without its store (nothing saved, nothing restored)
  --ram-budget SIZE      cap the host tier's RAM while decoding (2G, 512M or 25%); needs --doc and the store
  --eviction lfu|lru     what goes first under --ram-budget (lfu)
  -h, --help             this help`;

const MODES: AttentionMode[] = ["full", "retrieval", "streaming", "flat", "ivf"];

/** Which attention modes each retrieval flag acts in: given for another, it is noted and ignored. */
const APPLIES_TO: Record<string, AttentionMode[]> = {
  sinks: ["retrieval", "streaming", "flat", "ivf"],
  window: ["retrieval", "streaming", "flat", "ivf"],
  topk: ["retrieval", "flat", "ivf"],
  ef: ["retrieval"],
  degree: ["retrieval"],
  "query-sample": ["retrieval"],
  "exact-below": ["retrieval", "ivf"],
  "full-below": ["retrieval", "streaming", "flat", "ivf"],
  "widen-below": ["retrieval", "ivf"],
};

// Sanity bounds of the sampler's flags (the engine only asks for finite numbers).
const MAX_TEMP = 100;
const MAX_REPEAT_PENALTY = 100;

const OPTIONS = {
  model: { type: "string" },
  prompt: { type: "string" },
  n: { type: "string", short: "n" },
  temp: { type: "string" },
  seed: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  "repeat-penalty": { type: "string" },
  threads: { type: "string" },
  ctx: { type: "string" },
  batch: { type: "string" },
  json: { type: "boolean" },
  doc: { type: "string" },
  "keep-boilerplate": { type: "boolean" },
  attention: { type: "string" },
  sinks: { type: "string" },
  window: { type: "string" },
  topk: { type: "string" },
  ef: { type: "string" },
  degree: { type: "string" },
  "query-sample": { type: "string" },
  "exact-below": { type: "string" },
  "full-below": { type: "string" },
  "monitor-every": { type: "string" },
  "monitor-heads": { type: "string" },
  "widen-below": { type: "string" },
  stats: { type: "boolean" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  "ram-budget": { type: "string" },
  eviction: { type: "string" },
} as const;

type Values = ReturnType<typeof parse<typeof OPTIONS>>["values"];

export interface RunOptions {
  modelPath: string;
  prompt: string;
  nPredict: number;
  /** undefined: as many tokens as the run needs (at least 512). */
  ctx?: number;
  doc?: { path: string; keepBoilerplate: boolean };
  /** The document's store folder and what named it; undefined with --no-cache or without --doc. */
  cache?: { dir: string; label: string };
  json: boolean;
  stats: boolean;
  attention: AttentionMode;
  session: Omit<SessionOptions, "ctx">;
  sampler: Required<Pick<SamplerOptions, "temperature" | "seed" | "topK" | "topP" | "minP" | "repeatPenalty">>;
  /** One-line notes for stderr: flags given that do not apply. */
  notes: string[];
}

/** Every flag of `tome run`, parsed and checked; throws a UsageError naming the flag. Reads no file. */
export function runOptions(argv: string[]): RunOptions {
  const { values } = parse(argv, OPTIONS);
  const attention = (values.attention ?? "full") as AttentionMode;
  if (!MODES.includes(attention)) throw new UsageError(`--attention must be one of ${MODES.join(", ")}, got '${values.attention}'`);
  const doc = values.doc === undefined ? undefined : { path: values.doc, keepBoilerplate: values["keep-boilerplate"] === true };
  if (doc && doc.path === "") throw new UsageError("--doc needs a file name");
  checkStoreFlags(values);
  return {
    modelPath: requireArg(values.model, "model"),
    prompt: requirePrompt(values.prompt),
    // a prompt has at least one token, so -n can fill the engine's context less one
    nPredict: intArg(values.n, "n", 64, 0, L.MAX_CTX - 1),
    ctx: values.ctx === undefined ? undefined : intArg(values.ctx, "ctx", 0, 1, L.MAX_CTX),
    doc,
    cache: doc && values["no-cache"] !== true ? cacheFolder(values["cache-dir"]) : undefined,
    json: values.json === true,
    stats: values.stats === true,
    attention,
    session: sessionOptions(values, attention),
    sampler: samplerOptions(values),
    notes: notesOn(values, attention),
  };
}

function requirePrompt(prompt: string | undefined): string {
  if (prompt === undefined) throw new UsageError("--prompt is required");
  return prompt;
}

/** Flags of the document's store that contradict each other. */
function checkStoreFlags(values: Values): void {
  if (values["no-cache"] && values["cache-dir"] !== undefined)
    throw new UsageError("--no-cache and --cache-dir contradict each other: give one");
  if (values["ram-budget"] !== undefined && values.doc === undefined)
    throw new UsageError("--ram-budget needs --doc: the budget pages the document's KV store");
  if (values["ram-budget"] !== undefined && values["no-cache"])
    throw new UsageError("--ram-budget needs the document's KV store, which --no-cache turns off");
}

function cacheFolder(flagDir: string | undefined): { dir: string; label: string } {
  if (flagDir !== undefined) return { dir: flagDir, label: "--cache-dir" };
  return { dir: defaultCacheDir(), label: process.env.TOME_CACHE_DIR ? "cache folder ($TOME_CACHE_DIR)" : "cache folder" };
}

function sessionOptions(values: Values, attention: AttentionMode): Omit<SessionOptions, "ctx"> {
  return {
    threads: intArg(values.threads, "threads", 0, 0, L.MAX_THREADS),
    // tokens evaluated together in a prefill; the document's store commits each batch
    batch: intArg(values.batch, "batch", 512, 1, L.MAX_BATCH),
    attention,
    sinks: intArg(values.sinks, "sinks", 128, 0, L.MAX_SINKS),
    window: intArg(values.window, "window", 512, 1, L.MAX_WINDOW),
    topK: intArg(values.topk, "topk", 100, 1, L.MAX_TOP_K),
    ef: intArg(values.ef, "ef", 0, 0, L.MAX_EF),
    degree: intArg(values.degree, "degree", 32, L.MIN_DEGREE, L.MAX_DEGREE),
    // the share of prefill queries the graph is built from
    querySample: floatArg(values["query-sample"], "query-sample", 0.25, 0, 1, true),
    exactBelow: intArg(values["exact-below"], "exact-below", DEFAULT_EXACT_BELOW, 0, L.MAX_KEY_COUNT),
    fullBelow: intArg(values["full-below"], "full-below", DEFAULT_FULL_BELOW, 0, L.MAX_KEY_COUNT),
    // the live quality monitor: every N steps (0: off), over a rotating sample of (layer, KV head)
    monitorEvery: intArg(values["monitor-every"], "monitor-every", 16, 0, L.MAX_MONITOR_EVERY),
    monitorHeads: intArg(values["monitor-heads"], "monitor-heads", 4, 1, L.MAX_MONITOR_HEADS),
    // the captured mass under which the monitor doubles the search beam (0: never)
    widenBelow: floatArg(values["widen-below"], "widen-below", 0, 0, 1),
    ...ramBudget(values["ram-budget"], values.eviction),
  };
}

function samplerOptions(values: Values): RunOptions["sampler"] {
  return {
    temperature: floatArg(values.temp, "temp", 0.8, 0, MAX_TEMP),
    seed: intArg(values.seed, "seed", Math.floor(Math.random() * 2 ** 31), 0, Number.MAX_SAFE_INTEGER),
    topK: intArg(values["top-k"], "top-k", 40, 0, L.MAX_TOP_K),
    topP: floatArg(values["top-p"], "top-p", 0.95, 0, 1),
    minP: floatArg(values["min-p"], "min-p", 0.05, 0, 1),
    repeatPenalty: floatArg(values["repeat-penalty"], "repeat-penalty", 1, 0, MAX_REPEAT_PENALTY, true),
  };
}

/** --ram-budget 2G | 2000000 | 25% -> session options. */
function ramBudget(text: string | undefined, eviction: string | undefined): Pick<SessionOptions, "ramBudget" | "ramBudgetFrac" | "eviction"> {
  if (eviction !== undefined && eviction !== "lru" && eviction !== "lfu") throw new UsageError(`--eviction must be lru or lfu, got '${eviction}'`);
  const ev = eviction as "lru" | "lfu" | undefined;
  if (text === undefined) return { eviction: ev };
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (pct) {
    const frac = Number(pct[1]) / 100;
    if (!(frac > 0 && frac <= 1)) throw new UsageError(`--ram-budget percent must be in (0, 100], got '${text}'`);
    return { ramBudgetFrac: frac, eviction: ev };
  }
  let bytes: number;
  try {
    bytes = parseBytes(text);
  } catch (e) {
    throw new UsageError(`--ram-budget: ${(e as Error).message}`);
  }
  if (!(bytes >= 1 && bytes <= L.MAX_RAM_BUDGET))
    throw new UsageError(`--ram-budget must be more than 0 bytes and at most 2^60 (1024P), got '${text}'`);
  return { ramBudget: bytes, eviction: ev };
}

/** Flags given that the run ignores: retrieval settings outside their modes, store flags without --doc. */
function notesOn(values: Values, attention: AttentionMode): string[] {
  const given = (name: string) => values[name as keyof Values] !== undefined;
  const notes: string[] = [];
  const unused = Object.keys(APPLIES_TO).filter((f) => given(f) && !APPLIES_TO[f].includes(attention));
  if (unused.length)
    notes.push(`${unused.map(flagName).join(", ")} ${unused.length > 1 ? "do" : "does"} not apply to --attention ${attention}`);
  const docOnly = ["cache-dir", "no-cache", "keep-boilerplate"].filter((f) => given(f) && values.doc === undefined);
  if (docOnly.length) notes.push(`${docOnly.map(flagName).join(", ")} ${docOnly.length > 1 ? "apply" : "applies"} only with --doc`);
  if (given("eviction") && !given("ram-budget")) notes.push("--eviction applies only with --ram-budget");
  return notes;
}

/** The context a run needs, within --ctx and the engine's limit. */
export function contextSize(docTokens: number, promptTokens: number, nPredict: number, ctx?: number): number {
  const total = docTokens + promptTokens + nPredict;
  const what = `${docTokens ? "document + " : ""}prompt (${docTokens + promptTokens} tokens) + -n ${nPredict}`;
  if (total > L.MAX_CTX) throw new UsageError(`${what} = ${total} tokens exceed the engine's context limit (${L.MAX_CTX})`);
  if (ctx !== undefined && total > ctx) throw new UsageError(`${what} = ${total} tokens exceed --ctx ${ctx}`);
  return ctx ?? Math.max(512, total);
}
