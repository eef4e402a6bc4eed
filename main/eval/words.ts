// Words for keys and word lists, generated rather than downloaded: RULER draws
// English words from the wonderwords package; tome uses a short built-in list
// for needle keys and seeded pseudo-words (consonant-vowel syllables) for word
// lists, which never run out at 128K tokens.
import type { Rng } from "./rng";

const ADJECTIVES = [
  "amber", "ancient", "brave", "bright", "calm", "clever", "crimson", "curious", "distant", "eager",
  "faint", "fierce", "gentle", "golden", "hidden", "hollow", "humble", "icy", "jolly", "lively",
  "lonely", "loyal", "mellow", "misty", "noble", "odd", "pale", "proud", "quiet", "rapid",
  "rustic", "silent", "silver", "sleepy", "swift", "tender", "tidy", "vivid", "wild", "wise",
];
const NOUNS = [
  "anchor", "badger", "basket", "beacon", "candle", "canyon", "castle", "cobbler", "comet", "compass",
  "falcon", "feather", "garden", "harbor", "island", "kettle", "lantern", "meadow", "mirror", "orchard",
  "otter", "pebble", "pepper", "piano", "pillow", "quarry", "rabbit", "ribbon", "saddle", "spoon",
  "teapot", "thimble", "thunder", "tulip", "valley", "violin", "walnut", "willow", "window", "zebra",
];

/** A needle key such as "golden-teapot"; distinct keys for distinct draws with `taken`. */
export function needleKey(rng: Rng, taken: Set<string>): string {
  for (;;) {
    const k = `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}`;
    if (!taken.has(k)) {
      taken.add(k);
      return k;
    }
  }
}

const CONSONANTS = "bdfgklmnprstvz";
const VOWELS = "aeiou";

/** How many distinct pseudo-words have 2 to `most` syllables (70^2 + ... + 70^most). */
export function pseudoWordCapacity(most: number): number {
  const s = CONSONANTS.length * VOWELS.length;
  let n = 0;
  for (let k = 2; k <= most; k++) n += s ** k;
  return n;
}

/** `n` distinct pseudo-words of 2-3 syllables ("tamori", "belu"); more syllables only when
 *  2-3 cannot give n distinct words (347,900 of them: frequent_words needs one word per
 *  context token, so above ~348K tokens the draw below would never end). Below that the
 *  draws are unchanged, so every instance that could be built before is built the same. */
export function pseudoWords(rng: Rng, n: number): string[] {
  let most = 3;
  while (pseudoWordCapacity(most) < n) most++;
  const out = new Set<string>();
  while (out.size < n) {
    let w = "";
    const syllables = rng.int(2, most);
    for (let i = 0; i < syllables; i++) w += CONSONANTS[rng.int(0, CONSONANTS.length - 1)] + VOWELS[rng.int(0, VOWELS.length - 1)];
    out.add(w);
  }
  return [...out];
}

/** Whether every one of `answers` occurs in `words` more often than any other word: a list
 *  whose most common words tie with another word has no single right answer. */
export function answersStandOut(words: readonly string[], answers: readonly string[]): boolean {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const least = Math.min(...answers.map((a) => counts.get(a) ?? 0));
  for (const [w, c] of counts) if (!answers.includes(w) && c >= least) return false;
  return least > 0;
}

/** A variable name for variable tracking: five capital letters (RULER's form). */
export function variableName(rng: Rng, taken: Set<string>): string {
  for (;;) {
    let v = "";
    for (let i = 0; i < 5; i++) v += String.fromCharCode(65 + rng.int(0, 25));
    if (!taken.has(v)) {
      taken.add(v);
      return v;
    }
  }
}
