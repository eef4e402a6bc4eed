// Reading a book: tokenize it (whole book, to count), cut it to what the context
// holds, and prefill the prompt prefix [template][book] so questions start at
// once. A book saved for the loaded model keeps its saved cut (its KV store is
// keyed by the tokens read: another cut would read the whole book again); a
// fresh read cuts it by today's settings and replaces that store. Progress goes
// out as doc.progress events (tokens/s, ETA); the job can be cancelled between
// chunks, and right after tokenizing (which cannot be interrupted). Also used by
// an answer when its book is not ready.
import type { DocumentInfo, ReadPhase } from "../ipc/contract";
import { AppError } from "../ipc/errors";
import type { EngineEvent } from "../host/protocol";
import type { LoadedModel } from "../host/protocol";
import { buildPrompt } from "./prompt";
import { bookTokensThatFit, savedReadFits } from "./read-budget";
import { removeCache } from "../engine/kv-cache";
import type { AppCore } from "./core";

export interface DocTokens {
  tokens: Int32Array; // the whole book
  starts: Int32Array; // char start of each token
  used: number; // how many fit the context
}

function noRoom(model: LoadedModel): AppError {
  return new AppError("CTX_FULL", `The model's context (${model.nCtx} tokens) leaves no room for the book.`);
}

export class ReadJobs {
  constructor(private core: AppCore) {}

  /**
   * The book's tokens for the loaded model (tokenized once, then cached) and how many of them
   * are read: the saved read's count, else what today's Max answer tokens leave.
   */
  async ensureTokens(doc: DocumentInfo, jobId: string, model: LoadedModel): Promise<DocTokens> {
    const cached = this.core.state.docTokens.get(doc.id);
    if (cached) return cached;
    const t = await this.tokenize(doc, jobId);
    return this.remember(doc, model, { ...t, used: this.usedOf(doc, model, t.tokens.length, false) });
  }

  /**
   * The cut of a fresh read (today's settings), remembered only once that read is done: a
   * fresh read cancelled or failed leaves the book's saved read as the one questions use.
   */
  private async freshTokens(doc: DocumentInfo, jobId: string, model: LoadedModel): Promise<DocTokens> {
    const t = await this.ensureTokens(doc, jobId, model);
    const used = this.usedOf(doc, model, t.tokens.length, true);
    if (used <= 0) throw noRoom(model);
    return { ...t, used };
  }

  private async tokenize(doc: DocumentInfo, jobId: string): Promise<{ tokens: Int32Array; starts: Int32Array }> {
    const t0 = performance.now();
    this.progress(doc.id, jobId, "tokenize", 0, doc.chars, 0);
    const text = this.core.lib.documents.text(doc.id) ?? "";
    const t = await this.core.engine.call("docTokens", { text });
    this.progress(doc.id, jobId, "tokenize", doc.chars, doc.chars, performance.now() - t0);
    return t;
  }

  /** Caches the book's tokens and cut, and records the counts (what the library shows). */
  private remember(doc: DocumentInfo, model: LoadedModel, dt: DocTokens): DocTokens {
    if (dt.used <= 0) throw noRoom(model);
    this.core.state.docTokens.set(doc.id, dt);
    this.core.lib.documents.setTokens(doc.id, {
      tokens: dt.tokens.length,
      tokensUsed: dt.used,
      charsUsed: dt.used < dt.tokens.length ? dt.starts[dt.used] : doc.chars,
      modelPath: model.path,
    });
    return dt;
  }

  /** How many of the book's n tokens a read takes (module comment). */
  private usedOf(doc: DocumentInfo, model: LoadedModel, n: number, fresh: boolean): number {
    const saved = doc.savedFor === model.path ? doc.savedTokens : null;
    if (!fresh && saved !== null && saved <= n && savedReadFits(model.nCtx, saved, n)) return saved;
    return bookTokensThatFit(model.nCtx, this.core.lib.settings.get().maxTokens, n);
  }

  /** etaMs: the engine's estimate (a prefill's, by its work); otherwise the rate so far gives it. */
  progress(documentId: number, jobId: string, phase: ReadPhase, done: number, total: number, ms: number, etaMs?: number | null) {
    const tps = ms > 0 ? (done / ms) * 1000 : 0;
    this.core.emit("doc.progress", {
      documentId,
      jobId,
      phase,
      done,
      total,
      tokensPerSec: tps,
      etaMs: etaMs !== undefined ? etaMs : tps > 0 ? ((total - done) / tps) * 1000 : null,
    });
  }

  /** Engine progress events of `jobId` -> doc.progress (prefill phase). */
  forwardPrefill(documentId: number, jobId: string): (e: EngineEvent) => void {
    return (e) => {
      if (e.event === "progress") this.progress(documentId, jobId, e.phase ?? "prefill", e.done, e.total, e.ms, e.etaMs);
    };
  }

  /** Marks `documentId` as the book whose KV the engine holds (the previous one is not any more). */
  claimEngine(documentId: number) {
    const prev = this.core.state.engineDoc;
    if (prev !== null && prev !== documentId && this.core.lib.documents.get(prev)?.state === "ready") {
      this.core.lib.documents.setState(prev, "new");
      this.core.docUpdated(prev);
    }
    this.core.state.engineDoc = documentId;
  }

  async run(jobId: string, documentId: number, fresh = false): Promise<void> {
    const core = this.core;
    const model = core.requireModel();
    core.state.job = { id: jobId, kind: "read", documentId };
    core.lib.documents.setState(documentId, "reading");
    core.docUpdated(documentId);
    core.setActivity("reading");
    let bound: string | null = null; // the store this read's prefill bound (engine "store" event)
    const forward = this.forwardPrefill(documentId, jobId);
    const off = core.onJobEvents(jobId, (e) => {
      if (e.event === "store") bound = e.file;
      else forward(e);
    });
    try {
      const doc = core.requireDoc(documentId);
      const dt = fresh ? await this.freshTokens(doc, jobId, model) : await this.ensureTokens(doc, jobId, model);
      const before = core.lib.documents.savedFile(documentId);
      // a cancel taken while tokenizing (which the engine cannot interrupt) ends the read here,
      // before the engine lets go of the book it holds
      core.throwIfCancelled(jobId);
      const prompt = await buildPrompt(core.engine, model, dt.tokens.subarray(0, dt.used), core.lib.settings.get().systemPrompt, [], null);
      core.throwIfCancelled(jobId);
      this.claimEngine(documentId);
      // the whole prompt prefix is the document's: kept in its KV store, indexed
      const res = await core.engine.call("prefill", { jobId, tokens: prompt.tokens, docEnd: prompt.docEnd });
      if (fresh) this.remember(doc, model, dt);
      core.storeUsed(documentId, res, model.path, dt.used);
      core.lib.documents.setState(documentId, "ready");
      // read again: the store it replaces is no book's any more (not even one sharing its opening)
      if (fresh && before !== null && before !== core.lib.documents.savedFile(documentId) && core.lib.documents.storeUsers(before) === 0) removeCache(before);
      // a store an earlier read left part written and this one did not resume (another cut) is no one's
      const partial = core.lib.documents.partialFile(documentId);
      core.lib.documents.setPartial(documentId, null);
      if (partial !== null && partial !== core.lib.documents.savedFile(documentId) && core.lib.documents.storeUsers(partial) === 0) removeCache(partial);
    } catch (e) {
      const err = e as AppError;
      // a store the read left part written: resumed by the next read, removed with the book
      if (bound !== null && bound !== core.lib.documents.savedFile(documentId)) core.lib.documents.setPartial(documentId, bound);
      if (err.code === "CANCELLED") core.lib.documents.setState(documentId, "new");
      else if (err.code !== "ENGINE_CRASHED") core.lib.documents.setState(documentId, "error", err.message);
      if (core.state.engineDoc === documentId) core.state.engineDoc = null;
    } finally {
      off();
      core.endJob(jobId);
      core.docUpdated(documentId);
      core.setActivity("idle");
      core.refreshMemory();
    }
  }
}
