// The word draws behind the word-list tasks: pseudo-words stay distinct past what
// 2-3 syllables can hold (frequent_words draws one word per context token), the
// draws below that are the ones every earlier run made, and a list whose most
// common words tie with another word is told apart.
import { describe, expect, it } from "vitest";
import { Rng } from "../../main/eval/rng";
import { answersStandOut, pseudoWordCapacity, pseudoWords } from "../../main/eval/words";

describe("pseudo-words", () => {
  it("draws as before wherever 2-3 syllables suffice (a seed repeats its instances)", () => {
    // recorded from the generator before the capacity check
    expect(pseudoWords(new Rng(7), 6)).toEqual(["buri", "meno", "fona", "kiku", "vafa", "nodu"]);
    expect(pseudoWords(new Rng(7), 1000).slice(-3)).toEqual(["keroro", "susoka", "teseru"]);
  });

  it("gives n distinct words past the 347,900 that 2-3 syllables hold (frequent_words above ~348K tokens)", () => {
    // without more syllables the draw never ends: this test then never finishes
    const n = pseudoWordCapacity(3) + 2000;
    expect(pseudoWordCapacity(3)).toBe(70 ** 2 + 70 ** 3);
    const words = pseudoWords(new Rng(3), n);
    expect(words).toHaveLength(n);
    expect(new Set(words).size).toBe(n);
    for (const w of words.slice(0, 1000)) expect(w).toMatch(/^([bdfgklmnprstvz][aeiou]){2,4}$/);
  }, 60_000);

  it("tells whether the expected words are strictly the most common", () => {
    expect(answersStandOut(["a", "a", "b", "b", "c"], ["a", "b"])).toBe(true);
    expect(answersStandOut(["a", "a", "b", "c"], ["a", "b"])).toBe(false); // b ties with c
    expect(answersStandOut(["a", "a", "b"], ["a", "d"])).toBe(false); // d is absent
  });
});
