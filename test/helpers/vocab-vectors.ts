// llama.cpp's tokenizer test vectors: X.gguf.inp holds strings, each followed by
// "\n__ggml_vocab_test__\n"; X.gguf.out one line per string of " id" tokens.
import * as fs from "node:fs";

export function readVectors(base: string): { text: string; ids: number[] }[] {
  const inp = fs.readFileSync(base + ".inp", "utf8").split("\n__ggml_vocab_test__\n");
  if (inp[inp.length - 1] === "") inp.pop();
  const out = fs.readFileSync(base + ".out", "utf8").split("\n");
  return inp.map((text, i) => ({
    text,
    ids: out[i].trim() === "" ? [] : out[i].trim().split(/\s+/).map(Number),
  }));
}
