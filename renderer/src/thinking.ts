// An answer of a reasoning model (DeepSeek-R1's distills, QwQ, Qwen3 asked to
// think, GLM-Z1, Hunyuan) is "<think>reasoning</think>answer", Seed-OSS's
// "<seed:think>reasoning</seed:think>answer"; some templates open the reasoning
// themselves, so the answer holds only its close. Hunyuan wraps the answer in
// <answer>…</answer>. gpt-oss answers in OpenAI's harmony format (main/app/harmony.ts):
// its analysis messages are the reasoning, its final message the answer. The
// reasoning is shown folded away above the answer, not as its first paragraphs, and
// the answer without its wrapper.
import { parseHarmony } from "../../main/app/harmony";

export interface SplitAnswer {
  /** The reasoning, or null when the answer has none. */
  thinking: string | null;
  /** What follows the reasoning (all of it when there is none). */
  answer: string;
  /** The reasoning is still being written (an open tag and no close yet). */
  open: boolean;
}

/** The reasoning's tags, [open, close]. */
const TAGS: readonly (readonly [string, string])[] = [
  ["<think>", "</think>"],
  ["<seed:think>", "</seed:think>"],
];
const ANSWER_OPEN = "<answer>";
const ANSWER_CLOSE = "</answer>";

export function splitThinking(text: string): SplitAnswer {
  const harmony = parseHarmony(text);
  if (harmony) {
    const thinking = harmony.reasoning.length > 0 ? harmony.reasoning.join("\n\n") : null;
    return { thinking, answer: harmony.final ?? "", open: harmony.final === null && harmony.open };
  }
  // the first close of any pair ends the reasoning
  let first: { at: number; tags: readonly [string, string] } | null = null;
  for (const tags of TAGS) {
    const at = text.indexOf(tags[1]);
    if (at >= 0 && (!first || at < first.at)) first = { at, tags };
  }
  if (first) {
    const [open, close] = first.tags;
    const before = text.slice(0, first.at).trimStart();
    const thinking = (before.startsWith(open) ? before.slice(open.length) : before).trim();
    return { thinking, answer: unwrapAnswer(text.slice(first.at + close.length).trimStart()), open: false };
  }
  const start = text.trimStart();
  for (const [open] of TAGS)
    if (start.startsWith(open)) return { thinking: start.slice(open.length).trim(), answer: "", open: true };
  return { thinking: null, answer: unwrapAnswer(text), open: false };
}

/** The answer without Hunyuan's <answer>…</answer> around it (its close not written yet while streaming). */
function unwrapAnswer(answer: string): string {
  if (!answer.startsWith(ANSWER_OPEN)) return answer;
  const inner = answer.slice(ANSWER_OPEN.length);
  const close = inner.lastIndexOf(ANSWER_CLOSE);
  return (close >= 0 ? inner.slice(0, close) : inner).trim();
}
