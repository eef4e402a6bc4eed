// tome eval's runner: for every task x length x sample it builds one instance
// per depth (same seed, so the depths share the haystack up to the earliest
// needle), answers each with full attention (the reference) and then in each
// other mode, and writes one row per instance and mode.
//
// Prefill sharing: every mode of an instance shares one prefill through the
// instance's KV store (a temporary folder). Retrieval runs first and prefills
// with the store attached (its queries and index go there too; a sparse mode
// cannot rewind into its index, and the index is built from the prefill's own
// queries); full attention, the reference, and the other sparse modes restore
// the K/V from it, identical to a prefill of their own. With full attention
// alone, one session keeps its KV between depths and rewinds (truncate) to the
// longest prefix the next instance shares; depths run from the deepest needle
// up, so each instance prefills only what follows its needle.
//
// Per instance and mode: prefill (full attention: exact in every mode), then
// the query (question + answer prefix) as one eval, which in a sparse mode
// builds the index and runs sparse, then greedy decoding.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { commonPrefix, removeStore } from "../engine/kv-cache";
import type { NativeModel, NativeSession, SessionOptions, TomeAddon } from "../engine/native";
import { decodeAnswer, MonitorMeans, type Answer } from "./answer";
import { kl, topTwoGap } from "./divergence";
import type { HaystackSource } from "./haystack";
import { buildInstance } from "./instance";
import type { Prompting } from "./prompt";
import { instanceSeed } from "./rng";
import { scoreAnswer } from "./scorer";
import { GENERATORS } from "./tasks";
import type { EvalMode, EvalOptions, EvalProgress, EvalResult, EvalRow, TokenizedInstance } from "./types";

/** The engine's retrieval defaults (native/src/model/attention_mode.h), for the record. */
export const ENGINE_DEFAULTS = { sinks: 128, window: 512, topK: 100 };

export interface EvalEngine {
  addon: TomeAddon;
  model: NativeModel;
  modelPath: string;
  prompting: Prompting;
  haystack: HaystackSource;
}

export interface EvalHooks {
  /** Each row as it is measured, with how far the run is. */
  onRow?(row: EvalRow, progress: EvalProgress): void;
  cancelled?(): boolean;
}

const cancelledError = () => Object.assign(new Error("cancelled"), { code: "CANCELLED" });

/** Lengths over the model's trained context, which run only with beyondTrained. */
export function lengthsBeyondTrained(lengths: number[], nCtxTrain: number): number[] {
  return lengths.filter((l) => l > nCtxTrain);
}

interface ModeRun {
  answer: Answer;
  prefillMs: number;
  reused: number;
  sparse: boolean;
}

export async function runEval(e: EvalEngine, o: EvalOptions, hooks: EvalHooks = {}): Promise<EvalResult> {
  const info = e.model.info();
  const beyond = lengthsBeyondTrained(o.lengths, info.nCtxTrain);
  if (beyond.length && !o.beyondTrained) {
    throw Object.assign(new Error(`lengths ${beyond.join(", ")} exceed the model's trained context (${info.nCtxTrain}); pass --beyond-trained to run them anyway`), {
      code: "BEYOND_TRAINED",
    });
  }
  const cancelled = () => hooks.cancelled?.() ?? false;
  // retrieval first: it is the mode that needs its own prefill (its queries); the others restore it
  const sparseModes = o.modes
    .filter((m): m is Exclude<EvalMode, "full"> => m !== "full")
    .sort((a, b) => Number(b === "retrieval") - Number(a === "retrieval"));
  const total = o.tasks.reduce((n, t) => n + (GENERATORS[t].hasDepth ? o.depths.length : 1), 0) * o.lengths.length * o.samples * o.modes.length;
  let done = 0;
  const rows: EvalRow[] = [];
  const sessionOptions = (mode: EvalMode, ctx: number): SessionOptions => ({
    ctx,
    threads: o.threads,
    attention: mode,
    ...(mode === "full" ? {} : { sinks: o.sinks, window: o.window, topK: o.topK, monitorEvery: o.monitorEvery, monitorHeads: o.monitorHeads }),
  });

  /** Prefill (what is not already there), query, answer. */
  async function answerIn(s: NativeSession, cachedLen: number, inst: TokenizedInstance): Promise<ModeRun> {
    if (cancelled()) throw cancelledError();
    s.truncate(cachedLen);
    const t0 = performance.now();
    if (cachedLen < inst.prefill.length) await s.eval(inst.prefill.subarray(cachedLen));
    const prefillMs = performance.now() - t0;
    const monitor = new MonitorMeans();
    const logits = await s.eval(inst.query);
    const sparse = s.lastStats().sparse;
    monitor.add(s);
    const answer = await decodeAnswer(e.model, s, logits, inst.instance.maxNewTokens, monitor, cancelled);
    return { answer, prefillMs, reused: cachedLen, sparse };
  }

  function emit(inst: TokenizedInstance, sample: number, mode: EvalMode, run: ModeRun, ref: ModeRun | null) {
    const { instance } = inst;
    const row: EvalRow = {
      task: instance.task,
      length: instance.length,
      tokens: inst.prefill.length + inst.query.length,
      depth: instance.depth,
      depth_actual: inst.depthActual,
      sample,
      mode,
      score: scoreAnswer(run.answer.text, instance.answers),
      agree_with_full: ref ? Number(ref.answer.tokens.length === run.answer.tokens.length && ref.answer.tokens.every((t, i) => t === run.answer.tokens[i])) : null,
      first_token_agree: ref ? Number(ref.answer.tokens[0] === run.answer.tokens[0]) : null,
      kl: ref ? kl(ref.answer.firstLogp, run.answer.firstLogp) : null,
      full_margin: ref ? topTwoGap(ref.answer.firstLogp) : null,
      // streaming retrieves nothing: the monitor's recall is 0 by definition, not a measurement
      recall: mode === "streaming" ? null : run.answer.recall,
      mass: run.answer.mass,
      ms_per_token: run.answer.msPerToken,
      prefill_ms: run.prefillMs,
      reused_tokens: run.reused,
      sparse: run.sparse,
      sparse_steps: run.answer.sparseSteps,
      answer_tokens: run.answer.tokens.length,
      answer: run.answer.text,
      expected: instance.answers,
      answer_budget: instance.maxNewTokens,
      // the prompt built and its answer budget, not only the length asked: at the trained context
      // a word list may overshoot it by an entry (see buildInstance)
      beyond_trained: instance.length > info.nCtxTrain || inst.prefill.length + inst.query.length + instance.maxNewTokens > info.nCtxTrain,
    };
    rows.push(row);
    done++;
    hooks.onRow?.(row, { done, total, task: instance.task, length: instance.length, depth: instance.depth, mode });
  }

  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-eval-kv-"));
  try {
    for (const task of o.tasks) {
      const gen = GENERATORS[task];
      // deepest needle first: each next instance shares the haystack up to its own needle
      const depths = gen.hasDepth ? [...o.depths].sort((a, b) => b - a) : [null];
      for (const length of o.lengths) {
        for (let sample = 0; sample < o.samples; sample++) {
          const seed = instanceSeed(o.seed, task, length, sample);
          const instances: TokenizedInstance[] = [];
          for (const depth of depths) {
            if (cancelled()) throw cancelledError();
            // a length within the trained context keeps its prompt within it where the 1% allows
            instances.push(await buildInstance(e.model, e.prompting, e.haystack, { task, length, depth, seed, maxTokens: info.nCtxTrain }));
          }
          const ctx = Math.max(...instances.map((i) => i.prefill.length + i.query.length)) + gen.maxNewTokens + 1;
          if (!sparseModes.length) {
            // full attention alone: one session rewound between depths
            const full = new e.addon.Session(e.model, sessionOptions("full", ctx));
            try {
              let cached: Int32Array = new Int32Array(0);
              for (const inst of instances) {
                const common = Math.min(commonPrefix(cached, inst.prefill), inst.prefill.length);
                emit(inst, sample, "full", await answerIn(full, common, inst), null);
                cached = inst.prefill;
              }
            } finally {
              full.close();
            }
            continue;
          }
          for (const [i, inst] of instances.entries()) {
            // the first sparse mode (retrieval when asked) prefills with the instance's store
            // attached; full attention (the reference) and the other sparse modes restore from it
            const store = path.join(storeDir, `${task}-${length}-${sample}-${i}.tomekv`);
            const runs = new Map<EvalMode, ModeRun>();
            for (const mode of [sparseModes[0], "full" as const, ...sparseModes.slice(1)]) {
              const s = new e.addon.Session(e.model, sessionOptions(mode, ctx));
              try {
                const restored = await s.attachStore(store);
                // the haystack is final, as a book is in the app: a retrieval read then keeps
                // about the prefill queries its indexes are built from, not every sampled one
                s.sealPrefix(inst.prefill.length);
                runs.set(mode, await answerIn(s, Math.min(restored, inst.prefill.length), inst));
              } finally {
                s.close();
              }
            }
            removeStore(store);
            const ref = runs.get("full")!;
            if (o.modes.includes("full")) emit(inst, sample, "full", ref, null);
            for (const mode of sparseModes) emit(inst, sample, mode, runs.get(mode)!, ref);
          }
        }
      }
    }
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
  rows.sort((a, b) => a.task.localeCompare(b.task) || a.length - b.length || (a.depth ?? -1) - (b.depth ?? -1) || a.sample - b.sample || a.mode.localeCompare(b.mode));
  return {
    suite: "eval",
    model: e.modelPath.split(/[\\/]/).pop()!,
    n_ctx_train: info.nCtxTrain,
    chat_template: e.prompting.template !== null,
    haystack: e.haystack.kind === "noise" ? "noise" : e.haystack.name,
    seed: o.seed,
    settings: {
      sinks: o.sinks ?? ENGINE_DEFAULTS.sinks,
      window: o.window ?? ENGINE_DEFAULTS.window,
      top_k: o.topK ?? ENGINE_DEFAULTS.topK,
      threads: o.threads,
      monitor_every: o.monitorEvery,
    },
    rows,
  };
}
