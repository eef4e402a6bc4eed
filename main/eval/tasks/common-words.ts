// Common words extraction (RULER's cwe): a numbered list in which ten words
// appear many times and every other word a few times; the answer is the ten.
// The list is the whole context (no depth). At n entries the ten common words
// appear f = clamp(n/20, 4, 30) times each (RULER: 30), the rest at most 3 times,
// so the ten stay strictly the most common at every length.
import { pseudoWords } from "../words";
import { Rng } from "../rng";
import type { DraftInput, TaskGenerator } from "./task";

const COMMON = 10;
const RARE_FREQ = 3;

export const commonWords: TaskGenerator = {
  name: "common_words",
  hasDepth: false,
  maxNewTokens: 96,
  haystack: "noise",
  draft(input: DraftInput) {
    const { rng } = input;
    // enough distinct words for the longest list this budget allows (an entry is >= 3 tokens)
    const maxSize = Math.max(64, Math.ceil(input.contextTokens / 2));
    const pool = pseudoWords(rng, COMMON + Math.ceil(maxSize / RARE_FREQ) + 1);
    const common = pool.slice(0, COMMON);
    const rare = pool.slice(COMMON);
    const order = rng.int(0, 2 ** 31);
    return {
      preamble: "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n",
      question: `\nQuestion: What are the ${COMMON} most common words in the above list?`,
      answerPrefix: ` Answer: The top ${COMMON} words that appear most often in the list are:`,
      answers: common,
      maxSize,
      build(n) {
        const f = Math.max(4, Math.min(30, Math.floor(n / 20)));
        const words: string[] = [];
        for (const w of common) for (let i = 0; i < f && words.length < n; i++) words.push(w);
        for (let i = 0; words.length < n; i++) words.push(rare[Math.floor(i / RARE_FREQ)]);
        // the same shuffle for every n of this instance
        new Rng(order).shuffle(words);
        return { text: words.map((w, i) => `${i + 1}. ${w}`).join(" "), needles: [] };
      },
    };
  },
};
