// The context builder shared by the haystack tasks: filler cut to n characters,
// then the needles placed at their depths in the model's tokens.
import { fillerText, sentenceStarts, type HaystackSource } from "../haystack";
import { placeNeedles, type Needle } from "../placement";
import type { DraftInput, Draft } from "./task";

/** `answerNeedles`: indexes into `needles` of the needles holding answers (their offsets are reported). */
export function haystackContext(input: DraftInput, source: HaystackSource, needlesIn: Needle[], answerNeedles: number[]): Pick<Draft, "build" | "maxSize"> {
  const filler = fillerText(source, input.rng, input.contextTokens * input.charsPerToken + 2000);
  const starts = sentenceStarts(filler);
  return {
    maxSize: filler.length,
    build(n) {
      const base = filler.slice(0, n);
      let k = starts.length;
      while (k > 0 && starts[k - 1] >= n) k--;
      const placed = placeNeedles(base, [...starts.slice(0, k), n], input.tokens.starts(base), needlesIn);
      const needles = placed.needleChars.map((start, i) => ({ start, end: start + needlesIn[i].text.length, answer: answerNeedles.includes(i) }));
      return { text: placed.text, needles };
    },
  };
}
