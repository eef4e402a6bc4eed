// An answer of a reasoning model (DeepSeek-R1's distills, QwQ, Qwen3 asked to
// think) is "<think>reasoning</think>answer"; some templates open the <think>
// themselves, so the answer holds only its close. The reasoning is shown folded
// away above the answer, not as its first paragraphs.

export interface SplitAnswer {
  /** The reasoning, or null when the answer has none. */
  thinking: string | null;
  /** What follows the reasoning (all of it when there is none). */
  answer: string;
  /** The reasoning is still being written (an open <think> and no close yet). */
  open: boolean;
}

const OPEN = "<think>";
const CLOSE = "</think>";

export function splitThinking(text: string): SplitAnswer {
  const close = text.indexOf(CLOSE);
  if (close >= 0) {
    const before = text.slice(0, close).trimStart();
    const thinking = (before.startsWith(OPEN) ? before.slice(OPEN.length) : before).trim();
    return { thinking, answer: text.slice(close + CLOSE.length).trimStart(), open: false };
  }
  const start = text.trimStart();
  if (start.startsWith(OPEN)) return { thinking: start.slice(OPEN.length).trim(), answer: "", open: true };
  return { thinking: null, answer: text, open: false };
}
