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
  it("leaves an answer without reasoning as it is, a <think> inside it included", () => {
    expect(splitThinking("Alice.")).toEqual({ thinking: null, answer: "Alice.", open: false });
    expect(splitThinking("She wrote <think> in code.")).toEqual({ thinking: null, answer: "She wrote <think> in code.", open: false });
  });
});
