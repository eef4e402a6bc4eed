// The shapes tome eval works with: task names, generated instances, run options,
// and the rows of its JSON. Pure types and constants: imported by the CLI, the
// engine host, the HTML report and the renderer alike.

export const TASKS = [
  "niah_single",
  "niah_multikey",
  "niah_multivalue",
  "passkey",
  "variable_tracking",
  "common_words",
  "frequent_words",
] as const;
export type TaskName = (typeof TASKS)[number];

export const EVAL_MODES = ["full", "retrieval", "streaming", "flat", "ivf"] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

/** One generated task instance, before the chat template. The user message is
 *  preamble + context + question; the assistant's turn starts with answerPrefix. */
export interface TaskInstance {
  task: TaskName;
  /** Target prompt length in the model's tokens (template included). */
  length: number;
  /** Needle depth in percent of the context, null for tasks without one (word lists). */
  depth: number | null;
  seed: number;
  preamble: string;
  /** The haystack with its needles, or the word list. */
  context: string;
  question: string;
  answerPrefix: string;
  /** Every one must appear in the answer (RULER's string_match_all). */
  answers: string[];
  /** Character offsets in `context` of the needles that hold the answers. */
  needleChars: number[];
  maxNewTokens: number;
}

/** An instance as tokens: prefill = template head + preamble + context; query = the rest. */
export interface TokenizedInstance {
  instance: TaskInstance;
  prefill: Int32Array;
  query: Int32Array;
  /** The context's first token in `prefill` and its token count. */
  contextStart: number;
  contextTokens: number;
  /** Measured depth of the first answer needle, percent of the context's tokens. */
  depthActual: number | null;
  /** Context tokens outside the needles (null for word lists). */
  haystackTokens: number | null;
  /** Whether the model's own chat template rendered it (false: tome's plain fallback). */
  chatTemplate: boolean;
}

export interface EvalOptions {
  tasks: TaskName[];
  lengths: number[];
  /** Percent, 0..100. */
  depths: number[];
  modes: EvalMode[];
  /** "noise" (RULER's repeated sentences) or a path to a book used as the haystack. */
  haystack: string;
  samples: number;
  seed: number;
  threads: number;
  /** Run lengths above the model's trained context (rows are marked). */
  beyondTrained: boolean;
  sinks?: number;
  window?: number;
  topK?: number;
  /** Monitor every N decode steps (recall, mass); 1 = every step. */
  monitorEvery: number;
  monitorHeads: number;
}

/** One row of `tome eval --json`: one instance in one attention mode. */
export interface EvalRow {
  task: TaskName;
  length: number;
  /** Prompt tokens actually built: with answer_budget, within 1% of length. */
  tokens: number;
  /** The answer's token budget (the task's maxNewTokens), counted in length as RULER counts it;
   *  absent from results saved before it was. */
  answer_budget?: number;
  depth: number | null;
  depth_actual: number | null;
  sample: number;
  mode: EvalMode;
  /** RULER string match: share of the expected strings found in the answer, 0..1. */
  score: number;
  /** 1 when the greedy answer equals full attention's token for token, 0 when not; null for full. */
  agree_with_full: number | null;
  /** Whether the first answer token equals full attention's; null for full. */
  first_token_agree: number | null;
  /** KL(full || mode) of the first answer-token distributions, nats; null for full. */
  kl: number | null;
  /** How far full attention's most likely first answer token leads its second, nats (null for
   *  full; absent from results saved before it was recorded): a first-token disagreement under
   *  NEAR_TIE nats is a near-tie that the slightest change of the logits flips, not a miss. */
  full_margin?: number | null;
  /** Monitor: recall@k of retrieved keys against exact top-k, mean over sampled steps. */
  recall: number | null;
  /** Monitor: softmax mass the static + retrieved keys capture, mean over sampled steps. */
  mass: number | null;
  ms_per_token: number | null;
  prefill_ms: number;
  /** Prompt tokens whose KV was reused from the previous instance (full mode, shared prefix). */
  reused_tokens: number;
  /** Whether the query ran sparse (false: the prefill is shorter than sinks + window + 256, so the
   *  query ran exact and the first-token KL is 0 by construction). */
  sparse: boolean;
  /** Answer steps after the first token that ran sparse (the index is built once the context is long enough). */
  sparse_steps: number;
  answer_tokens: number;
  answer: string;
  expected: string[];
  beyond_trained: boolean;
}

export interface EvalResult {
  suite: "eval";
  model: string;
  n_ctx_train: number;
  chat_template: boolean;
  haystack: string;
  seed: number;
  settings: { sinks: number; window: number; top_k: number; threads: number; monitor_every: number };
  rows: EvalRow[];
}

export interface EvalProgress {
  done: number;
  total: number;
  task: TaskName;
  length: number;
  depth: number | null;
  mode: EvalMode;
}
