// An eval result row for the view's tests: a full-attention niah_single row at
// 1K, depth 50, with the fields a test cares about overridden.
import type { EvalRow } from "../../main/eval/types";

export function evalRow(over: Partial<EvalRow>): EvalRow {
  return {
    task: "niah_single", length: 1024, tokens: 1024, depth: 50, depth_actual: 50.2, sample: 0, mode: "full", score: 0,
    agree_with_full: null, first_token_agree: null, kl: null, recall: null, mass: null, ms_per_token: 2, prefill_ms: 10,
    reused_tokens: 0, sparse: false, sparse_steps: 0, answer_tokens: 8, answer: "Lily", expected: ["1234567"], beyond_trained: false, ...over,
  };
}
