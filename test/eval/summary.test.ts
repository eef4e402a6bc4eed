// The eval summary's first-token figures: disagreements at a near-tie of full
// attention's two most likely tokens are counted apart (rows saved before
// full_margin was recorded count as not), said in the CLI lines, and accepted
// or refused by the result schema.
import { describe, expect, it } from "vitest";
import { NEAR_TIE, summarize, summaryLines } from "../../main/eval/summary";
import { validateEvalResult } from "../../main/eval/schema";
import type { EvalResult, EvalRow } from "../../main/eval/types";

function row(over: Partial<EvalRow>): EvalRow {
  return {
    task: "passkey", length: 1024, tokens: 1024, depth: 50, depth_actual: 50.1, sample: 0, mode: "retrieval", score: 0,
    agree_with_full: 0, first_token_agree: 0, kl: 5.7e-5, recall: 1, mass: 0.99, ms_per_token: 2, prefill_ms: 10,
    reused_tokens: 0, sparse: true, sparse_steps: 15, answer_tokens: 16, answer: " not", expected: ["1234567"],
    beyond_trained: false, ...over,
  };
}

function result(rows: EvalRow[]): EvalResult {
  return {
    suite: "eval", model: "m.gguf", n_ctx_train: 2048, chat_template: false, haystack: "noise", seed: 1,
    settings: { sinks: 128, window: 512, top_k: 100, threads: 2, monitor_every: 1 }, rows,
  };
}

const ROWS = [
  row({ mode: "full", agree_with_full: null, first_token_agree: null, kl: null, full_margin: null, answer: " a" }),
  row({ full_margin: 0.0063 }),
  row({ sample: 1, full_margin: 0.5 }),
  row({ sample: 2 }), // saved before full_margin existed
  row({ sample: 3, first_token_agree: 1, full_margin: 0.001 }),
];

describe("eval summary: first-token near-ties", () => {
  it("counts the disagreements at a near-tie of full attention's first token apart", () => {
    const s = summarize(ROWS).find((x) => x.mode === "retrieval")!;
    expect(s.firstTokenAgree).toBe(0.25);
    expect(s.firstTokenDiffers).toBe(3);
    expect(s.firstTokenNearTies).toBe(1);
    expect(NEAR_TIE).toBeGreaterThan(0.0063);
  });

  it("says so in the CLI's lines, and only when there is one", () => {
    const lines = summaryLines(result(ROWS)).join("\n");
    expect(lines).toContain("first token 25.0%; 1 of 3 differing at a near-tie");
    expect(lines).toContain(`led its second by under ${NEAR_TIE} nats`);
    const none = summaryLines(result(ROWS.filter((r) => r.full_margin !== 0.0063))).join("\n");
    expect(none).not.toContain("near-tie");
  });

  it("the schema takes rows with and without full_margin and refuses a negative one", () => {
    expect(validateEvalResult(JSON.parse(JSON.stringify(result(ROWS)))).rows).toHaveLength(5);
    expect(() => validateEvalResult(result([row({ full_margin: -0.1 })]))).toThrow(/full_margin/);
  });
});

describe("eval summary: tasks weigh alike", () => {
  it("averages each task's mean, so a task with needle depths does not outweigh a word list", () => {
    // passkey: one instance at five depths, all found; common_words: one instance, missed
    const rows = [
      ...[0, 25, 50, 75, 100].map((depth) => row({ depth, score: 1, agree_with_full: 1, recall: 0.9 })),
      row({ task: "common_words", depth: null, score: 0, agree_with_full: 0, recall: 0.5 }),
    ];
    const s = summarize(rows).find((x) => x.mode === "retrieval")!;
    expect(s.n).toBe(6);
    expect(s.score).toBe(0.5); // pooled: 5 / 6
    expect(s.agree).toBe(0.5);
    expect(s.recall).toBeCloseTo(0.7, 12);
  });
});
