// The schema of `tome eval --json`, checked with the contract's schema kit
// (main/ipc/schema.ts): validateEvalResult(x) returns x typed, or throws a
// ValidationError naming the offending path ("result.rows[3].kl: ...").
import { arr, bool, int, num, obj, oneOf, str, type Schema } from "../ipc/schema";
import { EVAL_MODES, TASKS, type EvalResult, type EvalRow } from "./types";

function nullable<T>(s: Schema<T>): Schema<T | null> {
  return (v, path) => (v === null ? null : s(v, path));
}

const share = num({ min: 0, max: 1 });
const count = int({ min: 0, max: Number.MAX_SAFE_INTEGER });
const ms = num({ min: 0, max: Number.MAX_VALUE });
const percent = num({ min: 0, max: 100 });

export const evalRowSchema: Schema<EvalRow> = obj({
  task: oneOf(TASKS),
  length: int({ min: 1, max: 1 << 24 }),
  tokens: count,
  depth: nullable(percent),
  depth_actual: nullable(percent),
  sample: count,
  mode: oneOf(EVAL_MODES),
  score: share,
  agree_with_full: nullable(share),
  first_token_agree: nullable(share),
  kl: nullable(num({ min: 0, max: Number.MAX_VALUE })),
  recall: nullable(share),
  mass: nullable(num({ min: 0, max: 1 + 1e-6 })),
  ms_per_token: nullable(ms),
  prefill_ms: ms,
  reused_tokens: count,
  sparse: bool,
  sparse_steps: count,
  answer_tokens: count,
  answer: str({ max: 1 << 20 }),
  expected: arr(str({ min: 1, max: 256 }), { max: 64 }),
  beyond_trained: bool,
}, { full_margin: nullable(num({ min: 0, max: Number.MAX_VALUE })), answer_budget: count }) as Schema<EvalRow>;

export const evalResultSchema: Schema<EvalResult> = obj({
  suite: oneOf(["eval"] as const),
  model: str({ min: 1, max: 4096 }),
  n_ctx_train: count,
  chat_template: bool,
  haystack: str({ min: 1, max: 4096 }),
  seed: int({ min: 0, max: 2 ** 32 }),
  settings: obj({ sinks: count, window: count, top_k: count, threads: count, monitor_every: count }),
  rows: arr(evalRowSchema, { max: 1 << 20 }),
}) as Schema<EvalResult>;

export function validateEvalResult(x: unknown): EvalResult {
  return evalResultSchema(x, "result");
}
