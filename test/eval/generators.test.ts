// The task generators on a real tokenizer (stories260K): every instance reaches
// its target length within 1% (its prompt and its answer budget, as RULER
// counts a length), places its answer needle at the stated depth,
// is reproducible from its seed, and holds every answer it expects.
import { beforeAll, describe, expect, it } from "vitest";
import { loadAddon, type NativeModel } from "../../main/engine";
import { buildInstance, LENGTH_TOLERANCE } from "../../main/eval/instance";
import { promptingOf, type Prompting } from "../../main/eval/prompt";
import { loadHaystack, type HaystackSource } from "../../main/eval/haystack";
import { matches } from "../../main/eval/scorer";
import { TASKS } from "../../main/eval/types";
import { dataDir, hasData, modelPath } from "../helpers/data";
import * as path from "node:path";

const STORIES = modelPath("stories260K.gguf");
let model: NativeModel;
let prompting: Prompting;
let book: HaystackSource;

describe.skipIf(!hasData)("eval task generators", () => {
  beforeAll(async () => {
    const addon = loadAddon();
    model = new addon.Model(STORIES);
    prompting = promptingOf(addon, STORIES, model);
    book = await loadHaystack(path.join(dataDir!, "books", "alice-in-wonderland_pg11.txt"));
  });

  it("the fixture model has no chat template: the plain fallback renders", () => {
    expect(prompting.template).toBeNull();
  });

  for (const task of TASKS)
    it(`${task}: target length within 1%, answers in the context, needle at the depth`, async () => {
      // common_words' ten answers take 40 entries and its answer budget 96 tokens: 512 is too short
      for (const length of task === "common_words" ? [1000, 2048] : [512, 1000, 2048]) {
        for (const depth of [0, 25, 50, 75, 100]) {
          const t = await buildInstance(model, prompting, { kind: "noise" }, { task, length, depth, seed: 7 });
          const total = t.prefill.length + t.query.length + t.instance.maxNewTokens;
          expect(t.instance.maxNewTokens).toBeGreaterThan(0);
          expect(Math.abs(total - length)).toBeLessThanOrEqual(LENGTH_TOLERANCE * length);
          for (const a of t.instance.answers) expect(matches(t.instance.context, a)).toBe(true);
          if (t.instance.depth === null) {
            expect(t.depthActual).toBeNull();
            break; // word-list tasks have no depth
          }
          // within one sentence of the stated depth (a needle goes to the nearest sentence start)
          // within one noise sentence (<= 12 tokens here) of the depth, measured over the haystack less the needles
          const tol = (100 * 12) / t.haystackTokens! + 1;
          expect(Math.abs(t.depthActual! - depth)).toBeLessThanOrEqual(tol);
          t.instance.needleChars.forEach((c) => expect(c).toBeGreaterThanOrEqual(0));
        }
      }
    });

  it("word lists determine their answers: the expected words are strictly the most frequent, or the length is refused", async () => {
    // without the check, a short list's "third most frequent" may tie with others, and no answer
    // could score 1: at 300 tokens (seed 2) stories260K leaves frequent_words 8 words
    let refused = 0;
    for (const task of ["frequent_words", "common_words"] as const)
      for (const [length, seed] of [300, 320, 360, 420, 512, 1024].flatMap((l) => [[l, 1], [l, 7]])) {
        let t;
        try {
          t = await buildInstance(model, prompting, { kind: "noise" }, { task, length, depth: null, seed });
        } catch (e) {
          expect((e as { code?: string }).code).toBe("NO_ROOM");
          refused++;
          continue;
        }
        const words = t.instance.context.split(" ").filter((w) => !/^\d+\.$/.test(w)); // common_words numbers its entries
        const counts = new Map<string, number>();
        for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
        const least = Math.min(...t.instance.answers.map((a) => counts.get(a) ?? 0));
        const rest = [...counts].filter(([w]) => !t.instance.answers.includes(w)).map(([, c]) => c);
        expect(least).toBeGreaterThan(Math.max(0, ...rest));
      }
    expect(refused).toBeGreaterThan(0);
    await expect(buildInstance(model, prompting, { kind: "noise" }, { task: "frequent_words", length: 300, depth: null, seed: 2 })).rejects.toMatchObject({ code: "NO_ROOM", message: expect.stringMatching(/too few/) });
    // the answer budget counts in the length: the ten answers' 40 entries and 96 answer tokens do not fit 512
    await expect(buildInstance(model, prompting, { kind: "noise" }, { task: "common_words", length: 512, depth: null, seed: 7 })).rejects.toMatchObject({ code: "NO_ROOM" });
  });

  it("a book haystack: niah needles at their depths in Alice", async () => {
    for (const depth of [0, 50, 100]) {
      const t = await buildInstance(model, prompting, book, { task: "niah_single", length: 2048, depth, seed: 3 });
      expect(Math.abs(t.prefill.length + t.query.length + t.instance.maxNewTokens - 2048)).toBeLessThanOrEqual(20);
      expect(t.instance.context).toMatch(/Alice|Rabbit|said/);
      console.log(`book depth ${depth}: actual ${t.depthActual!.toFixed(1)}%`);
      expect(Math.abs(t.depthActual! - depth)).toBeLessThanOrEqual((100 * 60) / t.haystackTokens! + 1); // a book's sentences run longer
    }
  });

  it("is reproducible from its seed, and another seed draws another instance", async () => {
    const a = await buildInstance(model, prompting, { kind: "noise" }, { task: "niah_multikey", length: 600, depth: 40, seed: 11 });
    const b = await buildInstance(model, prompting, { kind: "noise" }, { task: "niah_multikey", length: 600, depth: 40, seed: 11 });
    const c = await buildInstance(model, prompting, { kind: "noise" }, { task: "niah_multikey", length: 600, depth: 40, seed: 12 });
    expect(Array.from(a.prefill)).toEqual(Array.from(b.prefill));
    expect(a.instance.answers).toEqual(b.instance.answers);
    expect(c.instance.answers).not.toEqual(a.instance.answers);
  });
});
