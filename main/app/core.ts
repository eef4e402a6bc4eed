// The app core: implements every contract method over the library (app database)
// and the engine host, and pushes events. Transport-agnostic: Electron's ipcMain
// (main/desktop) and tome serve's WebSocket (main/server) both call
// `core.call(method, params)` and forward `core.onEvent`. Every call's params are
// validated here, so no transport can skip it.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import type {
  AppInfo,
  ConversationInfo,
  DocumentInfo,
  EngineStatus,
  EventData,
  EventName,
  MemoryStats,
  Method,
  RunningJob,
  Params,
  Result,
} from "../ipc/contract";
import { AppError } from "../ipc/errors";
import { LIMITS, requireMethod, validateParams } from "../ipc/validate";
import type { Library } from "../library";
import type { Engine } from "../host/engine-client";
import type { EngineEvent, LoadedModel } from "../host/protocol";
import { allowedModelPath, listModels, modelDetails } from "./models";
import type { ImportThreads } from "../library/import-threads";
import { BookImports } from "./book-imports";
import { InspectCache } from "./inspect-cache";
import { ReadJobs, type DocTokens } from "./read";
import { Answers } from "./answer";
import { EvalJobs } from "./evaluate";
import { BookFinder } from "./find-in-book";
import { removeCache } from "../engine/kv-cache";

export interface Dialogs {
  openModel(): Promise<string | null>;
  /** The paths chosen (none when cancelled); the core reads them (book-file.ts). */
  openBooks(): Promise<string[]>;
}

export interface CoreOptions {
  library: Library;
  engine: Engine;
  mode: AppInfo["mode"];
  dataDir: string;
  /** Where the engine keeps the books' KV stores. */
  cacheDir: string;
  version: string;
  cliModel?: string | null;
  dialogs?: Dialogs;
  /** Where dropped books are read and stored: worker threads in the app (./bootstrap.ts); default this thread. */
  importThreads?: ImportThreads;
}

type Handlers = { [M in Method]: (p: Params<M>) => Promise<Result<M>> | Result<M> };
type Listener = <E extends EventName>(event: E, data: EventData<E>) => void;

/** Shared state the read and answer flows work on. */
export interface CoreState {
  model: LoadedModel | null;
  activity: EngineStatus["activity"];
  crashed: string | null;
  /** Tokens of documents for the loaded model (cleared on model change). */
  docTokens: Map<number, DocTokens>;
  /** The job the engine is busy with (one at a time); cancelling: a cancel or Stop was taken. */
  job: { id: string; kind: RunningJob["kind"]; documentId: number | null; conversationId?: number; cancelling?: boolean } | null;
  /** The book whose KV the engine holds now. */
  engineDoc: number | null;
}

export class AppCore {
  readonly lib: Library;
  readonly engine: Engine;
  readonly state: CoreState = { model: null, activity: "idle", crashed: null, docTokens: new Map(), job: null, engineDoc: null };
  private noticed = new Set<string>(); // noticeOnce's keys
  private inspected = new InspectCache();
  private finder = new BookFinder();
  private bookImports: BookImports;
  private listeners = new Set<Listener>();
  private reads: ReadJobs;
  private answers: Answers;
  private evals: EvalJobs;
  private handlers: Handlers;
  private memoryTimer: NodeJS.Timeout | null = null;
  private jobListeners = new Map<string, (e: EngineEvent) => void>();
  /** A models.load is in flight (requireIdle refuses jobs meanwhile). */
  private loading = false;
  /** Who waits for the current job to end (afterCancelledJob). */
  private jobEndWaiters: (() => void)[] = [];

  constructor(private opts: CoreOptions) {
    this.lib = opts.library;
    this.engine = opts.engine;
    this.reads = new ReadJobs(this);
    this.answers = new Answers(this, this.reads);
    this.evals = new EvalJobs(this);
    this.bookImports = new BookImports({
      lib: this.lib,
      threads: opts.importThreads,
      skipBoilerplate: () => this.lib.settings.get().skipBoilerplate,
      emit: (event, data) => this.emit(event, data),
      importedHere: () => this.importedHere(),
    });
    this.engine.onCrash((d) => this.engineCrashed(d));
    this.engine.onEvent((e) => this.jobListeners.get(e.jobId)?.(e));
    this.handlers = this.makeHandlers();
  }

  // ---- transport-facing ------------------------------------------------------

  /** Validates and runs one request. Throws AppError / ValidationError. */
  async call(method: unknown, params: unknown): Promise<unknown> {
    const m = requireMethod(method);
    const p = validateParams(m, params);
    return (this.handlers[m] as (x: unknown) => unknown)(p);
  }

  onEvent(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit<E extends EventName>(event: E, data: EventData<E>) {
    for (const l of this.listeners) {
      try {
        l(event, data);
      } catch {
        /* a broken listener must not stop the others */
      }
    }
  }

  /** Pushes memory stats every `ms` while the app runs. */
  startMemoryTicker(ms = 1000) {
    this.memoryTimer ??= setInterval(() => this.refreshMemory(), ms);
    this.memoryTimer.unref();
  }

  /** Loads the command-line model or the last one used, in the background. */
  async autoLoad(): Promise<void> {
    const p = this.opts.cliModel ?? this.lib.settings.get().lastModel;
    if (!p) return;
    try {
      await this.call("models.load", { path: p });
    } catch (e) {
      process.stderr.write(`tome: could not load ${p}: ${(e as Error).message}\n`);
    }
  }

  close() {
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.opts.importThreads?.close();
    this.engine.close();
    this.lib.close();
  }

  // ---- state helpers used by the flows ----------------------------------------

  status(): EngineStatus {
    const m = this.state.model;
    return {
      model: m
        ? { path: m.path, name: m.path.split(/[\\/]/).pop()!, ctx: m.nCtx, nCtxTrain: m.info.nCtxTrain, hasChatTemplate: m.chatTemplate !== null }
        : null,
      backend: "cpu",
      gpu: null,
      activity: this.state.activity,
      crashed: this.state.crashed,
      stepStats: m?.stepStats ?? false,
      job: this.runningJob(),
    };
  }

  private runningJob(): RunningJob | null {
    const j = this.state.job;
    if (!j) return null;
    return {
      id: j.id,
      kind: j.kind,
      documentId: j.documentId,
      conversationId: j.conversationId ?? null,
      cancelling: j.cancelling ?? false,
      eval: j.kind === "eval" ? this.evals.sofar(j.id) : null,
    };
  }

  /**
   * Cancels the running job: said at once (engine.status: cancelling), then asked of the engine,
   * which stops between two chunks or steps. A book's tokenizing cannot be interrupted: the read
   * and answer flows check `cancelled` when it returns (throwIfCancelled).
   */
  async cancelJob(): Promise<void> {
    const job = this.state.job;
    if (!job) return;
    if (!job.cancelling) {
      job.cancelling = true;
      this.emit("engine.status", this.status());
    }
    await this.engine.call("cancel", { jobId: job.id });
  }

  /** Ends job `jobId` when it is still the current one, and wakes who waits for that. */
  endJob(jobId: string) {
    if (this.state.job?.id !== jobId) return;
    this.state.job = null;
    const waiters = this.jobEndWaiters;
    this.jobEndWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Waits (up to `ms`) for a job being cancelled to end. A question asked right after Stop came
   * while the stopped answer still ran to its next step and was refused BUSY ("stop it first",
   * though it had been); now it starts as soon as that answer has ended.
   */
  async afterCancelledJob(ms = 5000): Promise<void> {
    if (!this.state.job?.cancelling) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.jobEndWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Ends a flow between two engine calls when its job was cancelled meanwhile. */
  throwIfCancelled(jobId: string) {
    if (this.state.job?.id === jobId && this.state.job.cancelling) throw new AppError("CANCELLED", "cancelled");
  }

  /**
   * Sends fresh memory figures now. The engine answers stats with the figures it read last while a
   * job keeps it busy, so the once-a-second ticker lags; a job's end reads them idle.
   */
  refreshMemory() {
    if (this.listeners.size === 0) return;
    this.memoryStats()
      .then((s) => this.emit("stats.memory", s))
      .catch(() => {});
  }

  setActivity(a: EngineStatus["activity"]) {
    this.state.activity = a;
    this.emit("engine.status", this.status());
  }

  requireModel(): LoadedModel {
    if (!this.state.model) {
      throw new AppError("NO_MODEL", this.state.crashed ? `The engine stopped (${this.state.crashed}); load a model again.` : "Load a model first (Model menu).");
    }
    return this.state.model;
  }

  requireIdle() {
    // a model loading is no job, but the engine is busy with it: a read or an answer started now
    // ran on the model being replaced (its context, its name on the book's saved read) and the
    // load's end reset the book it was reading to 'new' while the engine read it
    if (this.loading) throw new AppError("BUSY", "A model is loading; wait for it.");
    if (this.state.job) {
      const what = { read: "The engine is reading a book; wait or cancel it.", answer: "The engine is answering; stop it first.", eval: "The engine is running an evaluation; wait or cancel it." };
      throw new AppError("BUSY", what[this.state.job.kind]);
    }
  }

  requireDoc(id: number): DocumentInfo {
    const d = this.lib.documents.get(id);
    if (!d) throw new AppError("NOT_FOUND", `No document ${id}.`);
    return d;
  }

  docUpdated(id: number) {
    const d = this.lib.documents.get(id);
    if (d) this.emit("doc.updated", d);
  }

  /**
   * After the engine bound a book to its KV store: remembered; stores the disk budget removed
   * show as not saved; a store the disk refused is said (the book was read without it), and
   * so is a store whose sinks and window the engine kept over the settings'.
   */
  storeUsed(documentId: number, res: { cache?: string; cacheFile?: string; cacheRemoved?: number }, modelPath: string, tokensUsed: number) {
    // each once per book and what the engine said (a reason, a kept static set)
    const once = `${documentId} ${res.cache}`;
    if (res.cache?.startsWith("off: "))
      this.noticeOnce(once, { kind: "error", text: `This book's KV cache could not be saved, so it will be read again next time: ${res.cache.slice(5)}` });
    const kept = res.cache?.match(/; kept sinks (\d+) window (\d+)$/);
    if (kept)
      this.noticeOnce(once, {
        kind: "info",
        text:
          `This book keeps the ${kept[1]} sink and ${kept[2]} window tokens its index was built with, so it is not read again; ` +
          `the new values apply to books read from now on.`,
      });
    if (res.cacheFile) this.lib.documents.setSaved(documentId, res.cacheFile, modelPath, tokensUsed);
    if (res.cacheRemoved) for (const d of this.lib.documents.list()) this.emit("doc.updated", d);
  }

  /** Once, when books had to be imported on this thread because import threads cannot load. */
  private importedHere() {
    const why = this.opts.importThreads?.unavailable;
    if (why) this.noticeOnce("import-threads", { kind: "error", text: `Books are read by the app's main thread, as the import thread could not start (${why}); a big book may hold the window while it is read.` });
  }

  /** An app notice, once per key for the app's lifetime. */
  private noticeOnce(key: string, notice: { kind: "error" | "info"; text: string }) {
    if (this.noticed.has(key)) return;
    this.noticed.add(key);
    this.emit("app.notice", notice);
  }

  /** Routes the engine's events for one job; returns the unsubscribe. */
  onJobEvents(jobId: string, l: (e: EngineEvent) => void): () => void {
    this.jobListeners.set(jobId, l);
    return () => this.jobListeners.delete(jobId);
  }

  private engineCrashed(description: string) {
    this.state.model = null;
    this.state.crashed = description;
    this.state.docTokens.clear();
    if (this.state.job) this.endJob(this.state.job.id);
    this.state.engineDoc = null;
    this.lib.documents.resetCacheStates();
    for (const d of this.lib.documents.list()) this.emit("doc.updated", d);
    this.setActivity("idle");
  }

  async memoryStats(): Promise<MemoryStats> {
    const e = this.engine.running() ? await this.engine.call("stats", {}).catch(() => null) : null;
    return {
      rssMainBytes: process.memoryUsage().rss,
      rssEngineBytes: e?.rssBytes ?? null,
      // device: the static set; host: the rest in RAM (indexes included); disk: the document's KV store
      kv: e?.tiers ?? { deviceBytes: 0, hostBytes: 0, diskBytes: 0 },
      gpu: null,
      nPast: e?.nPast ?? 0,
      nCtx: e?.nCtx ?? 0,
      documentId: e ? this.state.engineDoc : null,
    };
  }

  // ---- the contract ------------------------------------------------------------

  private makeHandlers(): Handlers {
    const lib = this.lib;
    const settings = () => lib.settings.get();
    const notSupported = (what: string) => () => {
      throw new AppError("NOT_SUPPORTED", `${what} needs the desktop app; in the browser, drop files on the window.`);
    };
    return {
      "app.info": () => ({
        version: this.opts.version,
        mode: this.opts.mode,
        platform: process.platform,
        dataDir: this.opts.dataDir,
        maxImportBytes: LIMITS.maxImportBytes,
      }),
      "settings.get": () => settings(),
      "settings.set": (p) => {
        if (p.modelsDir !== undefined && p.modelsDir !== settings().modelsDir) checkModelsDir(p.modelsDir);
        const s = lib.settings.set(p);
        this.emit("settings.updated", s);
        return s;
      },

      "models.list": () => listModels(settings(), this.opts.cliModel ?? null),
      "models.inspect": async ({ path }) => {
        const s = settings();
        const real = allowedModelPath(path, s, this.opts.cliModel ?? null);
        const { summary } = await this.inspected.get(real, () => this.engine.call("inspect", { path: real }));
        return modelDetails(real, summary, s);
      },
      "models.load": async ({ path }) => {
        const s = settings();
        const real = allowedModelPath(path, s, this.opts.cliModel ?? null);
        this.requireIdle();
        this.loading = true;
        this.setActivity("loading");
        try {
          const a = s.attention;
          this.state.model = await this.engine.call("load", {
            path: real,
            ctx: s.ctx,
            threads: s.threads,
            attention: { attention: a.mode, sinks: a.sinks, window: a.window, topK: a.topK },
            cacheDir: this.opts.cacheDir,
            ramBudget: s.ramBudgetMB > 0 ? s.ramBudgetMB * 2 ** 20 : 0,
            cacheBudget: s.cacheBudgetGB > 0 ? Math.round(s.cacheBudgetGB * 2 ** 30) : 0,
          });
          this.state.crashed = null;
        } catch (e) {
          this.state.model = null;
          throw e;
        } finally {
          this.loading = false;
          this.state.docTokens.clear();
          this.state.engineDoc = null;
          lib.documents.resetCacheStates();
          for (const d of lib.documents.list()) this.emit("doc.updated", d);
          this.setActivity("idle");
        }
        this.emit("settings.updated", lib.settings.touchModel(real));
        return this.status();
      },
      "models.openDialog": this.opts.dialogs
        ? async () => {
            const p = await this.opts.dialogs!.openModel();
            if (!p) return null;
            this.emit("settings.updated", lib.settings.set({ recentModels: [p, ...settings().recentModels.filter((x) => x !== p)].slice(0, 10) }));
            return listModels(settings(), this.opts.cliModel ?? null).find((m) => m.path === p) ?? null;
          }
        : notSupported("A native file dialog"),

      "engine.status": () => this.status(),
      "stats.memory": () => this.memoryStats(),
      "stats.tokens": () => this.answers.liveTokenStats(),

      "library.list": () => lib.documents.list(),
      "library.import": ({ name, dataBase64, importId }) => this.bookImports.importBytes(name, Buffer.from(dataBase64, "base64"), importId),
      "library.cancelImport": ({ importId }) => ({ cancelled: this.bookImports.cancel(importId) }),
      "library.openDialog": this.opts.dialogs
        ? async () => this.bookImports.openChosen(await this.opts.dialogs!.openBooks())
        : notSupported("A native file dialog"),
      "library.remove": async ({ documentId }) => {
        const busyWithIt = () => {
          if (this.state.job?.documentId === documentId) throw new AppError("BUSY", "The engine is working on this book; stop it first.");
        };
        busyWithIt();
        // its KV store goes too (closed first when the engine holds it): no orphan gigabytes; but
        // not one another book records too (the same opening, cut to the context, is the same
        // store): it was deleted under that book, perhaps while the engine held it for it
        const saved = lib.documents.savedFile(documentId);
        const store = saved !== null && lib.documents.storeUsers(saved) <= 1 ? saved : null;
        if (store && this.state.engineDoc === documentId && this.state.model) {
          await this.engine.call("release", {});
          this.state.engineDoc = null;
          busyWithIt(); // a read or a question of it may have started while the engine let go of it
        }
        // and the store a read of it left part written (cancelled), which it does not record
        const partial = lib.documents.partialFile(documentId);
        const orphan = partial !== null && partial !== saved && lib.documents.storeUsers(partial) <= 1 ? partial : null;
        if (orphan && this.state.model) {
          await this.engine.call("release", { file: orphan }); // only when the engine still holds it
          busyWithIt();
        }
        const removed = lib.documents.remove(documentId);
        if (removed && store && this.state.engineDoc !== documentId) removeCache(store);
        if (removed && orphan && lib.documents.storeUsers(orphan) === 0) removeCache(orphan);
        this.state.docTokens.delete(documentId);
        if (removed && this.state.engineDoc === documentId) this.state.engineDoc = null; // a shared store the engine keeps
        if (removed) this.finder.forget(documentId);
        if (removed) this.emit("doc.removed", { documentId });
        return { removed };
      },
      "library.text": ({ documentId, start, end }) => {
        const d = this.requireDoc(documentId);
        const s = Math.min(start ?? 0, d.chars);
        const e = Math.min(end ?? d.chars, d.chars);
        if (e < s) throw new AppError("BAD_REQUEST", "end must not be before start");
        return { documentId, start: s, end: e, text: lib.documents.text(documentId, s, e) ?? "" };
      },
      "library.find": ({ documentId, query, limit }) => {
        const d = this.requireDoc(documentId);
        return this.finder.find(documentId, () => lib.documents.text(documentId, 0, d.chars) ?? "", query, limit);
      },
      "library.findAll": ({ query }) =>
        this.finder.findInBooks(
          lib.documents.list().map((d) => ({ documentId: d.id, text: () => lib.documents.text(d.id, 0, d.chars) ?? "" })),
          query,
        ),
      "library.read": ({ documentId, fresh }) => {
        this.requireDoc(documentId);
        this.requireModel();
        this.requireIdle();
        const jobId = randomUUID();
        void this.reads.run(jobId, documentId, fresh === true);
        return { jobId };
      },
      "library.cancel": async (p) => {
        if (!this.readsNamed(p)) return { cancelled: false };
        await this.cancelJob();
        return { cancelled: true };
      },

      "chat.list": ({ documentId }) => {
        this.requireDoc(documentId);
        return lib.conversations.list(documentId);
      },
      "chat.create": ({ documentId, systemPrompt }) => {
        this.requireDoc(documentId);
        return this.conversationChanged(lib.conversations.create(documentId, "New conversation", systemPrompt ?? settings().systemPrompt));
      },
      "chat.messages": ({ conversationId }) => {
        this.requireConversation(conversationId);
        // the database has a streaming answer's text as saved up to 250 ms ago; the flow has all of it
        return lib.conversations.messages(conversationId).map((m) => {
          const live = m.status === "streaming" ? this.answers.liveText(m.id) : undefined;
          return live === undefined ? m : { ...m, content: live };
        });
      },
      "chat.setSystemPrompt": ({ conversationId, systemPrompt }) => {
        this.requireConversation(conversationId);
        return this.conversationChanged(lib.conversations.update(conversationId, { systemPrompt })!);
      },
      "chat.rename": ({ conversationId, title }) => {
        this.requireConversation(conversationId);
        const t = title.replace(/\s+/g, " ").trim();
        if (!t) throw new AppError("BAD_REQUEST", "A conversation's title cannot be blank.");
        return this.conversationChanged(lib.conversations.update(conversationId, { title: t })!);
      },
      "chat.send": ({ conversationId, text, passage, replaceLast }) => this.answers.send(this.requireConversation(conversationId), text, passage, replaceLast),
      "chat.regenerate": ({ conversationId }) => this.answers.regenerate(this.requireConversation(conversationId)),
      "chat.stop": async ({ conversationId }) => {
        const job = this.state.job;
        if (!job || job.conversationId !== conversationId) return { stopped: false };
        await this.cancelJob();
        return { stopped: true };
      },
      "eval.run": (p) => {
        this.evals.check(p);
        this.requireIdle();
        const jobId = randomUUID();
        void this.evals.run(jobId, p);
        return { jobId };
      },
      "eval.cancel": async ({ jobId }) => {
        if (this.state.job?.id !== jobId || this.state.job.kind !== "eval") return { cancelled: false };
        await this.cancelJob();
        return { cancelled: true };
      },
      "chat.remove": ({ conversationId }) => {
        if (this.state.job?.conversationId === conversationId) throw new AppError("BUSY", "This conversation is being answered; stop it first.");
        const conv = lib.conversations.get(conversationId);
        const removed = lib.conversations.remove(conversationId);
        if (removed && conv) this.emit("chat.conversationRemoved", { conversationId, documentId: conv.documentId });
        return { removed };
      },
    };
  }

  /**
   * Whether library.cancel's params name the running read: its job, or its book while the engine
   * reads it (a read of its own, or the one an answer makes on its way).
   */
  private readsNamed(p: Params<"library.cancel">): boolean {
    const job = this.state.job;
    if (!job) return false;
    if ("jobId" in p) return job.id === p.jobId;
    return job.documentId === p.documentId && (job.kind === "read" || this.lib.documents.get(p.documentId)?.state === "reading");
  }

  /** Says to every page that a conversation is new or changed; returns it. */
  conversationChanged(c: ConversationInfo): ConversationInfo {
    this.emit("chat.conversation", c);
    return c;
  }

  requireConversation(id: number) {
    const c = this.lib.conversations.get(id);
    if (!c) throw new AppError("NOT_FOUND", `No conversation ${id}.`);
    return c;
  }
}

/** A models folder must be one that exists, named by an absolute path (a relative one would
 * depend on where tome was started); the field is named so the settings dialog can mark it. */
function checkModelsDir(dir: string) {
  let isDir: boolean;
  try {
    isDir = nodePath.isAbsolute(dir) && fs.statSync(dir).isDirectory();
  } catch {
    isDir = false; // missing, unreadable, or a path through a file
  }
  if (!isDir) throw new AppError("BAD_REQUEST", `params.modelsDir: must be an existing folder, named by its full path (got ${JSON.stringify(dir)})`);
}
