// Needle in a haystack, as RULER's niah tasks: needles "One of the special magic
// numbers for KEY is: VALUE." hidden in noise or a book.
//   niah_single:     one needle, at the depth.
//   niah_multikey:   the queried needle at the depth, three distractor needles
//                    with other keys at seeded depths.
//   niah_multivalue: four values for the same key, together at the depth; all
//                    four must be answered.
// Values are 7-digit numbers.
import { needleKey } from "../words";
import type { Needle } from "../placement";
import { haystackContext } from "./haystack-context";
import type { DraftInput, TaskGenerator } from "./task";

const needle = (key: string, value: string) => `One of the special magic numbers for ${key} is: ${value}.`;

function niah(name: TaskGenerator["name"], distractors: number, values: number): TaskGenerator {
  return {
    name,
    hasDepth: true,
    maxNewTokens: values > 1 ? 64 : 24,
    haystack: "any",
    draft(input: DraftInput) {
      const { rng } = input;
      const depth = input.depth ?? 50;
      const keys = new Set<string>();
      const key = needleKey(rng, keys);
      const answers = Array.from({ length: values }, () => rng.digits(7));
      const needles: Needle[] = answers.map((v) => ({ text: needle(key, v), depth }));
      for (let i = 0; i < distractors; i++) needles.push({ text: needle(needleKey(rng, keys), rng.digits(7)), depth: rng.int(0, 100) });
      const what = values > 1 ? "numbers" : "number";
      return {
        preamble: `Some special magic numbers are hidden within the following text. Make sure to memorize it. I will quiz you about the numbers afterwards.\n`,
        question: `\n${values > 1 ? "What are all the special magic numbers" : "What is the special magic number"} for ${key} mentioned in the provided text?`,
        answerPrefix: ` The special magic ${what} for ${key} mentioned in the provided text ${values > 1 ? "are" : "is"}`,
        answers,
        ...haystackContext(input, input.haystack, needles, answers.map((_, i) => i)),
      };
    },
  };
}

export const niahSingle = niah("niah_single", 0, 1);
export const niahMultikey = niah("niah_multikey", 3, 1);
export const niahMultivalue = niah("niah_multivalue", 0, 4);
