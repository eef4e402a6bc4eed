// Passkey retrieval (InfiniteBench's passkey, after Mohtashami & Jaggi 2023): a
// 5-digit pass key stated once in repeated noise, at the depth.
import type { DraftInput, TaskGenerator } from "./task";
import { haystackContext } from "./haystack-context";

export const passkey: TaskGenerator = {
  name: "passkey",
  hasDepth: true,
  maxNewTokens: 16,
  haystack: "noise",
  draft(input: DraftInput) {
    const key = input.rng.digits(5);
    return {
      preamble: "There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.\n\n",
      question: "\n\nWhat is the pass key?",
      answerPrefix: " The pass key is",
      answers: [key],
      ...haystackContext(input, { kind: "noise" }, [{ text: `The pass key is ${key}. Remember it. ${key} is the pass key.`, depth: input.depth ?? 50 }], [0]),
    };
  },
};
