// Attention -> passages. The engine sums, over the answer, the attention weight
// each document token received (retrieved positions and their weights); here the
// top tokens become character ranges widened to a readable passage (snapped to
// word boundaries), overlapping passages are merged with their weights summed,
// and the heaviest few are kept.
import type { Highlight } from "../ipc/contract";

export interface Attended {
  positions: ArrayLike<number>; // token index within the document
  weights: ArrayLike<number>;
}

export function passagesFromAttention(
  text: string,
  starts: ArrayLike<number>, // char start of each document token
  attended: Attended,
  opts: { radius?: number; max?: number } = {},
): Highlight[] {
  const radius = opts.radius ?? 80;
  const max = opts.max ?? 5;
  const spans: { start: number; end: number; weight: number }[] = [];
  for (let i = 0; i < attended.positions.length; i++) {
    const p = attended.positions[i];
    if (p < 0 || p >= starts.length) continue;
    const c0 = starts[p];
    const c1 = p + 1 < starts.length ? starts[p + 1] : text.length;
    spans.push({ start: snapLeft(text, Math.max(0, c0 - radius)), end: snapRight(text, Math.min(text.length, c1 + radius)), weight: attended.weights[i] });
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: typeof spans = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      last.weight += s.weight;
    } else merged.push({ ...s });
  }
  return merged
    .sort((a, b) => b.weight - a.weight)
    .slice(0, max)
    .map((s) => ({ start: s.start, end: s.end, weight: s.weight, text: text.slice(s.start, s.end) }));
}

function snapLeft(text: string, i: number): number {
  let j = i;
  while (j > 0 && j > i - 30 && !/\s/.test(text[j - 1])) j--;
  return j;
}
function snapRight(text: string, i: number): number {
  let j = i;
  while (j < text.length && j < i + 30 && !/\s/.test(text[j])) j++;
  return j;
}
