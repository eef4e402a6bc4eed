// An in-process stand-in for the engine host, behind the same Engine interface:
// one token per character (token id = char code), prefill in chunks with
// progress events, generation of a fixed reply word by word with a small delay,
// cancellation, attention on the first document tokens, a crash switch,
// (with storeDir) a document store file per bound document, as the worker keeps
// (said by a "store" event as it is bound; release({ file }) only lets go of that one),
// and an evaluation that emits one row per grid cell.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Engine } from "../../../main/host/engine-client";
import type { EngineEvent, EngineOp, EngineOps, LoadedModel } from "../../../main/host/protocol";
import type { EvalOptions, EvalRow } from "../../../main/eval/types";
import { AppError } from "../../../main/ipc/errors";

export interface FakeOptions {
  reply?: string;
  tokenDelayMs?: number;
  nCtx?: number;
  stepStats?: boolean;
  /** Where prefill with docEnd "keeps" the document's store (an empty file named by its length). */
  storeDir?: string;
  /** Why the document has no store (prefill's `cache`, "off: ..."), as when the disk refused it. */
  storeOff?: string;
  /** The static set the document's store kept over the settings' (prefill's `cache`, "restored 0; kept ..."). */
  storeKept?: { sinks: number; window: number };
  /** How long docTokens takes (the real one cannot be interrupted either). */
  tokenizeDelayMs?: number;
  /** How long each prefill chunk of 256 tokens takes (1 ms unless said). */
  prefillChunkMs?: number;
  /** How long each evaluation row takes. */
  evalRowMs?: number;
  /** The model's chat template (GGUF tokenizer.chat_template); none: the fallback. */
  chatTemplate?: string;
}

export class FakeEngine implements Engine {
  private events: ((e: EngineEvent) => void)[] = [];
  private crashes: ((d: string) => void)[] = [];
  private cancelled = new Set<string>();
  private cached: number[] = [];
  private alive = false;
  model: LoadedModel | null = null;
  calls: { op: EngineOp; args: unknown }[] = [];
  private pendingRejects = new Set<(e: unknown) => void>();

  constructor(public o: FakeOptions = {}) {}

  onEvent(cb: (e: EngineEvent) => void) {
    this.events.push(cb);
  }
  onCrash(cb: (d: string) => void) {
    this.crashes.push(cb);
  }
  running() {
    return this.alive;
  }
  close() {
    this.alive = false;
  }

  /** Simulates the engine process dying (e.g. a native crash). */
  crash() {
    this.alive = false;
    this.model = null;
    const err = new AppError("ENGINE_CRASHED", "The engine stopped (killed by SIGSEGV). Load the model again to continue.");
    for (const r of this.pendingRejects) r(err);
    this.pendingRejects.clear();
    for (const c of this.crashes) c("killed by SIGSEGV");
  }

  private frozen = false;
  /** Simulates the whole process stopping: no more events, no more answers. */
  freeze() {
    this.frozen = true;
  }

  private emit(e: EngineEvent) {
    if (this.frozen) return;
    for (const l of this.events) l(e);
  }

  async call<K extends EngineOp>(op: K, args: EngineOps[K]["req"]): Promise<EngineOps[K]["res"]> {
    this.alive = true;
    this.calls.push({ op, args });
    return new Promise((resolve, reject) => {
      this.pendingRejects.add(reject);
      (this.run(op, args) as Promise<EngineOps[K]["res"]>)
        .then((v) => !this.frozen && resolve(v), (e) => !this.frozen && reject(e))
        .finally(() => this.pendingRejects.delete(reject));
    });
  }

  private async run(op: EngineOp, args: unknown): Promise<unknown> {
    const a = args as Record<string, unknown>;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    switch (op) {
      case "inspect":
        return {
          summary: {
            version: 3,
            fileSize: 1000,
            alignment: 32,
            dataOffset: 100,
            metadata: { "general.architecture": "llama", "llama.context_length": 2048, "llama.block_count": 2, "llama.embedding_length": 64, "llama.attention.head_count": 8 },
            tensors: [{ name: "w", type: "F32", supported: true, shape: [64, 64], bytes: 16384 }],
          },
        };
      case "load": {
        await this.loadGate;
        if (this.failLoad) throw this.failLoad;
        this.cached = [];
        this.model = {
          path: a.path as string,
          info: { nCtxTrain: 2048 } as LoadedModel["info"],
          nCtx: this.o.nCtx ?? 2048,
          chatTemplate: this.o.chatTemplate ?? null,
          bosToken: "<s>",
          eosToken: "</s>",
          stepStats: this.o.stepStats ?? true,
        };
        return this.model;
      }
      case "tokenize": {
        const segs = a.segments as { text: string }[];
        const all: number[] = [];
        const bounds: number[] = [];
        segs.forEach((s, i) => {
          if (i === 0 && a.addBos) all.push(1);
          for (const ch of s.text) all.push(ch.codePointAt(0)!);
          bounds.push(all.length);
        });
        return { tokens: Int32Array.from(all), bounds: Int32Array.from(bounds) };
      }
      case "docTokens": {
        const text = a.text as string;
        await sleep(this.o.tokenizeDelayMs ?? 0);
        return { tokens: Int32Array.from(text, (c) => c.charCodeAt(0)), starts: Int32Array.from(text, (_c, i) => i) };
      }
      case "prefill":
        return this.prefill(a.jobId as string, a.tokens as Int32Array, a.docEnd as number | undefined);
      case "generate": {
        const pre = await this.prefill(a.jobId as string, a.tokens as Int32Array, a.docEnd as number, true);
        const words = (this.o.reply ?? "Alice follows the White Rabbit down the hole.").split(/(?<= )/);
        let text = "";
        let n = 0;
        let stoppedBy: "eog" | "length" | "abort" = "eog";
        for (const w of words) {
          if (this.cancelled.has(a.jobId as string)) {
            stoppedBy = "abort";
            break;
          }
          if (n >= (a.maxTokens as number)) {
            stoppedBy = "length";
            break;
          }
          await sleep(this.o.tokenDelayMs ?? 2);
          text += w;
          this.emit({ event: "token", jobId: a.jobId as string, index: n, text: w, ms: 2, phase: { matmul: 1, attention: 0.5, other: 0.5 }, retrieval: null });
          n++;
        }
        this.cancelled.delete(a.jobId as string);
        const docLen = (a.docEnd as number) - (a.docStart as number);
        return {
          tokens: n,
          text,
          stoppedBy,
          reused: pre.reused,
          prefillMs: pre.ms,
          ...(pre.cacheFile ? { cacheFile: pre.cacheFile } : {}),
          ...("cache" in pre ? { cache: pre.cache } : {}),
          decodeMs: 5,
          attended: this.model?.stepStats && docLen > 3 ? { positions: Int32Array.of(0, 1, 2), weights: Float32Array.of(0.5, 0.3, 0.2) } : null,
        };
      }
      case "eval":
        return this.evaluate(a.jobId as string, a.options as EvalOptions);
      case "cancel":
        this.cancelled.add(a.jobId as string);
        return { cancelled: true };
      case "release": {
        await this.releaseGate;
        if (a.file !== undefined && a.file !== this.storeFile) return { released: false };
        const released = this.storeFile !== null;
        this.storeFile = null;
        this.cached = [];
        return { released };
      }
      case "stats":
        return {
          rssBytes: 50 << 20,
          kvBytes: this.cached.length * 1024,
          nPast: this.cached.length,
          nCtx: this.model?.nCtx ?? 0,
          tiers: { deviceBytes: 0, hostBytes: this.cached.length * 1024, diskBytes: 0 },
        };
    }
  }

  storeFile: string | null = null;
  /** What the next loads throw (a model the engine cannot load); null: they load. */
  failLoad: Error | null = null;
  /** Loads wait for this (a big model takes a while); null: they do not wait. */
  loadGate: Promise<void> | null = null;
  /** Releases wait for this (closing a large store); null: they do not wait. */
  releaseGate: Promise<void> | null = null;

  /** One row per (task, length, depth, mode), a full-marks answer each; cancel stops it between rows. */
  private async evaluate(jobId: string, o: EvalOptions) {
    const cells = o.tasks.flatMap((task) => o.lengths.flatMap((length) => o.depths.flatMap((depth) => o.modes.map((mode) => ({ task, length, depth, mode })))));
    const rows: EvalRow[] = [];
    for (const c of cells) {
      if (this.cancelled.has(jobId)) {
        this.cancelled.delete(jobId);
        throw new AppError("CANCELLED", "cancelled");
      }
      await new Promise((r) => setTimeout(r, this.o.evalRowMs ?? 1));
      const row: EvalRow = {
        ...c,
        tokens: c.length,
        depth_actual: c.depth,
        sample: 0,
        score: 1,
        agree_with_full: c.mode === "full" ? null : 1,
        first_token_agree: c.mode === "full" ? null : 1,
        kl: c.mode === "full" ? null : 0,
        recall: null,
        mass: null,
        ms_per_token: 1,
        prefill_ms: 1,
        reused_tokens: 0,
        sparse: c.mode !== "full",
        sparse_steps: 0,
        answer_tokens: 1,
        answer: "x",
        expected: ["x"],
        beyond_trained: false,
      } as EvalRow;
      rows.push(row);
      this.emit({ event: "eval", jobId, progress: { done: rows.length, total: cells.length, ...c }, row });
    }
    return { suite: "eval", model: this.model?.path ?? "", n_ctx_train: 2048, chat_template: false, haystack: "noise", seed: o.seed, settings: { sinks: 4, window: 64, top_k: 8, threads: 1, monitor_every: 1 }, rows };
  }

  private async prefill(jobId: string, tokens: Int32Array, docEnd?: number, logits = false) {
    if (!this.model) throw new AppError("NO_MODEL", "no model is loaded");
    let cacheFile: string | undefined;
    if (this.o.storeDir && docEnd) {
      cacheFile = path.join(this.o.storeDir, `doc-${docEnd}.tomekv`);
      fs.mkdirSync(this.o.storeDir, { recursive: true });
      fs.writeFileSync(cacheFile, "");
      this.storeFile = cacheFile;
      this.emit({ event: "store", jobId, file: cacheFile });
    }
    if (tokens.length > this.model.nCtx) throw new AppError("CTX_FULL", `${tokens.length} tokens do not fit the context of ${this.model.nCtx}`);
    let common = 0;
    while (common < tokens.length && common < this.cached.length && this.cached[common] === tokens[common]) common++;
    if (logits && common === tokens.length && common > 0) common--; // as the worker: an answer needs fresh logits
    this.cached.length = common;
    const total = tokens.length - common;
    for (let done = 0; done < total; ) {
      if (this.cancelled.has(jobId)) {
        this.cancelled.delete(jobId);
        throw new AppError("CANCELLED", "cancelled");
      }
      const n = Math.min(256, total - done);
      for (let i = 0; i < n; i++) this.cached.push(tokens[common + done + i]);
      done += n;
      await new Promise((r) => setTimeout(r, this.o.prefillChunkMs ?? 1));
      // the worker's estimate of the time left (PrefillEta): 3 ms a token here
      this.emit({ event: "progress", jobId, done, total, ms: done / 10, etaMs: (total - done) * 3 });
    }
    const kept = this.o.storeKept;
    const cache =
      this.o.storeOff && docEnd
        ? { cache: `off: ${this.o.storeOff}` }
        : kept && docEnd
          ? { cache: `restored 0; kept sinks ${kept.sinks} window ${kept.window}` }
          : {};
    return { reused: common, evaluated: total, ms: total / 10, ...cache, ...(cacheFile ? { cacheFile } : {}) };
  }
}
