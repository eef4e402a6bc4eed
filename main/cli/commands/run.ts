// tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0] [--seed S] [--threads N] [--ctx N] [--batch N] [--json]
//          [--doc FILE] [--attention full|retrieval|streaming|flat|ivf] [--sinks N] [--window N] [--topk N] [--stats]
//          [--monitor-every N] [--widen-below F]
// Streams the continuation to stdout; with --json prints one object
// {"prompt_tokens":[...],"tokens":[...],"text":"..."} (plus "stats" with --stats).
// --doc prefills a text file first (BOS + document), then the prompt after it. The
// document's context is kept in its KV store (--cache-dir, default the app's
// kv-cache folder; --no-cache to skip): a second run on the same document,
// model and settings restores it instead of prefilling, and an interrupted
// prefill resumes where it stopped.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  DEFAULT_EXACT_BELOW,
  defaultCacheDir,
  generate,
  loadAddon,
  openDocument,
  parseBytes,
  tokenizePrompt,
  type AttentionMode,
  type StepStats,
} from "../../engine";
import { floatArg, intArg, parse, requireArg, UsageError } from "../args";

export const usage = `tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0] [--seed S] [--top-k 40] [--top-p 0.95]
         [--min-p 0.05] [--repeat-penalty 1] [--threads N] [--ctx N] [--batch 512] [--json] [--doc FILE] [--stats]
         [--attention full|retrieval|streaming|flat|ivf] [--sinks 128] [--window 512] [--topk 100] [--ef N]
         [--degree 32] [--query-sample 0.25] [--exact-below KEYS] [--monitor-every 16] [--monitor-heads 4] [--widen-below 0]
         [--cache-dir D] [--no-cache] [--ram-budget BYTES|PERCENT%] [--eviction lru|lfu]`;

const MODES: AttentionMode[] = ["full", "retrieval", "streaming", "flat", "ivf"];

/** Plain text of a document file for --doc: UTF-8 (BOM dropped), CRLF as LF. */
export function readDocText(path: string): string {
  const text = fs.readFileSync(path, "utf8");
  return text.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
}

function summarize(st: StepStats) {
  return {
    tokens: st.tokens,
    mode: st.mode,
    sparse: st.sparse,
    ms: st.ms,
    keys_scanned: st.keysScanned,
    keys_scanned_frac: st.keysScannedFrac,
    keys_retrieved: st.keysRetrieved,
    top_k: st.topK,
    recall: st.recall,
    mass_captured: st.massCaptured,
    widened: st.widened,
    positions: Array.from(st.positions.slice(0, 16)),
  };
}

/** --ram-budget 2G | 2000000 | 25% -> session options. */
function ramBudget(text: string | undefined, eviction: string | undefined) {
  if (eviction !== undefined && eviction !== "lru" && eviction !== "lfu") throw new UsageError("--eviction must be lru or lfu");
  const ev = eviction as "lru" | "lfu" | undefined;
  if (text === undefined) return { eviction: ev };
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (pct) {
    const frac = Number(pct[1]) / 100;
    if (!(frac > 0 && frac <= 1)) throw new UsageError("--ram-budget percent must be in (0, 100]");
    return { ramBudgetFrac: frac, eviction: ev };
  }
  try {
    return { ramBudget: parseBytes(text), eviction: ev };
  } catch (e) {
    throw new UsageError(`--ram-budget: ${(e as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
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
    attention: { type: "string" },
    sinks: { type: "string" },
    window: { type: "string" },
    topk: { type: "string" },
    ef: { type: "string" },
    degree: { type: "string" },
    "query-sample": { type: "string" },
    "exact-below": { type: "string" },
    "monitor-every": { type: "string" },
    "monitor-heads": { type: "string" },
    "widen-below": { type: "string" },
    stats: { type: "boolean" },
    "cache-dir": { type: "string" },
    "no-cache": { type: "boolean" },
    "ram-budget": { type: "string" },
    eviction: { type: "string" },
  });
  const modelPath = requireArg(values.model, "model");
  const prompt = values.prompt;
  if (prompt === undefined) throw new UsageError("--prompt is required");
  const nPredict = intArg(values.n, "n", 64, 0, 1 << 24);
  const attention = (values.attention ?? "full") as AttentionMode;
  if (!MODES.includes(attention)) throw new UsageError(`--attention must be one of ${MODES.join(", ")}`);
  const addon = loadAddon();
  const model = new addon.Model(modelPath);
  const info = model.info();
  // With --doc: [BOS] document, then the prompt (no second BOS).
  const docTokens = values.doc === undefined ? [] : tokenizePrompt(model, readDocText(values.doc), false);
  const promptTokens = docTokens.length ? Array.from(model.tokenize(prompt, false, true)) : tokenizePrompt(model, prompt);
  const total = docTokens.length + promptTokens.length + nPredict;
  const ctx = intArg(values.ctx, "ctx", Math.max(512, total), 1);
  if (total > ctx) throw new UsageError(`document + prompt (${total - nPredict} tokens) + -n ${nPredict} exceed --ctx ${ctx}`);
  const session = new addon.Session(model, {
    ctx,
    threads: intArg(values.threads, "threads", 0, 0, 256),
    // tokens evaluated together in a prefill; the document's store commits each batch
    batch: intArg(values.batch, "batch", 512, 1, 1 << 16),
    attention,
    sinks: intArg(values.sinks, "sinks", 128, 0),
    window: intArg(values.window, "window", 512, 1),
    topK: intArg(values.topk, "topk", 100, 1),
    ef: intArg(values.ef, "ef", 0, 0),
    degree: intArg(values.degree, "degree", 32, 2, 1024),
    // the share of prefill queries the graph is built from
    querySample: floatArg(values["query-sample"], "query-sample", 0.25, 0, 1, true),
    exactBelow: intArg(values["exact-below"], "exact-below", DEFAULT_EXACT_BELOW, 0),
    // the live quality monitor: every N steps (0: off), over a rotating sample of (layer, KV head)
    monitorEvery: intArg(values["monitor-every"], "monitor-every", 16, 0, 1 << 20),
    monitorHeads: intArg(values["monitor-heads"], "monitor-heads", 4, 1, 1 << 16),
    // the captured mass under which the monitor doubles the search beam (0: never)
    widenBelow: floatArg(values["widen-below"], "widen-below", 0, 0, 1),
    ...ramBudget(values["ram-budget"], values.eviction),
  });
  const json = values.json === true;
  const showStats = values.stats === true;
  const steps: ReturnType<typeof summarize>[] = [];
  let docMs = 0;
  const cached = docTokens.length > 0 && values["no-cache"] !== true;
  let docInfo: Record<string, unknown> | undefined;
  if (cached) {
    const dir = values["cache-dir"] ?? defaultCacheDir();
    const labels = { doc: path.basename(values.doc ?? ""), model: path.basename(modelPath) };
    const t0 = performance.now();
    // under a RAM budget the document is prefilled layer-major (its KV need not fit in RAM)
    const layerMajor = values["ram-budget"] !== undefined;
    const opened = await openDocument(session, dir, docTokens, labels, undefined, { layerMajor });
    docMs = performance.now() - t0;
    docInfo = { cache: opened.file, restored: opened.restored, prefilled: opened.prefilled, ms: docMs };
    if (!json)
      process.stderr.write(
        `tome: document ${docTokens.length} tokens: ${docTokens.length - opened.prefilled} from the cache, ` +
          `${opened.prefilled} prefilled, ready in ${docMs.toFixed(0)} ms (${opened.file})\n`,
      );
  } else if (docTokens.length) {
    const t0 = performance.now();
    await session.prefill(Int32Array.from(docTokens));
    docMs = performance.now() - t0;
    if (!json) process.stderr.write(`tome: document ${docTokens.length} tokens prefilled in ${docMs.toFixed(0)} ms\n`);
  }
  if (info.nCtxTrain < total && !json)
    process.stderr.write(`tome: note: ${total} tokens exceed the model's trained context (${info.nCtxTrain})\n`);
  const result = await generate(model, session, promptTokens, {
    maxTokens: nPredict,
    sampler: {
      temperature: floatArg(values.temp, "temp", 0.8),
      seed: intArg(values.seed, "seed", Math.floor(Math.random() * 2 ** 31)),
      topK: intArg(values["top-k"], "top-k", 40, 0),
      topP: floatArg(values["top-p"], "top-p", 0.95),
      minP: floatArg(values["min-p"], "min-p", 0.05),
      repeatPenalty: floatArg(values["repeat-penalty"], "repeat-penalty", 1),
    },
    onText: json ? undefined : (t) => process.stdout.write(t),
    onStep: showStats
      ? () => {
          const st = summarize(session.lastStats());
          steps.push(st);
          if (!json) process.stderr.write(`tome: step ${JSON.stringify(st)}\n`);
        }
      : undefined,
  });
  if (cached) await session.flushStore(); // the turn joins the store: a later run can continue it
  if (json) {
    const out: Record<string, unknown> = { prompt_tokens: promptTokens, tokens: result.tokens, text: result.text };
    if (docTokens.length) out.doc_tokens = docTokens.length;
    if (docInfo) out.doc = docInfo;
    if (showStats) out.stats = steps;
    process.stdout.write(JSON.stringify(out) + "\n");
  } else {
    process.stdout.write("\n");
    const tps = result.tokens.length / (result.decodeMs / 1000);
    process.stderr.write(
      `tome: ${promptTokens.length} prompt tokens in ${result.prefillMs.toFixed(0)} ms, ` +
        `${result.tokens.length} tokens at ${Number.isFinite(tps) ? tps.toFixed(1) : "-"} tok/s (${result.stoppedBy}, ${attention})\n`,
    );
  }
  return 0;
}
