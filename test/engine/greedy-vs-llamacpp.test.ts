// Oracle: greedy continuations of real trained models equal llama.cpp's, token for token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLlamaOracle, type LlamaOracle } from "../../main/bench/llama-oracle";
import { hasData, modelPath } from "../helpers/data";
import { openTome, tomeGreedy } from "../helpers/tome";

const MODELS = ["stories260K.gguf", "tinystories-656k-q8_0.gguf", "TinyStories-656K.f16.gguf", "TinyStories-656K.Q2_K.gguf"];
const PROMPTS = [
  "Once upon a time",
  "The little dog",
  "Lily and Tom went to the park. They saw",
  "One day, a big red ball",
  "Tim was sad because",
];
const N = 64;

describe.skipIf(!hasData)("greedy decoding equals llama.cpp", () => {
  let oracle: LlamaOracle;
  beforeAll(async () => {
    oracle = await openLlamaOracle();
  });
  afterAll(async () => {
    await oracle?.dispose();
  });

  for (const name of MODELS)
    it(`${name}: ${PROMPTS.length} prompts x ${N} tokens`, async () => {
      const path = modelPath(name);
      const ref = await oracle.loadModel(path);
      for (const prompt of PROMPTS) {
        const { model, session } = openTome(path, 512);
        const promptTokens = Array.from(model.tokenize(prompt, true, false));
        // same prompt tokens in both engines (BOS as the metadata asks)
        const refPrompt = ref.tokenize(prompt, false);
        expect(promptTokens.slice(-refPrompt.length)).toEqual(refPrompt);
        const seq = await ref.createSequence(512, 2);
        const expected = await seq.greedy(promptTokens, N);
        await seq.dispose();
        const got = await tomeGreedy(model, session, promptTokens, N);
        expect({ prompt, tokens: got }).toEqual({ prompt, tokens: expected });
        expect(got.length).toBeGreaterThan(8);
      }
      await ref.dispose();
    });
});
