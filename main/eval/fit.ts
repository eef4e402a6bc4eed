// Sizing a context to a token budget: the context at size n (characters of a
// haystack, entries of a word list) has count(n) tokens, non-decreasing in n up
// to tokenizer merges at the cut. Binary search finds the n whose count is
// nearest the target.

export interface Fitted {
  n: number;
  tokens: number;
}

/** atMost: never above the target (the nearest n may overshoot it; a prompt at the model's
 *  trained context must not run past it). */
export function fitToTokens(target: number, maxN: number, count: (n: number) => number, atMost = false): Fitted {
  if (target <= 0) return { n: 0, tokens: 0 };
  const top = count(maxN);
  if (top < target) throw Object.assign(new Error(`cannot reach ${target} tokens (at most ${top})`), { code: "TOO_SHORT" });
  // largest n with count(n) <= target
  let lo = 0;
  let hi = maxN;
  let atLo = count(0);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const c = count(mid);
    if (c <= target) {
      lo = mid;
      atLo = c;
    } else hi = mid;
  }
  if (atMost && atLo <= target) return { n: lo, tokens: atLo };
  const atHi = count(hi);
  return Math.abs(atHi - target) < Math.abs(target - atLo) ? { n: hi, tokens: atHi } : { n: lo, tokens: atLo };
}
