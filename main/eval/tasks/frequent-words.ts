// Frequent words extraction (RULER's fwe): a coded text of pseudo-words whose
// frequencies follow Zipf's law (alpha 2); the answer is the three most frequent.
// At n words, word i (1-based) appears round(n * i^-2 / H) times (H normalizes),
// the remainder is filled with words seen once, so the top three stay strictly
// ahead of the fourth from n = 22 on (shorter lists are refused). The text is the whole
// context (no depth).
import { answersStandOut, pseudoWords } from "../words";
import { Rng } from "../rng";
import type { DraftInput, TaskGenerator } from "./task";

const TOP = 3;
const ALPHA = 2;
const RANKED = 40; // words with a Zipf share; the rest of the text is singletons

export const frequentWords: TaskGenerator = {
  name: "frequent_words",
  hasDepth: false,
  maxNewTokens: 40,
  haystack: "noise",
  draft(input: DraftInput) {
    const { rng } = input;
    const maxSize = input.contextTokens + 64; // a word is at least one token
    const pool = pseudoWords(rng, RANKED + maxSize);
    const seed = rng.int(0, 2 ** 31);
    const h = Array.from({ length: RANKED }, (_, i) => (i + 1) ** -ALPHA).reduce((a, b) => a + b, 0);
    const answers = pool.slice(0, TOP);
    const list = (n: number) => {
      const words: string[] = [];
      for (let i = 0; i < RANKED && words.length < n; i++) {
        const c = Math.max(1, Math.round((n * (i + 1) ** -ALPHA) / h));
        for (let j = 0; j < c && words.length < n; j++) words.push(pool[i]);
      }
      for (let i = RANKED; words.length < n; i++) words.push(pool[i]);
      return new Rng(seed).shuffle(words);
    };
    return {
      preamble: "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words.\n",
      question: "\nQuestion: Do not provide any explanation. What are the three most frequently appeared words in the above coded text?",
      answerPrefix: " Answer: According to the coded text above, the three most frequently appeared words are:",
      answers,
      maxSize,
      build(n) {
        return { text: list(n).join(" "), needles: [] };
      },
      // under ~22 words the rounded Zipf counts tie the third word with the fourth (13 words:
      // 8, 2, 1, 1, 1), so no answer is right; refuse those sizes rather than score against one
      unanswerable(n) {
        return answersStandOut(list(n), answers) ? null : `the ${n} words are too few for the three most frequent to stand out`;
      },
    };
  },
};
