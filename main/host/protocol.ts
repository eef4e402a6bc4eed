// Messages between the app core (main process / tome serve) and the engine host
// process (./worker.ts). The engine host owns the native addon: model, session,
// and the token sequence whose KV the session holds. Typed arrays cross as
// structured clones (fork with serialization "advanced", or Electron's
// utilityProcess MessagePort).
import type { GgufSummary, ModelInfo, SamplerOptions } from "../engine/native";
import type { EvalOptions, EvalProgress, EvalResult, EvalRow } from "../eval/types";
import type { StopReason } from "../ipc/contract";

export interface StepStats {
  ms: { matmul: number; attention: number; other: number };
  positions?: Int32Array;
  weights?: Float32Array;
  keysScanned?: number;
  keysTotal?: number;
  massCaptured?: number;
  recall?: number;
}

export interface LoadedModel {
  path: string;
  info: ModelInfo;
  nCtx: number;
  chatTemplate: string | null;
  bosToken: string;
  eosToken: string;
  /** Whether the session reports per-step retrieval stats (NativeSession.stepStats). */
  stepStats: boolean;
}

export interface EngineOps {
  inspect: { req: { path: string }; res: { summary: GgufSummary } };
  load: {
    req: {
      path: string;
      ctx: number;
      threads: number;
      /** fullBelow: the host's DEFAULT_FULL_BELOW unless given (0: index every context past the static set). */
      attention?: { attention: "full" | "retrieval"; sinks: number; window: number; topK: number; fullBelow?: number };
      /** Folder of the documents' KV stores (engine/kv-cache.ts); none: nothing is kept between sessions. */
      cacheDir?: string;
      /** RAM budget of the host tier in bytes (0: none); see NativeSession's ramBudget. */
      ramBudget?: number;
      /** Disk budget of cacheDir in bytes (0: none): after a document is read, least recently used stores go. */
      cacheBudget?: number;
    };
    res: LoadedModel;
  };
  /** Tokenizes segments apart: special tokens parsed only where `special`; BOS on the first when addBos. */
  tokenize: { req: { segments: { text: string; special: boolean }[]; addBos: boolean }; res: { tokens: Int32Array; bounds: Int32Array } };
  /** A document's tokens (no BOS, no special parsing) and each token's char start. */
  docTokens: { req: { text: string }; res: { tokens: Int32Array; starts: Int32Array } };
  /**
   * Makes the session hold exactly `tokens` (reusing the common prefix). Progress events.
   * tokens[0, docEnd) is the document's prompt prefix: with a cache folder it is kept in the
   * document's KV store (restored instead of prefilled, resumed when interrupted) and the
   * retrieval index is built over it. `cache` says where it came from ("restored N", with
   * "; kept sinks S window W" when the store's static set was kept over the settings') or why
   * there is none ("off: why");
   * `cacheFile` is the store, when the document has one; `cacheRemoved` counts the other stores
   * the disk budget removed (least recently used first).
   */
  prefill: {
    req: { jobId: string; tokens: Int32Array; docEnd?: number };
    /** layerMajor: the document part was read in one layer-major call (under a RAM budget, with a store). */
    res: { reused: number; evaluated: number; ms: number; layerMajor?: boolean; cache?: string; cacheFile?: string; cacheRemoved?: number };
  };
  /** Prefill, then sample up to maxTokens. Token events; attention over [docStart, docEnd) summed. */
  generate: {
    req: { jobId: string; tokens: Int32Array; maxTokens: number; sampler: SamplerOptions; docStart: number; docEnd: number };
    res: {
      tokens: number;
      text: string;
      stoppedBy: StopReason;
      reused: number;
      prefillMs: number;
      decodeMs: number;
      /** The document's KV store, why there is none, and the stores the disk budget removed (as prefill's). */
      cache?: string;
      cacheFile?: string;
      cacheRemoved?: number;
      /** Top document positions by summed attention weight (relative to docStart). */
      attended: { positions: Int32Array; weights: Float32Array } | null;
    };
  };
  /** tome eval on the loaded model (sessions of its own; the chat session's KV is kept). Eval events per row. */
  eval: { req: { jobId: string; options: EvalOptions }; res: EvalResult };
  cancel: { req: { jobId: string }; res: { cancelled: boolean } };
  /**
   * Forgets the document the session is bound to (its KV store closed, the context emptied); false
   * when none. With `file`, only when the store bound is that one.
   */
  release: { req: { file?: string }; res: { released: boolean } };
  /**
   * Memory: kvBytes reserved for the context; the tiers of what it holds now: device (the
   * static set: sinks + window, on the CPU backend kept in RAM too), host (the rest in RAM,
   * indexes included; what a RAM budget caps), disk (the document's KV store file).
   */
  stats: {
    req: Record<string, never>;
    res: { rssBytes: number; kvBytes: number; nPast: number; nCtx: number; tiers: { deviceBytes: number; hostBytes: number; diskBytes: number } };
  };
}

export type EngineOp = keyof EngineOps;

export type EngineRequest = { [K in EngineOp]: { id: number; op: K; args: EngineOps[K]["req"] } }[EngineOp];

export type EngineEvent =
  /**
   * Prefill progress in tokens; phase "index": the retrieval index build after the document (done
   * 0 or 1 of 1). etaMs: the prefill's time left by its work (PrefillEta), null before it can tell.
   */
  | { event: "progress"; jobId: string; done: number; total: number; ms: number; phase?: "prefill" | "index"; etaMs?: number | null }
  | {
      event: "token";
      jobId: string;
      index: number;
      text: string;
      ms: number;
      phase: { matmul: number; attention: number; other: number };
      /** whole: the step attended every key (a sparse mode still on full attention, no index yet). */
      retrieval: { keysScanned: number; keysTotal: number; massCaptured: number | null; recall: number | null; whole: boolean } | null;
    }
  | { event: "eval"; jobId: string; progress: EvalProgress; row: EvalRow }
  /**
   * The document's KV store a prefill bound, before it fills it: a prefill that stops (cancelled,
   * failed) leaves it partly written, and whoever removes the document removes it too.
   */
  | { event: "store"; jobId: string; file: string };

export type EngineReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };

export type FromEngine = EngineReply | EngineEvent | { ready: true };
