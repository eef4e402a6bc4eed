// The engine host process: the only process that loads the native addon in the
// app. Spawned by ./engine-client.ts (child_process.fork under `tome serve`,
// utilityProcess in Electron); a native crash here ends this process only, and
// the client reports it. One request runs at a time except `cancel` and `stats`,
// which are answered while a prefill or generation awaits the engine.
import * as fs from "node:fs";
import { adoptedStaticSet, attachOrRemake, commonPrefix, DEFAULT_EXACT_BELOW, DEFAULT_FULL_BELOW, gcCaches, loadAddon, isTomeError, removeStore, storeBytesOnDisk, storeFileFor, Utf8Stream, type NativeModel, type NativeSession, type SessionOptions } from "../engine";
import { documentTokenStarts } from "./token-offsets";
import { readTimeLeft } from "../engine/prefill-eta";
import { runEval } from "../eval/runner";
import { loadHaystack } from "../eval/haystack";
import { promptingOf } from "../eval/prompt";
import type { EngineEvent, EngineOps, EngineRequest, FromEngine, LoadedModel, StepStats } from "./protocol";
import type { StopReason } from "../ipc/contract";

type Port = { send(m: FromEngine): void; onMessage(cb: (m: EngineRequest) => void): void };

function openPort(): Port {
  const parentPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: "message", cb: (ev: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (cb) => parentPort.on("message", (ev) => cb(ev.data as EngineRequest)) };
  }
  if (!process.send) throw new Error("engine host must be started by tome (no IPC channel)");
  // The parent is gone (killed by a signal it could not catch): nobody reads what a job makes.
  // End now, quietly: the job's next message would die of ERR_IPC_CHANNEL_CLOSED, and a job
  // silent for long (an index build) ran on until then. KV stores are written to survive this.
  process.on("disconnect", () => process.exit(0));
  // A message sent in the moment between the parent's death and that event fails (EPIPE, or the
  // channel closed): with a callback the failure comes to it, not as an unhandled 'error' that
  // printed its stack; the end is the same.
  const send = (m: FromEngine) => {
    process.send!(m, undefined, undefined, (err: Error | null) => {
      if (err) process.exit(0);
    });
  };
  return { send, onMessage: (cb) => process.on("message", (m) => cb(m as EngineRequest)) };
}

/** Per-step stats as the native session reports them (issue 3): lastStats() with
 * phases split finely, or the older stepStats() draft. Typed here by shape so the
 * worker builds against either. */
interface NativeStepStats {
  ms: Record<string, number>;
  positions?: Int32Array;
  weights?: Float32Array;
  sparse?: boolean;
  keysScanned?: number;
  keysIndexed?: number;
  keysTotal?: number;
  topK?: number;
  massCaptured?: number;
  recall?: number;
  sinks?: number;
  window?: number;
}
type WithStepStats = NativeSession & { lastStats?: () => NativeStepStats | undefined; stepStats?: () => NativeStepStats | undefined };

function hasStepStats(s: WithStepStats): boolean {
  return typeof s.lastStats === "function" || typeof s.stepStats === "function";
}

/** One step's stats in the worker's terms: three phases for the chart, retrieval numbers when sparse. */
export function readStep(s: WithStepStats): StepStats | undefined {
  const raw = (typeof s.lastStats === "function" ? s.lastStats() : s.stepStats?.()) as NativeStepStats | undefined;
  if (!raw) return undefined;
  const ms = (raw.ms ?? {}) as Record<string, number>;
  const n = (k: string) => (typeof ms[k] === "number" ? ms[k] : 0);
  const attention = "attention" in ms ? n("attention") : n("fullAttention") + n("staticAttention") + n("search") + n("retrievedAttention") + n("merge") +
    n("indexInsert") + n("monitor");
  const keysTotal = raw.keysTotal ?? raw.keysIndexed;
  return {
    ms: { matmul: n("matmul"), attention, other: n("other") + n("indexBuild") },
    positions: raw.positions,
    weights: raw.weights,
    keysScanned: raw.sparse === false ? undefined : raw.keysScanned,
    keysTotal: raw.sparse === false ? undefined : keysTotal,
    massCaptured: raw.massCaptured,
    recall: raw.recall,
  };
}

/**
 * A token event's retrieval figures: the step's, or, for a sparse mode still on full attention
 * (a context under fullBelow: no index yet), every key attended (whole), which the panel says.
 */
function retrievalFigures(step: StepStats | undefined, sparseMode: boolean, nPast: number) {
  if (step?.keysTotal)
    return { keysScanned: step.keysScanned ?? 0, keysTotal: step.keysTotal, massCaptured: step.massCaptured ?? null, recall: step.recall ?? null, whole: false };
  return sparseMode && step ? { keysScanned: nPast, keysTotal: nPast, massCaptured: null, recall: null, whole: true } : null;
}

/** A KV store write the disk refused: full, size limit, read-only, I/O error. */
function isStoreWriteFailure(e: unknown): boolean {
  const code = isTomeError(e) ? e.code : "";
  return code === "STORE_FULL" || code === "STORE_READONLY" || code === "STORE_IO";
}

/**
 * A bound store found damaged part way (a K/V block read on demand under a RAM budget, or the
 * prefill queries an index build reads back, failed verification): the session no longer uses
 * it. Attached again, the store restores its intact prefix (it was cut back at the damage).
 */
function isStoreDamage(e: unknown): boolean {
  return isTomeError(e) && e.code === "STORE_CORRUPT";
}

class EngineHost {
  private model: NativeModel | null = null;
  private session: WithStepStats | null = null;
  private loaded: LoadedModel | null = null;
  /** Tokens whose KV the session holds, in order. */
  private cached: number[] = [];
  private sessionOptions: SessionOptions = {};
  private cacheDir: string | null = null;
  private cacheBudget = 0;
  /** Stores the disk refused (full, read-only) in this load, and why: not tried again. */
  private storeRefused = new Map<string, string>();
  /** The KV store file the session is bound to (null: none). */
  private storeFile: string | null = null;
  private cancelled = new Set<string>();
  /** The job whose layer-major prefillDocument() is in flight (cancel() stops it natively). */
  private prefillingDoc: string | null = null;

  constructor(private port: Port) {}

  emit(e: EngineEvent) {
    this.port.send(e);
  }

  inspect({ path }: EngineOps["inspect"]["req"]): EngineOps["inspect"]["res"] {
    const summary = loadAddon().inspectGguf(path);
    return { summary };
  }

  load({ path, ctx, threads, attention, cacheDir, ramBudget, cacheBudget }: EngineOps["load"]["req"]): LoadedModel {
    const addon = loadAddon();
    this.session?.close();
    this.session = null;
    this.storeFile = null;
    this.cacheDir = cacheDir ?? null;
    this.cacheBudget = cacheBudget ?? 0;
    this.storeRefused.clear();
    this.model = null;
    this.loaded = null;
    this.cached = [];
    const summary = addon.inspectGguf(path);
    const model = new addon.Model(path);
    const info = model.info();
    const nCtx = Math.max(64, Math.min(ctx, info.nCtxTrain || ctx));
    // Attention options are read by engines that have retrieval attention and ignored by others.
    this.sessionOptions = {
      ctx: nCtx,
      threads,
      exactBelow: DEFAULT_EXACT_BELOW,
      fullBelow: DEFAULT_FULL_BELOW,
      ...(attention ?? {}),
      ...(ramBudget ? { ramBudget } : {}),
    } as SessionOptions;
    const session = new addon.Session(model, this.sessionOptions) as WithStepStats;
    const tpl = summary.metadata["tokenizer.chat_template"];
    const piece = (id: number) => (id >= 0 && id < info.nVocab ? Buffer.from(model.tokenToPiece(id, true)).toString("utf8") : "");
    this.model = model;
    this.session = session;
    this.loaded = {
      path,
      info,
      nCtx: session.nCtx(),
      chatTemplate: typeof tpl === "string" && tpl.trim() ? tpl : null,
      bosToken: piece(info.tokenizer.bos),
      eosToken: piece(info.tokenizer.eos),
      stepStats: hasStepStats(session),
    };
    return this.loaded;
  }

  private need(): { model: NativeModel; session: WithStepStats } {
    if (!this.model || !this.session) throw Object.assign(new Error("no model is loaded"), { code: "NO_MODEL" });
    return { model: this.model, session: this.session };
  }

  tokenize({ segments, addBos }: EngineOps["tokenize"]["req"]): EngineOps["tokenize"]["res"] {
    const { model } = this.need();
    const all: number[] = [];
    const bounds: number[] = [];
    segments.forEach((s, i) => {
      // BOS (if the model wants one) only at the very start; segments after the first never get it.
      const t = model.tokenize(s.text, addBos && i === 0, s.special);
      for (const x of t) all.push(x);
      bounds.push(all.length);
    });
    return { tokens: Int32Array.from(all), bounds: Int32Array.from(bounds) };
  }

  docTokens({ text }: EngineOps["docTokens"]["req"]): EngineOps["docTokens"]["res"] {
    const { model } = this.need();
    const tokens = model.tokenize(text, false, false);
    return { tokens, starts: documentTokenStarts(text, tokens, (t) => model.tokenToPiece(t, false)) };
  }

  /**
   * Binds the session to the KV store of the document prefix (a fresh session when it held
   * another document: a store binds to an empty session). A store that cannot be used
   * (another model's, damaged, a full or read-only disk) is set aside: the document is then
   * prefilled without one, and the reason returned.
   */
  private async bindStore(prefix: Int32Array): Promise<string> {
    if (!this.cacheDir || !this.model || !this.session) return "off";
    const file = storeFileFor(this.cacheDir, this.session.storeIdentity(), prefix);
    if (file === this.storeFile) return "bound";
    const refused = this.storeRefused.get(file);
    if (refused !== undefined) {
      if (this.storeFile) this.freshSession(); // another book's store; a store-less session may hold this book
      return `off: ${refused}`;
    }
    const fresh = () => this.freshSession();
    fresh();
    try {
      fs.mkdirSync(this.cacheDir, { recursive: true });
      // a store this model cannot use (another format, damaged) is made again from scratch
      const restored = await attachOrRemake(this.session!, file, { model: this.loaded?.path ?? "" });
      this.cached = Array.from(this.session!.tokens());
      this.storeFile = file;
      return `restored ${restored}${this.keptStaticSet()}`;
    } catch (e) {
      fresh();
      return `off: ${(e as Error).message}`;
    }
  }

  /** "; kept sinks S window W" when the book's store kept its own static set (adoptedStaticSet); "" otherwise. */
  private keptStaticSet(): string {
    const kept = adoptedStaticSet(this.session?.lastStats?.(), this.sessionOptions);
    return kept ? `; kept sinks ${kept.sinks} window ${kept.window}` : "";
  }

  /** An empty session of the loaded model in place of the current one (its store closed). */
  private freshSession() {
    this.session!.close();
    this.session = new (loadAddon().Session)(this.model!, this.sessionOptions) as WithStepStats;
    this.cached = [];
    this.storeFile = null;
  }

  /** Forgets the bound document (or only `file`'s): its store is closed (so it can be deleted) and the context emptied. */
  release({ file }: EngineOps["release"]["req"] = {}): EngineOps["release"]["res"] {
    if (!this.session || !this.storeFile || (file !== undefined && file !== this.storeFile)) return { released: false };
    this.freshSession();
    return { released: true };
  }

  /**
   * Evaluates what is missing so the session holds exactly `tokens`; progress per chunk. With
   * `logits` (an answer follows), at least the last token is evaluated, so its logits are fresh.
   */
  async prefill({ jobId, tokens, docEnd }: EngineOps["prefill"]["req"], logits = false): Promise<EngineOps["prefill"]["res"]> {
    // a job cancelled before it starts leaves the engine as it found it (fill() says so too):
    // binding the new book's store first started a fresh session, dropping the book it held
    if (this.cancelled.has(jobId)) throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
    const prefix = docEnd !== undefined && docEnd > 0 ? tokens.subarray(0, docEnd) : null;
    let cache = prefix ? await this.bindStore(prefix) : undefined;
    if (cache !== undefined && this.storeFile) this.emit({ event: "store", jobId, file: this.storeFile });
    let failure: unknown;
    try {
      return await this.fill(jobId, tokens, docEnd, cache, logits);
    } catch (e) {
      if (!this.storeFile || !(isStoreWriteFailure(e) || (isStoreDamage(e) && prefix))) throw e;
      failure = e;
    }
    if (isStoreDamage(failure)) {
      // once: the store bound again restores what it holds intact, the rest is read again
      this.freshSession();
      cache = await this.bindStore(prefix!);
      try {
        return await this.fill(jobId, tokens, docEnd, cache, logits);
      } catch (e) {
        if (!this.storeFile || !(isStoreWriteFailure(e) || isStoreDamage(e))) throw e;
        failure = e;
      }
    }
    // the disk refused the store part way (full, read-only), or it was found damaged again:
    // the book is read on without one
    return await this.fill(jobId, tokens, docEnd, `off: ${this.setStoreAside(failure as Error)}`, logits);
  }

  /**
   * Drops the bound store after the disk refused it: a fresh session, the store's files
   * deleted (a full disk gets their space back; other books' stores are left alone), and the
   * file not tried again until the next load. Returns the reason.
   */
  private setStoreAside(e: Error): string {
    const file = this.storeFile!;
    this.freshSession();
    try {
      removeStore(file);
    } catch {
      /* a read-only folder keeps it; it is not used again anyway */
    }
    this.storeRefused.set(file, e.message);
    return e.message;
  }

  private async fill(
    jobId: string,
    tokens: Int32Array,
    docEnd: number | undefined,
    cache: string | undefined,
    logits: boolean,
  ): Promise<EngineOps["prefill"]["res"]> {
    const { session } = this.need();
    if (tokens.length > session.nCtx()) {
      throw Object.assign(new Error(`${tokens.length} tokens do not fit the context of ${session.nCtx()}`), { code: "CTX_FULL" });
    }
    // a job cancelled before it starts leaves the context it found (truncating would cut the
    // book the engine holds for a read that is not going to happen)
    if (this.cancelled.has(jobId)) throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
    let common = commonPrefix(this.cached, tokens);
    // An answer needs the last position's logits fresh: at least one token is evaluated. A read
    // of the book alone evaluates nothing it holds: cutting its last token would cut the context
    // below the point its index was built at, which drops the index from the store, so the
    // next restart read the whole book again.
    if (logits && common === tokens.length && common > 0) common--;
    if (common < this.cached.length) this.lastLogits = null; // they were the longer context's
    session.truncate(common);
    this.cached.length = common;
    const t0 = performance.now();
    const total = tokens.length - common;
    // the document part goes through prefill() (never sparse before its index exists), then the
    // index is built over it; the rest (history, question) is evaluated as usual
    const docTo = Math.min(docEnd ?? 0, tokens.length);
    // the book is final (answers only ever cut back to its end): a Gemma 3 store then keeps one
    // window of the local layers' rows, not all of them (KV store: Gemma 3)
    if (docTo > 0) session.sealPrefix(docTo);
    const chunk = 256;
    let done = 0;
    const layerMajor = this.readsLayerMajor(docTo - common, cache);
    // the time left by the read's work, not its tokens (prefill-eta.ts)
    const timeLeft = readTimeLeft(this.loaded!.info, common, tokens.length, layerMajor ? docTo : common);
    const progress = (at: number, ms: number) => this.emit({ event: "progress", jobId, done: at - common, total, ms, etaMs: timeLeft(at, ms) });
    progress(common, 0);
    if (layerMajor) {
      // under a RAM budget a long document part goes in one layer-major call: each layer to the
      // store and out of RAM, its index built with it; progress in token-equivalents of its
      // (layer, chunk) steps; cancel stops it between chunks, the session as it was before it
      if (this.cancelled.has(jobId)) throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
      const part = tokens.subarray(common, docTo);
      this.prefillingDoc = jobId;
      try {
        this.lastLogits = await session.prefillDocument(part, {
          onProgress: (d, t, ramBytes) => {
            this.kvDuringRead(ramBytes);
            progress(common + Math.floor((d / t) * part.length), performance.now() - t0);
          },
        });
      } finally {
        this.prefillingDoc = null;
      }
      for (const t of part) this.cached.push(t);
      done = part.length;
      this.emit({ event: "progress", jobId, phase: "index", done: 1, total: 1, ms: performance.now() - t0 });
    }
    while (done < total) {
      if (this.cancelled.has(jobId)) throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
      const at = common + done;
      const inDoc = at < docTo;
      const part = tokens.subarray(at, Math.min(tokens.length, at + chunk, inDoc ? docTo : Infinity));
      // (eval() would build a due index first anyway: built here, the build is a phase the read reports)
      if (!inDoc && session.buildDue()) await this.buildIndexPhase(jobId);
      this.lastLogits = inDoc ? await session.prefill(part) : await session.eval(part);
      for (const t of part) this.cached.push(t);
      this.refreshKv();
      done += part.length;
      progress(common + done, performance.now() - t0);
      if (at + part.length === docTo) await this.buildIndexPhase(jobId);
    }
    // an answer whose context has outgrown fullBelow (a short book's conversation grown long)
    // builds its index here, before a question chunk or after the last one, a phase of the read,
    // where eval() or the first decoded token would build it at the same point, unreported
    if (logits && session.buildDue()) await this.buildIndexPhase(jobId);
    const bound = cache !== undefined && this.storeFile ? { cacheFile: this.storeFile } : {};
    const removed = cache !== undefined && this.storeFile ? this.applyCacheBudget() : 0;
    return {
      reused: common,
      evaluated: total,
      ms: performance.now() - t0,
      ...(layerMajor ? { layerMajor } : {}),
      ...(cache ? { cache } : {}),
      ...bound,
      ...(removed ? { cacheRemoved: removed } : {}),
    };
  }

  /**
   * buildIndex() with its progress events (phase "index"): done 0 of 1 at its start, then the
   * layers built of those to build (their builds take alike: the time left by the layers' rate)
   * and done 1 of 1 at its end.
   */
  private async buildIndexPhase(jobId: string) {
    const ti = performance.now();
    this.emit({ event: "progress", jobId, phase: "index", done: 0, total: 1, ms: 0 });
    await this.need().session.buildIndex({
      onProgress: (done, total) => {
        if (done >= total) return; // the end is said below
        const ms = performance.now() - ti;
        this.emit({ event: "progress", jobId, phase: "index", done, total, ms, etaMs: done > 0 ? (ms / done) * (total - done) : null });
      },
    });
    this.emit({ event: "progress", jobId, phase: "index", done: 1, total: 1, ms: performance.now() - ti });
  }

  /**
   * Whether `docLeft` document tokens still to read go through prefillDocument(): under a RAM
   * budget, with the document's store bound (the layers go to it), when longer than two batches
   * (shorter ones gain little over the chunked read, whose cancel is as fine).
   */
  private readsLayerMajor(docLeft: number, cache: string | undefined): boolean {
    const o = this.sessionOptions;
    const budget = (o.ramBudget ?? 0) > 0 || (o.ramBudgetFrac ?? 0) > 0;
    return budget && cache !== undefined && this.storeFile !== null && docLeft > 2 * (o.batch ?? 512);
  }

  /** Keeps the cache folder within the disk budget, least recently used stores first (never the bound one). */
  private applyCacheBudget(): number {
    if (!this.cacheDir || this.cacheBudget <= 0) return 0;
    try {
      return gcCaches(this.cacheDir, this.cacheBudget, this.storeFile ? [this.storeFile] : []).length;
    } catch {
      return 0; // a folder that cannot be listed or cleaned costs the answer nothing
    }
  }

  private lastLogits: Float32Array | null = null;

  async generate(req: EngineOps["generate"]["req"]): Promise<EngineOps["generate"]["res"]> {
    const addon = loadAddon();
    const { jobId, tokens, maxTokens, docStart, docEnd } = req;
    const room = this.need().session.nCtx() - tokens.length;
    const budget = Math.min(maxTokens, room);
    if (budget <= 0) throw Object.assign(new Error("the question does not leave room for an answer in the context"), { code: "CTX_FULL" });
    const pre = await this.prefill({ jobId, tokens, docEnd }, true);
    // after prefill: binding the document's store may have started a new session
    const { model, session } = this.need();
    // the session is idle until the first step: the figures stats() gives during the answer
    // start from the context it answers in (the document and the question)
    this.kv = this.readKv();
    this.kvWanted = false;
    let logits = this.lastLogits!;
    const stepLogits = new Float32Array(model.info().nVocab); // every step's logits, one array
    const sampler = new addon.Sampler(req.sampler);
    for (const t of tokens.subarray(Math.max(0, tokens.length - 256))) sampler.accept(t);
    const stream = new Utf8Stream();
    const docLen = Math.max(0, docEnd - docStart);
    const sparseMode = (this.sessionOptions.attention ?? "full") !== "full";
    const attention = hasStepStats(session) && docLen > 0 ? new Float32Array(docLen) : null;
    let text = "";
    let n = 0;
    // "context": the answer filled the context before reaching maxTokens
    let stoppedBy: StopReason = room < maxTokens ? "context" : "length";
    const t1 = performance.now();
    for (;;) {
      if (this.cancelled.has(jobId)) {
        stoppedBy = "abort";
        break;
      }
      if (n >= budget) break;
      const token = sampler.sample(logits);
      if (model.isEog(token)) {
        stoppedBy = "eog";
        break;
      }
      sampler.accept(token);
      const piece = stream.push(model.tokenToPiece(token, false));
      text += piece;
      const ts = performance.now();
      session.resetTimes();
      // The sampled token is always evaluated, so the KV holds the whole answer.
      logits = await session.evalInto(Int32Array.of(token), stepLogits);
      this.cached.push(token);
      this.refreshKv();
      const ms = performance.now() - ts;
      const step = readStep(session);
      const times = session.times();
      if (attention && step?.positions && step.weights) {
        for (let i = 0; i < step.positions.length; i++) {
          const p = step.positions[i] - docStart;
          if (p >= 0 && p < docLen) attention[p] += step.weights[i];
        }
      }
      this.emit({
        event: "token",
        jobId,
        index: n,
        text: piece,
        ms,
        phase: step ? step.ms : { matmul: times.matmulMs, attention: times.attentionMs, other: times.otherMs },
        retrieval: retrievalFigures(step, sparseMode, session.nPast()),
      });
      n++;
    }
    const tail = stream.flush();
    if (tail) text += tail;
    this.lastLogits = logits;
    // the turn joins the document's store, so reopening continues the conversation
    if (this.storeFile) {
      try {
        await session.flushStore();
      } catch (e) {
        if (!isStoreWriteFailure(e)) throw e;
        this.setStoreAside(e as Error); // the answer stands; the next question is read without a store
      }
    }
    return {
      tokens: n,
      text,
      stoppedBy,
      reused: pre.reused,
      prefillMs: pre.ms,
      decodeMs: performance.now() - t1,
      ...(pre.cache ? { cache: pre.cache } : {}),
      ...(pre.cacheFile ? { cacheFile: pre.cacheFile } : {}),
      ...(pre.cacheRemoved ? { cacheRemoved: pre.cacheRemoved } : {}),
      attended: attention ? topPositions(attention, 64) : null,
    };
  }

  /** tome eval on the loaded model: rows stream out as eval events; cancel stops it between steps. */
  async eval({ jobId, options }: EngineOps["eval"]["req"]): Promise<EngineOps["eval"]["res"]> {
    const { model } = this.need();
    const addon = loadAddon();
    const modelPath = this.loaded!.path;
    const haystack = await loadHaystack(options.haystack);
    return runEval({ addon, model, modelPath, prompting: promptingOf(addon, modelPath, model), haystack }, options, {
      cancelled: () => this.cancelled.has(jobId),
      onRow: (row, progress) => this.emit({ event: "eval", jobId, progress, row }),
    });
  }

  cancel({ jobId }: { jobId: string }) {
    this.cancelled.add(jobId);
    // a job cancelled while the core tokenized its book never reaches the engine (nor
    // finishJob): keep the newest few ids, not every one
    for (const old of this.cancelled) if (this.cancelled.size > CANCELS_KEPT) this.cancelled.delete(old);
    if (this.prefillingDoc === jobId) this.session?.cancel();
    return { cancelled: true };
  }

  /**
   * Memory by tier. The session's numbers cannot be read while an eval runs on its worker
   * thread (the getters throw BUSY: the worker writes what they read), which is most of a
   * decode or a prefill: then they are the last ones read with the session idle, and the next
   * pause between two steps reads them again (refreshKv); during a layer-major read, the host
   * tier is what the read's progress reports measured (kvDuringRead).
   */
  stats(): EngineOps["stats"]["res"] {
    try {
      this.kv = this.readKv();
    } catch (e) {
      if ((e as { code?: string }).code !== "BUSY") throw e;
      this.kvWanted = true;
    }
    return {
      rssBytes: process.memoryUsage().rss,
      ...this.kv,
      tiers: { ...this.kv.tiers, diskBytes: this.storeFile ? storeBytesOnDisk(this.storeFile) : 0 },
    };
  }

  /** What stats() reports of the session, as last read with it idle. */
  private kv: Omit<EngineOps["stats"]["res"], "rssBytes"> = { kvBytes: 0, nPast: 0, nCtx: 0, tiers: { deviceBytes: 0, hostBytes: 0, diskBytes: 0 } };
  /** A stats() call found the session busy: the next pause reads it for the next call. */
  private kvWanted = false;

  /**
   * During a layer-major read (one call of minutes, its getters BUSY throughout): the host
   * tier's RAM as the call measured it, less the static set's share already counted as device.
   */
  private kvDuringRead(ramBytes: number) {
    const hostBytes = Math.max(0, ramBytes - this.kv.tiers.deviceBytes);
    this.kv = { ...this.kv, tiers: { ...this.kv.tiers, hostBytes } };
  }

  /** Between two evals: reads the session's numbers when a stats() call could not. */
  private refreshKv() {
    if (!this.kvWanted) return;
    this.kvWanted = false;
    this.kv = this.readKv();
  }

  private readKv(): Omit<EngineOps["stats"]["res"], "rssBytes"> {
    const s = this.session;
    const nPast = s?.nPast() ?? 0;
    const nCtx = s?.nCtx() ?? 0;
    const perPosition = s && nCtx > 0 ? s.kvBytes() / nCtx : 0;
    const a = this.sessionOptions;
    // a sparse mode splits off the static set once its indexes exist; before (a short book on
    // full attention) every key is attended where it lies, in RAM
    const staticPositions = s?.sparseActive() ? Math.min(nPast, (a.sinks ?? 128) + (a.window ?? 512)) : 0;
    // what the host tier holds, measured: under a budget its own count, else the cache's pages
    // in RAM and the indexes (Gemma 3's local layers hold only their window's rows beside a
    // store), less the static set counted as the device's
    let hostBytes = 0;
    const residency = s?.residency();
    if (residency && residency.budgetBytes > 0) hostBytes = residency.residentBytes + residency.indexBytes;
    else if (s) hostBytes = Math.max(0, s.hostRamBytes() - staticPositions * perPosition);
    return { kvBytes: s?.kvBytes() ?? 0, nPast, nCtx, tiers: { deviceBytes: staticPositions * perPosition, hostBytes, diskBytes: 0 } };
  }

  finishJob(jobId: string | undefined) {
    if (jobId) this.cancelled.delete(jobId);
  }
}

/** Cancelled job ids remembered; more than ever run or wait at once. */
const CANCELS_KEPT = 64;

function topPositions(w: Float32Array, k: number): { positions: Int32Array; weights: Float32Array } {
  const idx = Array.from(w.keys()).filter((i) => w[i] > 0);
  idx.sort((a, b) => w[b] - w[a]);
  const top = idx.slice(0, k);
  return { positions: Int32Array.from(top), weights: Float32Array.from(top, (i) => w[i]) };
}

function main() {
  const port = openPort();
  const host = new EngineHost(port);
  let queue = Promise.resolve();
  const run = async (req: EngineRequest) => {
    try {
      const fn = (host as unknown as Record<string, (a: unknown) => unknown>)[req.op];
      if (typeof fn !== "function") throw Object.assign(new Error(`unknown engine op ${req.op}`), { code: "BAD_REQUEST" });
      const result = await fn.call(host, req.args);
      port.send({ id: req.id, ok: true, result });
    } catch (e) {
      const code = isTomeError(e) ? e.code : "INTERNAL";
      port.send({ id: req.id, ok: false, error: { code, message: (e as Error)?.message ?? String(e) } });
    } finally {
      if (req.op === "prefill" || req.op === "generate" || req.op === "eval") host.finishJob(req.args.jobId);
    }
  };
  port.onMessage((req) => {
    // cancel and stats jump the queue; everything else runs in order.
    if (req.op === "cancel" || req.op === "stats") void run(req);
    else queue = queue.then(() => run(req));
  });
  port.send({ ready: true });
}

main();
