// Needle placement at a depth measured in the model's tokens: depth d% of a base
// text of T tokens is token round(d/100 * T); the needle goes to the sentence
// start nearest to that token. Needles for the same spot keep their order.

export interface Needle {
  text: string;
  /** Percent of the context, 0..100. */
  depth: number;
}

export interface Placed {
  text: string;
  /** Character offset of each needle in `text` (same order as the needles given). */
  needleChars: number[];
}

function nearest(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && x - sorted[lo - 1] <= sorted[lo] - x ? sorted[lo - 1] : sorted[lo];
}

/**
 * base: the haystack; starts: its sentence starts (sorted, 0 and base.length included);
 * tokenStarts: char start of each of base's tokens (from the model's tokenizer).
 */
export function placeNeedles(base: string, starts: number[], tokenStarts: Int32Array, needles: Needle[]): Placed {
  const nTok = tokenStarts.length;
  const spots = needles.map((n) => {
    const t = Math.round((n.depth / 100) * nTok);
    return nearest(starts, t >= nTok ? base.length : tokenStarts[t]);
  });
  // insert from the back so earlier offsets stay valid; same spot: in the given order
  const order = needles.map((_, i) => i).sort((a, b) => spots[a] - spots[b] || a - b);
  let text = "";
  let from = 0;
  const chars = new Array<number>(needles.length);
  for (const i of order) {
    const at = spots[i];
    text += base.slice(from, at);
    from = at;
    if (text.length > 0 && !/\s$/.test(text)) text += " ";
    chars[i] = text.length;
    text += needles[i].text + (at < base.length ? " " : "");
  }
  text += base.slice(from);
  return { text, needleChars: chars };
}
