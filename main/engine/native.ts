// The typed face of tome_cpu.node. This module is the only place that loads the
// addon; everything else imports these types.
import * as path from "node:path";
import { devOverride } from "./packaged";
import * as fs from "node:fs";
import { createRequire } from "node:module";

export interface ModelInfo {
  arch: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  nVocab: number;
  nCtxTrain: number;
  nRot: number;
  ropeFreqBase: number;
  ropeFreqScale: number;
  rmsEps: number;
  /** Gemma 3's local layers attend the last slidingWindow positions (0: no such layers); every
   * slidingWindowPeriod-th layer is global, and only those have retrieval indexes. */
  slidingWindow: number;
  slidingWindowPeriod: number;
  /** SmolLM3: every noRopePeriod-th layer rotates nothing (0: every layer rotates). */
  noRopePeriod: number;
  /** Ministral 3: past each attnTempFloor positions, queries are scaled by 1 + attnTempScale *
   * ln(floor(pos / attnTempFloor) + 1) (attnTempScale 0: never). */
  attnTempScale: number;
  attnTempFloor: number;
  /** A mixture of experts (nExpert 0: a dense FFN): each token's FFN is its nExpertUsed best
   * experts of nExpert, each nFfExpert wide. */
  nExpert: number;
  nExpertUsed: number;
  nFfExpert: number;
  /** An always-on expert beside the routed ones, this wide (0: none); and the leading layers
   * whose FFN is dense (ERNIE 4.5 MoE). */
  nFfSharedExpert: number;
  nDenseLead: number;
  weightBytes: number;
  /** Of weightBytes, the matrices copied at load with their rows interleaved for the decode's
   * kernels (Q4_0, IQ4_NL, MXFP4 on AVX2 CPUs, within half the memory then available); the
   * rest read the file's mapping. */
  interleavedBytes: number;
  tiedOutput: boolean;
  tokenizer: { kind: "spm" | "bpe"; pre: string; bos: number; eos: number; addBos: boolean; addEos: boolean };
}

export interface NativeModel {
  info(): ModelInfo;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  tokenToPiece(id: number, renderSpecial: boolean): Buffer;
  isEog(id: number): boolean;
}

/** A tokenizer alone (vocab-only GGUFs have no weights). */
export interface NativeTokenizer {
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  tokenToPiece(id: number, renderSpecial: boolean): Buffer;
  isEog(id: number): boolean;
  nVocab(): number;
}

export type AttentionMode = "full" | "retrieval" | "streaming" | "flat" | "ivf";

/** How the query heads of a GQA group search their shared index (see README: retrieval). */
export type GroupSearch = "union" | "mean" | "joint";

export interface RetrievalOptions {
  attention?: AttentionMode;
  sinks?: number;
  window?: number;
  topK?: number;
  ef?: number;
  nprobe?: number;
  degree?: number;
  querySample?: number;
  /** Indexes with fewer keys are searched by an exact scan (below the crossover it is cheaper); 0 (default): never. */
  exactBelow?: number;
  /** Contexts whose index would hold fewer keys stay on full attention, no index built; past it the index is
   *  built at the next evaluation of several tokens, buildIndex() or an answer's first token, never at a decoded
   *  token after another (mid-answer). 0 (default): an index once the context passes sinks + window + 256 keys. */
  fullBelow?: number;
  /** GQA: search per query head ("union"), once with the group's mean query ("mean"), or all heads in one traversal ("joint"). */
  group?: GroupSearch;
  /** The live quality monitor runs every N steps (0: off; default 16) ... */
  monitorEvery?: number;
  /** ... over this many (layer, KV head) pairs, rotating (default 4). */
  monitorHeads?: number;
  /** A monitored layer capturing less softmax mass than this, in [0, 1] (0, the default: never), doubles the
   * search beam (graph ef, ivf nprobe) for the rest of its step and the next monitorEvery steps. */
  widenBelow?: number;
  /** "llama": llama.cpp's numerics, bit for bit (default); "exact": f32 throughout. */
  numerics?: "llama" | "exact";
}

/**
 * The exact-scan threshold the app and `tome run` use (SessionOptions.exactBelow):
 * an index below this many keys is answered by one exact scan per KV group, the
 * same top-k as flat. With DEFAULT_FULL_BELOW (the same count) a fresh index is
 * never that small; the scan serves an index restored from a store built at an
 * earlier threshold. Measured on the Zen 5 development VM (2026-12-05, smol shape,
 * synthetic KV, blocks of 16 steps in turns, ms per token, scan / graph): 25.5 /
 * 26.5 at 8K tokens, 32.5 / 32.5 at 12K, 31.9 / 29.9 and 35.8 / 33.6 at 16K (two
 * runs): a crossover near 12K. On the VM before it (2026-12-02) the two were equal
 * from 16K to 18K, the graph 9% faster at 20K, and the threshold was 20480.
 * Machines with more cores run more graph searches at once (a scan is bound by
 * memory bandwidth instead), so theirs is lower.
 */
export const DEFAULT_EXACT_BELOW = 12288;

/**
 * The full-attention threshold the app and `tome run` use (SessionOptions.fullBelow): a
 * context whose index would hold fewer keys stays on full attention, builds no index and
 * keeps its queries, so a short book decodes exactly, with no index build after its read,
 * and its answers still report the positions they weighed (highlights). Measured on the
 * Zen 5 development VM (2026-12-05, smol shape, synthetic KV, 6 blocks of 16 steps in
 * turns, ms per token, full / graph): 23.0 / 26.5 at 8K tokens, 29.1 / 27.9 at 12K,
 * 35.7 / 29.1 at 16K, 42.0 / 28.3 at 20K (index builds 7.8, 10.3, 13.7, 20.4 s): a
 * crossover near 11K; on the 1b shape (`tome bench decode`, session 44) full attention
 * is still as cheap at 16K (74.7 / 75.3). Hence 12K keys: at most a few % per token
 * more than the graph on the smaller shape, for exact attention and no build.
 */
export const DEFAULT_FULL_BELOW = 12288;

export interface SessionOptions extends RetrievalOptions {
  ctx?: number;
  threads?: number;
  batch?: number;
  /**
   * RAM budget of the host tier (retrieval indexes + K/V rows, the static set's included), in
   * force while decoding sparsely with a KV store attached: bytes, or a fraction of the
   * unlimited host tier. Rows beyond it are read back from the store on demand.
   */
  ramBudget?: number;
  ramBudgetFrac?: number;
  /** Which units go first under a budget: "lfu" (default, measured better) or "lru". */
  eviction?: "lru" | "lfu";
}

/** The RAM budget's state; zeros while none is in force. */
export interface Residency {
  /** Rows needed that were in RAM (in place or in the row cache). */
  hits: number;
  /** Rows read back: from the spill file (rowsFromSpill) or their store block. */
  rowsRead: number;
  rowsFromSpill: number;
  /** Store blocks read on demand. */
  storeReads: number;
  /** Cached rows dropped for others, and units (32 rows at head dim 64) released from the KV cache. */
  evictions: number;
  unitsReleased: number;
  residentBytes: number;
  /** The indexes and the residency's own tables: the floor of any budget. */
  indexBytes: number;
  budgetBytes: number;
  /** Most of indexBytes + residentBytes seen at once. */
  peakBytes: number;
  /** Units written to the spill file, and the bytes it holds (disk / page cache, not RAM). */
  spillWrites: number;
  spillBytes: number;
  /** Graph indexes paged out (keys and adjacency as records in a file beside the store, cached by use). */
  indexesPaged: boolean;
  /** Bytes their record caches hold now (part of indexBytes). */
  indexCacheBytes: number;
  /** Records served from those caches, read from the file, written back when changed, dropped for others. */
  indexHits: number;
  indexReads: number;
  indexWritebacks: number;
  indexEvictions: number;
  /** Bytes of records in the files (disk / page cache, not RAM). */
  indexSpillBytes: number;
  /** Under a tighter budget their int8 navigation codes paged too (a row per record, cached by use; in indexCacheBytes). */
  codesPaged: boolean;
  /** Code rows served from those caches, and read from the file. */
  codeHits: number;
  codeReads: number;
}

/** What the last eval() did. Times in ms summed over layers (and tokens). */
export interface StepStats {
  tokens: number;
  mode: AttentionMode;
  /** The static set the session runs with: the sinks and window asked for, or those of the
   * document's store, which a session of the same mode adopts (with its graph degree and
   * query sample) instead of reading the document again. */
  sinks: number;
  window: number;
  sparse: boolean;
  ms: {
    matmul: number;
    fullAttention: number;
    staticAttention: number;
    search: number;
    retrievedAttention: number;
    merge: number;
    other: number;
    indexBuild: number;
    indexInsert: number;
    /** the live quality monitor's exact scans (every monitorEvery steps) */
    monitor: number;
  };
  keysScanned: number;
  keysIndexed: number;
  keysScannedFrac: number;
  keysRetrieved: number;
  topK: number;
  widened: boolean;
  recall?: number;
  massCaptured?: number;
  positions: Int32Array;
  weights: Float32Array;
  indexBytes: number;
}

export interface PhaseTimes {
  matmulMs: number;
  attentionMs: number;
  otherMs: number;
}

/** The durable KV store a session is bound to (one SQLite file per document). */
export interface StoreInfo {
  path: string;
  /** Positions committed to the store. */
  nTokens: number;
  /** Context length when the stored retrieval indexes were built; -1: none. */
  indexBuiltAt: number;
  indexComplete: boolean;
  /** Sliding-window layers' rows below this position are not stored (sealPrefix); 0: all are. */
  droppedBelow: number;
}

/** What a KV store must match to serve a session. */
export interface StoreIdentity {
  modelFp: string;
  tokenizerFp: string;
  settings: string;
}

/** A store's meta table, read without checking its identity (`tome cache list`). */
export type StoreMeta = Record<string, string>;

/**
 * One context. Calls returning a promise run on a worker thread; until it settles every other
 * call but cancel(), nCtx() and threads() fails with BUSY (the worker writes what they read).
 * Calls returning a promise never throw: a bad argument, BUSY or CLOSED rejects it; the
 * others throw.
 */
export interface NativeSession {
  eval(tokens: Int32Array, allLogits?: boolean): Promise<Float32Array>;
  /**
   * eval(tokens) with the last position's logits written into `out` (nVocab floats), resolved
   * with it. A decode loop that passes one array every step allocates nothing a step (a new
   * array of nVocab floats mostly came on fresh pages: ~0.2 ms of an 8 ms smol step on a VM). A
   * wrong type or length rejects before anything runs; an `out` detached while the call runs
   * rejects after the tokens were evaluated.
   */
  evalInto(tokens: Int32Array, out: Float32Array): Promise<Float32Array>;
  /** eval() of a part of a document: never builds the retrieval index first. */
  prefill(tokens: Int32Array): Promise<Float32Array>;
  /**
   * The rest of a document, then its retrieval index (prefill() + buildIndex(), bit-identical):
   * layer-major with a KV store attached (each layer's K/V streamed to the store and, under a
   * RAM budget, released; the tokens committed once every layer is stored).
   * opts.onProgress(done, total, ramBytes): per (layer, chunk), in token-layer units (total =
   * tokens x layers), rising, the last one done === total, all before the promise settles; one
   * that throws cancels the call, which rejects with what it threw. ramBytes: the RAM the host
   * tier (K/V rows, indexes, prefill queries) holds, measured by the call at its first and last report and at
   * most every 250 ms between (the session's getters answer BUSY while it runs).
   * cancel() stops it between two chunks: it rejects with code CANCELLED and leaves the session
   * and its store as they were before it (run it again to continue).
   */
  prefillDocument(
    tokens: Int32Array,
    opts?: { onProgress?: (done: number, total: number, ramBytes: number) => void },
  ): Promise<Float32Array>;
  /** Cancels the prefillDocument() in flight (between two chunks); false when none runs. */
  cancel(): boolean;
  /**
   * Builds the retrieval index now when the context is long enough; resolves with ms spent.
   * onProgress hears (layers built, layers to build) before each indexed layer's build and
   * once at its end (nothing when there is nothing to build); layers whose indexes a reopened
   * store restored (a build cut short) are not counted, as they take no time.
   */
  buildIndex(opts?: { onProgress?: (done: number, total: number) => void }): Promise<number>;
  /** The context's token ids. */
  tokens(): Int32Array;
  /**
   * Binds the KV store at path (created when absent) to this empty session and restores
   * what it holds: tokens, K/V, queries, indexes. Resolves with the positions restored.
   * Rejects STORE_MISMATCH (another model, tokenizer or settings), STORE_CORRUPT,
   * STORE_READONLY, STORE_FULL, STORE_BUSY, STORE_IO.
   */
  attachStore(path: string, labels?: Record<string, string>): Promise<number>;
  /** Commits positions not yet in the store (a turn's decoded tokens). */
  flushStore(): Promise<void>;
  storeInfo(): StoreInfo | null;
  storeIdentity(): StoreIdentity;
  residency(): Residency;
  /** Rejects PREFIX_SEALED for a 0 < n whose window needs sliding-window rows a seal let the store drop. */
  truncate(n: number): void;
  /**
   * Positions [0, n) are final (the document): gemma3's sliding-window layers' rows that no
   * window from n on reads are deleted from the bound store as they are committed, so a
   * Gemma 3 book's store holds about a sixth of its K/V. A later truncate to 0 < m that would
   * need them rejects PREFIX_SEALED. Nothing is dropped without a store or sliding-window layers.
   * In retrieval mode, before a read, it also sizes the prefill's query sample to about what the
   * indexes over n positions are built from (a 128K read on an 8B model keeps ~30% of it).
   */
  sealPrefix(n: number): void;
  nPast(): number;
  nCtx(): number;
  kvBytes(): number;
  /**
   * RAM the host tier holds now: the KV cache's pages in RAM (mincore, ~1 ms at 128K tokens of
   * the smol shape: for a stats request, not every step), the retrieval indexes and the prefill
   * queries held for an index still to be built (none once a KV store holds them). Gemma 3's
   * local layers keep only their window's rows once a KV store holds the rest.
   */
  hostRamBytes(): number;
  /**
   * Whether decode steps now search the retrieval indexes: false in a dense mode, and in a
   * sparse mode still on full attention (no index yet: fullBelow, or a context inside the
   * static set), where no static set is split off and every key is attended in RAM.
   */
  sparseActive(): boolean;
  /**
   * Whether buildIndex() would build now: a sparse mode with no index yet whose context has
   * outgrown the static set and fullBelow (a short book's conversation that grew long).
   */
  buildDue(): boolean;
  threads(): number;
  times(): PhaseTimes;
  resetTimes(): void;
  lastStats(): StepStats;
  /** Keys (nPast, dim) of one (layer, KV head) and the prefill queries captured for its index. */
  exportQK(layer: number, kvHead: number): { keys: Float32Array; queries: Float32Array; dim: number };
  /** Grows the context to n positions with a synthetic KV cache (benchmarks). */
  fillSynthetic(n: number, seed: number): void;
  /** Frees the KV cache and indexes now; later calls fail with CLOSED. */
  close(): void;
}

export interface SamplerOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  repeatLastN?: number;
  seed?: number;
}

export interface NativeSampler {
  sample(logits: Float32Array): number;
  accept(token: number): void;
}

export type GgufScalar = number | string | boolean;
export interface GgufArraySummary {
  type: "array";
  elementType: string;
  length: number;
  head: GgufScalar[];
}
export interface GgufTensorSummary {
  name: string;
  type: string;
  supported: boolean;
  shape: number[];
  bytes: number;
}
export interface GgufSummary {
  version: number;
  fileSize: number;
  alignment: number;
  dataOffset: number;
  metadata: Record<string, GgufScalar | GgufArraySummary>;
  tensors: GgufTensorSummary[];
}

export interface SyntheticModelOptions {
  arch: SyntheticArch;
  shape: string;
  type: string;
  vocab: string;
  out: string;
  seed: number;
  /** > 0: YaRN scaling by this factor, in [1, 64] (rope.scaling.type yarn). */
  yarnFactor?: number;
  /** phi3 and minicpm: LongRoPE factors and attn_factor, original context 256 (rope.scaling.type longrope). */
  longrope?: boolean;
  /** A mixture of experts: qwen3moe always (0: 8 experts), llama when > 0 (Mixtral); in [0, 256]. */
  experts?: number;
  /** Experts a token uses (0: 2). */
  expertsUsed?: number;
  /** granitemoe: an always-on shared expert (Granite MoE Shared); ernie4_5-moe always has one. */
  sharedExpert?: boolean;
  /** > 0: this many layers instead of the shape's, in [0, 256]. */
  layers?: number;
}

export type SyntheticArch = "llama" | "qwen2" | "qwen3" | "phi3" | "gemma3" | "qwen3moe" | "smollm3" | "mistral3" | "granite" | "ernie4_5" | "chatglm" | "exaone4" | "cohere2" | "internlm2" | "hunyuan-dense" | "granitemoe" | "olmo2" | "ernie4_5-moe" | "arcee" | "glm4" | "exaone" | "seed_oss" | "minicpm" | "phimoe" | "gpt-oss" | "qwen2moe";

export type GgufEntry =
  | { key: string; type: "string"; value: string }
  | { key: string; type: "u32" | "i32" | "f32"; value: number }
  | { key: string; type: "bool"; value: boolean }
  | { key: string; type: "string[]"; value: string[] }
  | { key: string; type: "i32[]" | "f32[]"; value: number[] };

export interface TomeAddon {
  writeGguf(entries: GgufEntry[], path: string): void;
  Model: new (path: string) => NativeModel;
  Tokenizer: new (path: string) => NativeTokenizer;
  Session: new (model: NativeModel, options?: SessionOptions) => NativeSession;
  Sampler: new (options?: SamplerOptions) => NativeSampler;
  inspectGguf(path: string): GgufSummary;
  inspectStore(path: string): StoreMeta;
  /** Deletes a KV store and SQLite's files beside it unless a session holds it, decided under its lock. */
  removeStoreIfUnused(path: string): "removed" | "in_use" | "absent";
  writeSyntheticModel(options: SyntheticModelOptions): Promise<void>;
  /** The CPU's features as the kernels see them (after TOME_CPU_CAP); simd: the SIMD kernels are in force. */
  cpuFeatures(): {
    avx2: boolean;
    fma: boolean;
    f16c: boolean;
    avx512: boolean;
    avx512vnni: boolean;
    avxvnni: boolean;
    simd: boolean;
  };
  setForceScalar(force: boolean): void;
}

/** Native errors carry a stable code (GGUF_TRUNCATED, CTX_FULL, ...). */
export interface TomeNativeError extends Error {
  code: string;
}

export function isTomeError(e: unknown): e is TomeNativeError {
  return e instanceof Error && typeof (e as TomeNativeError).code === "string";
}

let cached: TomeAddon | undefined;

/** The package root: the nearest folder above this module whose package.json is tome's
 * (build/main/engine when compiled, main/engine under the test runner). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "tome") return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find tome's package.json above ${__dirname}`);
    dir = up;
  }
}

export function addonPath(): string {
  const candidates = [
    devOverride("TOME_ADDON"),
    path.join(packageRoot(), "build", "native", "Release", "tome_cpu.node"),
    path.join(packageRoot(), "build", "native", "tome_cpu.node"),
  ].filter((p): p is string => !!p);
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw Object.assign(new Error(`tome_cpu.node not found (looked in ${candidates.join(", ")}); run npm install`), {
    code: "ADDON_MISSING",
  });
}

export function loadAddon(): TomeAddon {
  if (!cached) cached = createRequire(path.join(packageRoot(), "package.json"))(addonPath()) as TomeAddon;
  return cached;
}
