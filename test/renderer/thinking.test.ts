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
  it("leaves an answer without reasoning as it is, a <think> inside it included", () => {
    expect(splitThinking("Alice.")).toEqual({ thinking: null, answer: "Alice.", open: false });
    expect(splitThinking("She wrote <think> in code.")).toEqual({ thinking: null, answer: "She wrote <think> in code.", open: false });
  });
});
