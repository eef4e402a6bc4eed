// Scoring by string match, as RULER's string_match_all: the share of expected
// strings found in the answer, case-insensitively. One difference, on purpose:
// a match must stand alone (not inside a longer word or number), so "1234567"
// does not count as found in "12345678" and "ABCDE" not in "ABCDEF"; RULER's
// plain substring test would accept those near misses.

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether `expected` occurs in `answer` as a whole word/number (case-insensitive). */
export function matches(answer: string, expected: string): boolean {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escape(expected)}(?![\\p{L}\\p{N}])`, "iu").test(answer);
}

/** RULER string_match_all: share of `expected` found in `answer`, 0..1. */
export function scoreAnswer(answer: string, expected: string[]): number {
  if (expected.length === 0) return 0;
  return expected.filter((e) => matches(answer, e)).length / expected.length;
}
