// The one contract between the UI and the app core, declared once.
// Main implements it (main/app/core.ts); the renderer imports its TYPES only and
// reaches it through one of two transports: window.tome (Electron preload) or a
// WebSocket (tome serve). Every incoming request is validated in main
// (main/ipc/validate.ts) before anything runs.
//
// Wire shapes (both transports):
//   request   { id: number, method: Method, params: Params<M> }
//   response  { id, result: Result<M> } | { id, error: ContractError }  (id null: unreadable request)
//   event     { event: EventName, data: EventData<E> }   (main pushes; never answered)

import type { EvalMode, EvalProgress, EvalResult, EvalRow, TaskName } from "../eval/types";
export type { EvalMode, EvalProgress, EvalResult, EvalRow, TaskName } from "../eval/types";

// ---- errors ------------------------------------------------------------------

export type ErrorCode =
  | "BAD_REQUEST" // malformed message or params (validation failed)
  | "UNAUTHORIZED" // wrong or missing access token (serve)
  | "NOT_FOUND"
  | "NOT_SUPPORTED" // e.g. a native dialog in browser mode
  | "TOO_LARGE" // file over the import limit
  | "BAD_NAME" // file name with a path, traversal or control characters
  | "UNSUPPORTED_FORMAT"
  | "CORRUPT_FILE"
  | "ENCRYPTED"
  | "EMPTY_FILE"
  | "NO_MODEL" // nothing loaded yet
  | "MODEL_ERROR" // the engine refused the model file
  | "BUSY" // the engine is already reading or answering
  | "CANCELLED"
  | "CTX_FULL"
  | "ENGINE_CRASHED"
  | "DISK_FULL" // the library or a file could not be written: no space left
  | "STORAGE_ERROR" // the library or a file could not be read or written (read-only, I/O error, damaged)
  | "INTERNAL";

export interface ContractError {
  code: ErrorCode;
  message: string;
}

// ---- library -----------------------------------------------------------------

export type DocFormat = "txt" | "md" | "epub" | "pdf" | "html" | "docx" | "odt" | "fb2" | "rtf" | "mobi" | "doc";

/** Cache state of a document for the loaded model: "new" = never read (or the KV
 * is gone after a restart / model change), "reading" = tokenize + prefill running,
 * "ready" = its KV is in the engine and questions start at once. */
export type DocState = "new" | "reading" | "ready" | "error";

/** A chapter: title and its start in the document's plain text (UTF-16 offsets). */
export interface Chapter {
  title: string;
  start: number;
}

export interface DocumentInfo {
  id: number;
  title: string;
  author: string | null;
  sourceName: string; // the file name as dropped (base name only)
  format: DocFormat;
  sizeBytes: number;
  chars: number; // plain-text length (UTF-16 code units)
  chapters: Chapter[];
  boilerplateSkipped: boolean; // Project Gutenberg header/licence removed
  tokens: number | null; // whole book, in the loaded model's tokens (after a read)
  tokensUsed: number | null; // how many of them fit in the context (the rest is cut)
  charsUsed: number | null; // the text offset where the used part ends
  state: DocState;
  error: string | null;
  createdAt: number; // ms since epoch
  /** The model whose KV store of this book is on disk (state "new" then opens in seconds), or null. */
  savedFor: string | null;
  /** How many of the book's tokens that saved read holds (null: not saved, or saved before this was recorded). */
  savedTokens: number | null;
}

export interface TextSlice {
  documentId: number;
  start: number;
  end: number;
  text: string;
}

// ---- conversations -----------------------------------------------------------

export type Role = "user" | "assistant";
export type MessageStatus = "done" | "streaming" | "stopped" | "error" | "interrupted";

/** A place the book holds a phrase: its range in the text, and the text around it. */
export interface FindMatch {
  start: number;
  end: number;
  /** A few words before the match (white space as single spaces; "…" where cut), the match, a few words after. */
  before: string;
  match: string;
  after: string;
}

export interface FindResult {
  documentId: number;
  query: string;
  /** The first matches, in the book's order. */
  matches: FindMatch[];
  /** How many there are in all (counted up to FIND_COUNT_CAP; `capped` past it). */
  total: number;
  capped: boolean;
}

/** What the desktop menu asks the window to do (a "ui.command" event). */
export type UiCommand = "settings" | "about" | "openModel" | "find" | "searchAll";

/** A book's matches of a phrase looked up in every book: how many, and the first in context. */
export interface BookMatches {
  documentId: number;
  total: number;
  capped: boolean;
  first: FindMatch;
}

/** The books holding a phrase (none listed that holds none), those with the most matches first. */
export interface LibraryFindResult {
  query: string;
  books: BookMatches[];
}

/** A passage the model attended to: character range in the document, summed weight. */
export interface Highlight {
  start: number;
  end: number;
  weight: number;
  text: string;
}

/** Why an answer ended: the model's end of generation, the answer limit (maxTokens), the
 *  end of the context before that limit, or Stop. */
export type StopReason = "eog" | "length" | "context" | "abort";

export interface AnswerStats {
  promptTokens: number;
  reusedTokens: number; // prompt tokens whose KV was already in the engine
  tokens: number; // generated
  prefillMs: number;
  decodeMs: number;
  tokensPerSec: number;
  stoppedBy: StopReason | "error";
}

/** A part of the book a question is about (chosen in the reader): character range and its text. */
export interface QuotedPassage {
  start: number;
  end: number;
  text: string;
}

export interface MessageInfo {
  id: number;
  conversationId: number;
  role: Role;
  content: string;
  status: MessageStatus;
  createdAt: number;
  stats: AnswerStats | null;
  highlights: Highlight[];
  /** A question's passage of the book, quoted to the model before the question; null for answers. */
  passage: QuotedPassage | null;
}

export interface ConversationInfo {
  id: number;
  documentId: number;
  title: string;
  systemPrompt: string;
  createdAt: number;
  updatedAt: number;
}

// ---- models and engine -------------------------------------------------------

export interface ModelEntry {
  path: string; // absolute path on the machine running the engine
  name: string; // file name
  sizeBytes: number;
  source: "models-dir" | "recent" | "cli";
}

export interface MemoryNeed {
  ctx: number;
  weightBytes: number;
  kvBytes: number; // full attention: the whole KV on the device (in RAM beside the book's KV store: Gemma 3's local layers hold their window)
  totalBytes: number;
  /**
   * RetrievalAttention: only sinks + window (+ retrieved top-k) stay on the device; the host
   * holds the rest of the K/V and the graph indexes, and while a book is read (until its
   * indexes are built) the prefill's sampled queries.
   */
  retrieval: { deviceKvBytes: number; hostKvBytes: number; totalDeviceBytes: number; indexBytes: number; readQueryBytes: number };
}

export interface ModelDetails {
  path: string;
  name: string;
  sizeBytes: number;
  arch: string;
  contextLength: number | null;
  hasChatTemplate: boolean;
  /** Scalar metadata worth showing (general.*, <arch>.*, tokenizer model). */
  metadata: Record<string, string | number | boolean>;
  memory: MemoryNeed | null;
  /** Set when the choice would not fit the RAM budget (or the machine). */
  warning: string | null;
}

export type EngineActivity = "idle" | "loading" | "reading" | "answering" | "evaluating";

/** The job the engine runs (one at a time), so a page loaded while it runs can follow and cancel it. */
export interface RunningJob {
  id: string;
  kind: "read" | "answer" | "eval";
  /** The book it reads or answers about (null: an evaluation). */
  documentId: number | null;
  conversationId: number | null;
  /** A cancel (or Stop) was taken; the job ends at the engine's next check (a book's
   *  tokenizing cannot be interrupted: the read stops when it returns). */
  cancelling: boolean;
  /** An evaluation's figures so far: a page loaded mid-run shows all of its rows. */
  eval: { progress: EvalProgress | null; rows: EvalRow[] } | null;
}

export interface EngineStatus {
  model: { path: string; name: string; ctx: number; nCtxTrain: number; hasChatTemplate: boolean } | null;
  backend: "cpu" | "cuda";
  gpu: { name: string; usedBytes: number; totalBytes: number } | null; // null: no GPU, CPU backend
  activity: EngineActivity;
  /** Set after the engine process died; the next request restarts it. */
  crashed: string | null;
  /** Whether the engine reports per-step retrieval stats (positions for highlights). */
  stepStats: boolean;
  /** What the engine is busy with (null while idle or loading a model). */
  job: RunningJob | null;
}

// ---- settings ----------------------------------------------------------------

export type AttentionMode = "full" | "retrieval";

export interface Settings {
  threads: number; // 0 = all cores
  ctx: number; // context length asked of the engine (capped by the model's)
  attention: { mode: AttentionMode; sinks: number; window: number; topK: number };
  ramBudgetMB: number; // 0 = no budget (warn against the machine's total only)
  cacheBudgetGB: number; // disk for the books' KV caches; least recently used go first; 0 = no limit
  gpu: boolean;
  modelsDir: string;
  systemPrompt: string;
  temperature: number;
  maxTokens: number;
  skipBoilerplate: boolean;
  recentModels: string[];
  lastModel: string | null;
}

/** What settings.set accepts: any subset of the editable fields. */
export type SettingsPatch = Partial<Omit<Settings, "recentModels" | "lastModel">>;

// ---- app and stats -----------------------------------------------------------

export interface AppInfo {
  version: string;
  mode: "desktop" | "browser";
  platform: string;
  dataDir: string;
  maxImportBytes: number;
}

export interface MemoryStats {
  rssMainBytes: number;
  rssEngineBytes: number | null;
  kv: { deviceBytes: number; hostBytes: number; diskBytes: number };
  gpu: { name: string; usedBytes: number; totalBytes: number } | null;
  nPast: number;
  nCtx: number;
  /** The book whose context the engine holds (null: none, or not a book's). */
  documentId: number | null;
}

/** Per-token timing by phase (ms) and retrieval numbers when the engine has them. */
export interface TokenStats {
  messageId: number;
  /** The book the answer is about: its figures are shown while that book is selected. */
  documentId: number;
  index: number; // 0-based token index within the answer
  totalMs: number;
  phaseMs: { matmul: number; attention: number; other: number };
  retrieval: {
    keysScanned: number;
    keysTotal: number;
    topK: number;
    massCaptured: number | null;
    recall: number | null;
    /** Every key was scored: a context this short is attended whole (`whole`: full attention, before
     *  it is long enough for an index) or its index scanned whole (the exact top-k), either cheaper
     *  than a search there; the scanned share then says nothing about retrieval. */
    exact: boolean;
    /** Every key was attended (full attention): no top-k applies. */
    whole: boolean;
  } | null;
  tokensPerSec: number; // running rate over the answer so far
}

export type ReadPhase = "tokenize" | "prefill" | "index";

export interface ReadProgress {
  documentId: number;
  jobId: string;
  phase: ReadPhase;
  done: number; // tokens
  total: number;
  tokensPerSec: number;
  etaMs: number | null;
}

// ---- evaluation (tome eval on the loaded model) -----------------------------

/** A chosen subset of tome eval's grid; the haystack is RULER's noise. */
export interface EvalRunParams {
  tasks: TaskName[];
  lengths: number[]; // tokens
  depths: number[]; // percent
  modes: EvalMode[];
  samples: number;
  sinks?: number;
  window?: number;
  topK?: number;
  seed?: number;
  /** Allow lengths above the model's trained context (rows are marked). */
  beyondTrained?: boolean;
}

// ---- requests: method -> params, result ------------------------------------

export interface Requests {
  "app.info": { params: Record<string, never>; result: AppInfo };
  "settings.get": { params: Record<string, never>; result: Settings };
  "settings.set": { params: SettingsPatch; result: Settings };

  "models.list": { params: Record<string, never>; result: ModelEntry[] };
  "models.inspect": { params: { path: string }; result: ModelDetails };
  "models.load": { params: { path: string }; result: EngineStatus };
  /** Desktop: native open dialog for a .gguf (added to recent models). Browser: NOT_SUPPORTED. */
  "models.openDialog": { params: Record<string, never>; result: ModelEntry | null };

  "engine.status": { params: Record<string, never>; result: EngineStatus };
  "stats.memory": { params: Record<string, never>; result: MemoryStats };
  /** The running answer's per-token stats so far ([] when none runs): a page loaded mid-answer draws them whole. */
  "stats.tokens": { params: Record<string, never>; result: TokenStats[] };

  "library.list": { params: Record<string, never>; result: DocumentInfo[] };
  /** A dropped or chosen file: its base name and bytes (base64). */
  /** importId: the page's name for this import, for library.cancelImport. */
  "library.import": { params: { name: string; dataBase64: string; importId?: string }; result: DocumentInfo };
  /** Stops an import being read (CANCELLED); false once the book is being written (it is added) or done. */
  "library.cancelImport": { params: { importId: string }; result: { cancelled: boolean } };
  /** Desktop: native open dialog for books. Browser: NOT_SUPPORTED. */
  "library.openDialog": { params: Record<string, never>; result: DocumentInfo[] };
  "library.remove": { params: { documentId: number }; result: { removed: boolean } };
  "library.text": { params: { documentId: number; start?: number; end?: number }; result: TextSlice };
  /** Where the book holds a phrase: case, accents, curly quotes and line breaks aside (main/library/find.ts). */
  "library.find": { params: { documentId: number; query: string; limit?: number }; result: FindResult };
  /** Which books hold a phrase, folded as library.find folds it. */
  "library.findAll": { params: { query: string }; result: LibraryFindResult };
  /**
   * Tokenize + prefill (+ index) the document; progress arrives as doc.progress events. A book
   * saved for the loaded model opens its saved read (as much of the book as it held then, what
   * the Max answer tokens of that day left room for); `fresh` reads it again under today's
   * settings and replaces that store.
   */
  "library.read": { params: { documentId: number; fresh?: boolean }; result: { jobId: string } };
  /** Cancels a read: by its job, or by its book (a page loaded mid-read knows only the book). */
  "library.cancel": { params: { jobId: string } | { documentId: number }; result: { cancelled: boolean } };

  "chat.list": { params: { documentId: number }; result: ConversationInfo[] };
  "chat.create": { params: { documentId: number; systemPrompt?: string }; result: ConversationInfo };
  /** An answer still streaming comes with all the text written so far (not the copy saved a moment ago). */
  "chat.messages": { params: { conversationId: number }; result: MessageInfo[] };
  "chat.setSystemPrompt": { params: { conversationId: number; systemPrompt: string }; result: ConversationInfo };
  "chat.rename": { params: { conversationId: number; title: string }; result: ConversationInfo };
  /** Stores the question, starts the answer; text streams as chat.delta events. */
  /** `replaceLast`: the question replaces the conversation's last question and its answer (an edit). */
  "chat.send": {
    params: { conversationId: number; text: string; passage?: { start: number; end: number }; replaceLast?: boolean };
    result: { user: MessageInfo; assistant: MessageInfo };
  };
  /** Replaces the last assistant answer with a new one. */
  "chat.regenerate": { params: { conversationId: number }; result: { assistant: MessageInfo } };
  "chat.stop": { params: { conversationId: number }; result: { stopped: boolean } };
  "chat.remove": { params: { conversationId: number }; result: { removed: boolean } };

  /** Starts an evaluation; rows arrive as eval.progress events, the end as eval.done. */
  "eval.run": { params: EvalRunParams; result: { jobId: string } };
  "eval.cancel": { params: { jobId: string }; result: { cancelled: boolean } };
}

export type Method = keyof Requests;
export type Params<M extends Method> = Requests[M]["params"];
export type Result<M extends Method> = Requests[M]["result"];

// ---- events: main -> UI ------------------------------------------------------

export interface Events {
  "doc.updated": DocumentInfo;
  "doc.removed": { documentId: number };
  "doc.progress": ReadProgress;
  /**
   * A book chosen in the desktop app's own dialog (File > Open Books) being opened (done: false),
   * then added or refused (done: true); library.cancelImport with its importId stops it and the
   * rest of that choice, as the window's own imports.
   */
  "library.importing": { importId: string; name: string; done: boolean };
  /** `offset`: where `text` starts in the answer (UTF-16), so a client appends exactly what it lacks. */
  "chat.delta": { conversationId: number; messageId: number; offset: number; text: string };
  "chat.message": MessageInfo; // a message was created or finished (status changed)
  /** A conversation made, renamed, named by its first question, or given another system prompt: every page's list follows. */
  "chat.conversation": ConversationInfo;
  "chat.conversationRemoved": { conversationId: number; documentId: number };
  /** Messages taken out of a conversation: an edited question and its answer, a regenerated answer. */
  "chat.messagesRemoved": { conversationId: number; messageIds: number[] };
  "stats.token": TokenStats;
  "stats.memory": MemoryStats;
  "engine.status": EngineStatus;
  "settings.updated": Settings;
  "eval.progress": { jobId: string; progress: EvalProgress; row: EvalRow };
  /** The evaluation ended: its result, or why not (CANCELLED, ...). */
  "eval.done": { jobId: string; result: EvalResult | null; error: ContractError | null };
  /** A menu command the window carries out (the model dialog runs there so its list and details follow). */
  "ui.command": { command: UiCommand };
  /** Something the person should know that is not the answer to a request (e.g. a book read without its KV cache). */
  "app.notice": { kind: "error" | "info"; text: string };
}

export type EventName = keyof Events;
export type EventData<E extends EventName> = Events[E];

// ---- wire messages -----------------------------------------------------------

export interface RequestMessage<M extends Method = Method> {
  id: number;
  method: M;
  params: Params<M>;
}
export type ResponseMessage =
  | { id: number; result: unknown }
  | { id: number | null; error: ContractError }; // id null: the request itself was unreadable
export interface EventMessage<E extends EventName = EventName> {
  event: E;
  data: EventData<E>;
}

/** The API both transports give the renderer: one function per method, plus events. */
export type TomeApi = { [M in Method]: (params: Params<M>) => Promise<Result<M>> } & {
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
};
