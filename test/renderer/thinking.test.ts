// A reasoning model's answer split into its reasoning and what follows it.
import { describe, expect, it } from "vitest";
import { splitThinking } from "../../renderer/src/thinking";

describe("splitThinking", () => {
  it("takes the reasoning out of <think>…</think>, and the answer after it", () => {
    expect(splitThinking("<think>\nWho? Alice.\n</think>\n\nAlice.")).toEqual({ thinking: "Who? Alice.", answer: "Alice.", open: false });
  });
  it("reads a close alone as the end of reasoning the template opened (DeepSeek-R1's distills)", () => {
    expect(splitThinking("Who? Alice.\n</think>\n\nAlice.")).toEqual({ thinking: "Who? Alice.", answer: "Alice.", open: false });
  });
  it("says reasoning is still being written before its close", () => {
    expect(splitThinking("<think>\nWho")).toEqual({ thinking: "Who", answer: "", open: true });
  });
  it("reads Seed-OSS's <seed:think>…</seed:think> as reasoning", () => {
    expect(splitThinking("<seed:think>Who? Alice.</seed:think>Alice.")).toEqual({ thinking: "Who? Alice.", answer: "Alice.", open: false });
    expect(splitThinking("<seed:think>Who")).toEqual({ thinking: "Who", answer: "", open: true });
  });
  it("takes Hunyuan's <answer>…</answer> off the answer, its close not written yet too", () => {
    expect(splitThinking("<think>\nWho?\n</think>\n<answer>\nAlice.\n</answer>")).toEqual({ thinking: "Who?", answer: "Alice.", open: false });
    expect(splitThinking("<think>Who?</think>\n<answer>\nAli")).toEqual({ thinking: "Who?", answer: "Ali", open: false });
    expect(splitThinking("<answer>Alice.</answer>")).toEqual({ thinking: null, answer: "Alice.", open: false });
  });
  it("reads gpt-oss's harmony answer: analysis messages as reasoning, the final message as the answer", () => {
    const analysis = "<|channel|>analysis<|message|>Who wrote it? Alice.<|end|>";
    expect(splitThinking(`${analysis}<|start|>assistant<|channel|>final<|message|>Alice wrote it.`)).toEqual({ thinking: "Who wrote it? Alice.", answer: "Alice wrote it.", open: false });
    expect(splitThinking("<|channel|>analysis<|message|>Who wro")).toEqual({ thinking: "Who wro", answer: "", open: true });
    expect(splitThinking(analysis)).toEqual({ thinking: "Who wrote it? Alice.", answer: "", open: false });
    expect(splitThinking(`${analysis}<|start|>assistant<|channel|>final<|message|>Alice.<|return|>`)).toEqual({ thinking: "Who wrote it? Alice.", answer: "Alice.", open: false });
    expect(splitThinking("<|channel|>final<|message|>Alice.")).toEqual({ thinking: null, answer: "Alice.", open: false });
    // a commentary message (a tool's preamble, its header with more before <|message|>) counts as reasoning
    expect(splitThinking(`${analysis}<|start|>assistant<|channel|>commentary to=functions.find <|constrain|>json<|message|>{"q":"x"}<|end|><|start|>assistant<|channel|>final<|message|>Done.`))
      .toEqual({ thinking: 'Who wrote it? Alice.\n\n{"q":"x"}', answer: "Done.", open: false });
  });
  it("leaves an answer without reasoning as it is, a <think> inside it included", () => {
    expect(splitThinking("Alice.")).toEqual({ thinking: null, answer: "Alice.", open: false });
    expect(splitThinking("She wrote <think> in code.")).toEqual({ thinking: null, answer: "She wrote <think> in code.", open: false });
  });
});
