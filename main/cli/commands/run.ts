// tome run --model M.gguf --prompt TEXT [-n 64] [--temp 0.8] [--seed S] ... [--doc FILE] [--json]
// Streams the continuation to stdout; with --json prints one object
// {"prompt_tokens":[...],"tokens":[...],"text":"...","seed":S} (plus "stats" with --stats;
// with --doc "doc_tokens": N and "doc": {...} of its store).
// --doc reads a book first (BOS + document + a paragraph break: run-input.ts), then the
// prompt after it: doc_tokens counts the break, prompt_tokens is the prompt's alone. The
// document's context is kept in its KV store (--cache-dir, default the app's
// kv-cache folder; --no-cache to skip): a second run on the same document,
// model and settings restores it instead of prefilling, and an interrupted
// prefill resumes where it stopped.
// Every flag is checked before the document is read or the model loaded (run-options.ts):
// a typo fails in a second, not after a long prefill.
import * as path from "node:path";
import {
  adoptedStaticSet,
  generate,
  loadAddon,
  openDocument,
  type GenerateResult,
  type ModelInfo,
  type NativeSession,
  type OpenedDocument,
  type StepStats,
} from "../../engine";
import { checkReadableFile, ensureDirectory, openModel, readDocument } from "../files";
import { readTimeLeft } from "../../engine/prefill-eta";
import { prefillProgress, type TimeLeft } from "../progress";
import { tokenizeInput } from "./run-input";
import { contextSize, runOptions, type RunOptions } from "./run-options";

export { flags, usage } from "./run-options";

function summarize(st: StepStats) {
  return {
    tokens: st.tokens,
    mode: st.mode,
    sinks: st.sinks,
    window: st.window,
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

const note = (line: string) => process.stderr.write(`tome run: note: ${line}\n`);

/** Tokens per no-cache prefill call: progress is reported between calls (a whole number of batches). */
function prefillChunk(batch: number): number {
  return Math.max(batch, Math.floor(2048 / batch) * batch);
}

/**
 * The time left by the read's work (prefill-work.ts), its span from the first report (what a
 * store restored is not read) to the end; a layer-major read reports the share of its steps.
 */
function timeLeftByWork(info: ModelInfo, layerMajor: boolean): TimeLeft {
  let timeLeft: ((at: number, ms: number) => number | null) | undefined;
  return (first, done, total, ms) => {
    timeLeft ??= readTimeLeft(info, first, total, layerMajor ? total : first);
    return timeLeft(done, ms);
  };
}

/** The document into the session, through its store or not; progress on stderr. */
async function prefillDocument(session: NativeSession, info: ModelInfo, o: RunOptions, docTokens: number[]): Promise<Record<string, unknown> | undefined> {
  // under a RAM budget a stored document is prefilled layer-major (its KV need not fit in RAM)
  const layerMajor = o.cache !== undefined && (o.session.ramBudget !== undefined || o.session.ramBudgetFrac !== undefined);
  const progress = prefillProgress(process.stderr, undefined, undefined, timeLeftByWork(info, layerMajor));
  const t0 = performance.now();
  let opened: OpenedDocument | undefined;
  try {
    if (o.cache) {
      const labels = { doc: path.basename(o.doc!.path), model: path.basename(o.modelPath) };
      opened = await openDocument(session, o.cache.dir, docTokens, labels, progress.update, { layerMajor });
    } else {
      // the document is final: a retrieval read keeps about the queries its indexes are built from
      session.sealPrefix(docTokens.length);
      await prefillInChunks(session, docTokens, prefillChunk(o.session.batch!), progress.update);
    }
  } finally {
    progress.end();
  }
  const ms = performance.now() - t0;
  const kept = keptStaticSet(session, o);
  if (kept) note(kept);
  if (!opened) {
    if (!o.json) process.stderr.write(`tome: document ${docTokens.length} tokens prefilled in ${ms.toFixed(0)} ms\n`);
    return undefined;
  }
  // a store set aside (held by another tome process, refused by the disk) is said so, with why
  if (!o.json)
    process.stderr.write(
      opened.storeOff !== undefined
        ? `tome: document ${docTokens.length} tokens prefilled in ${ms.toFixed(0)} ms without its KV cache (${opened.storeOff})\n`
        : `tome: document ${docTokens.length} tokens: ${docTokens.length - opened.prefilled} from the cache, ` +
            `${opened.prefilled} prefilled, ready in ${ms.toFixed(0)} ms (${opened.file})\n`,
    );
  return {
    cache: opened.file,
    restored: opened.restored,
    prefilled: opened.prefilled,
    ms,
    ...(opened.storeOff !== undefined ? { cache_off: opened.storeOff } : {}),
  };
}

/** Says so when the session runs with other sinks or window than asked (adoptedStaticSet). */
function keptStaticSet(session: NativeSession, o: RunOptions): string | undefined {
  const kept = adoptedStaticSet(session.lastStats(), o.session);
  if (!kept) return undefined;
  return (
    `this document's cache was indexed with --sinks ${kept.sinks} --window ${kept.window}, which this run keeps ` +
    `(asked: ${o.session.sinks}, ${o.session.window}); remove the cache (tome cache rm) to read it again with yours`
  );
}

/** session.prefill() over the tokens a chunk at a time (the same context as one call), reporting after each. */
async function prefillInChunks(session: NativeSession, tokens: number[], chunk: number, onProgress: (done: number, total: number) => void) {
  onProgress(0, tokens.length); // where the read starts
  for (let at = 0; at < tokens.length; at += chunk) {
    const end = Math.min(tokens.length, at + chunk);
    await session.prefill(Int32Array.from(tokens.slice(at, end)));
    onProgress(end, tokens.length);
  }
}

function printJson(o: RunOptions, r: { promptTokens: number[]; docTokens: number[]; docInfo?: Record<string, unknown>; result: GenerateResult; steps: unknown[] }) {
  const out: Record<string, unknown> = { prompt_tokens: r.promptTokens, tokens: r.result.tokens, text: r.result.text, seed: o.sampler.seed };
  if (r.docTokens.length) out.doc_tokens = r.docTokens.length;
  if (r.docInfo) out.doc = r.docInfo;
  if (o.stats) out.stats = r.steps;
  process.stdout.write(JSON.stringify(out) + "\n");
}

/** The text's closing newline, and the run's figures on stderr. */
function printSummary(o: RunOptions, promptTokens: number, result: GenerateResult) {
  process.stdout.write("\n");
  const tps = result.tokens.length / (result.decodeMs / 1000);
  // a sampled run names its seed, so that --seed can repeat it
  const seed = o.sampler.temperature > 0 ? `, seed ${o.sampler.seed}` : "";
  process.stderr.write(
    `tome: ${promptTokens} prompt tokens in ${result.prefillMs.toFixed(0)} ms, ` +
      `${result.tokens.length} tokens at ${Number.isFinite(tps) ? tps.toFixed(1) : "-"} tok/s (${result.stoppedBy}, ${o.attention}${seed})\n`,
  );
}

export async function run(argv: string[]): Promise<number> {
  const o = runOptions(argv);
  for (const n of o.notes) note(n);
  checkReadableFile("--model", o.modelPath);
  if (o.cache) ensureDirectory(o.cache.label, o.cache.dir);
  const docText = o.doc ? await readDocument("--doc", o.doc.path, o.doc.keepBoilerplate) : undefined;
  const model = openModel("--model", o.modelPath);
  const { docTokens, promptTokens } = tokenizeInput(model, o.prompt, docText);
  const ctx = contextSize(docTokens.length, promptTokens.length, o.nPredict, o.ctx);
  const total = docTokens.length + promptTokens.length + o.nPredict;
  const nCtxTrain = model.info().nCtxTrain;
  if (nCtxTrain < total) note(`${total} tokens exceed the model's trained context (${nCtxTrain})`);
  const session = new (loadAddon().Session)(model, { ...o.session, ctx });
  const docInfo = docTokens.length ? await prefillDocument(session, model.info(), o, docTokens) : undefined;
  const steps: ReturnType<typeof summarize>[] = [];
  const result = await generate(model, session, promptTokens, {
    maxTokens: o.nPredict,
    sampler: o.sampler,
    onText: o.json ? undefined : (t) => process.stdout.write(t),
    onStep: o.stats
      ? () => {
          const st = summarize(session.lastStats());
          steps.push(st);
          if (!o.json) process.stderr.write(`tome: step ${JSON.stringify(st)}\n`);
        }
      : undefined,
  });
  if (o.cache) await session.flushStore(); // the turn joins the store: a later run can continue it
  if (o.json) printJson(o, { promptTokens, docTokens, docInfo, result, steps });
  else printSummary(o, promptTokens.length, result);
  return 0;
}
