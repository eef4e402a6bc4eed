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

/** `n` distinct pseudo-words of 2-3 syllables ("tamori", "belu"). */
export function pseudoWords(rng: Rng, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    let w = "";
    const syllables = rng.int(2, 3);
    for (let i = 0; i < syllables; i++) w += CONSONANTS[rng.int(0, CONSONANTS.length - 1)] + VOWELS[rng.int(0, VOWELS.length - 1)];
    out.add(w);
  }
  return [...out];
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
