#!/usr/bin/env node
// Writes native/tests/tokenizer/golden/tokenizer_golden.json: what llama.cpp
// (through node-llama-cpp, the engine's tokenizer oracle) answers for a fixed
// set of strings, for every tokenizer fixture, so the C++ tests can check tome's
// tokenizer without Node.
//
//   node native/tools/make-tokenizer-golden.mjs          (run from the repo root;
//                                                          fixtures at ../shared or $TOME_TEST_DATA)
//
// What is recorded:
//   strings      the test strings (>= 300): whitespace runs, tabs, CRLF, accents,
//                CJK, emoji and ZWJ sequences, code, digits, special-token
//                look-alikes, llama.cpp's own vector inputs, seeded random mixes
//   models[]     per GGUF (some with metadata edits, e.g. the gpt-2 vocabulary
//                with tokenizer.ggml.pre = llama-bpe / qwen2 / ..., see MODELS):
//                vocabulary facts (size, BOS/EOS, add_bos/add_eos, EOG ids,
//                token attributes), llama_tokenize(add_special=false, parse_special=false)
//                ("plain") and (false, true) ("special") per string; null where
//                llama.cpp aborts (TinyStories-656K has no byte tokens, so
//                llama.cpp's byte fallback throws std::out_of_range and the
//                process dies - each model runs in a child process for that)
//                pieces: llama_detokenize([bos, id], special) for a set of ids,
//                which is piece(bos) + piece(id) after llama.cpp's clean-up of
//                spaces (only where clean_spaces is set), as a JS string; with
//                special only for tokens that are not NORMAL (null elsewhere)
//                books: count and FNV-1a 64 of the ids of whole books
//   splits[]     per pre-tokenizer: the pieces JS RegExp cuts each string into,
//                with the same regex sequence llama.cpp uses for it ("\s" spelt
//                \p{White_Space}, which is what llama.cpp's \s means)
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const dataDir = process.env.TOME_TEST_DATA ?? path.resolve(repoRoot, "../shared");
const outPath = path.resolve(repoRoot, "native/tests/tokenizer/golden/tokenizer_golden.json");

// clean_spaces: llama.cpp's clean_up_tokenization_spaces flag for the vocab
// (BPE defaults to true, except pre-tokenizers such as deepseek-coder and
// qwen2; SPM false). A model with `patch` is the file with those metadata edits
// (the C++ test applies the same edits): this is how the llama-bpe / qwen2 /
// other pre-tokenizer paths are checked end to end with a real vocabulary.
const setPre = (pre) => [{op: "set_string", key: "tokenizer.ggml.pre", value: pre}];
const MODELS = [
  {file: "stories260K.gguf", clean_spaces: false},
  {file: "TinyStories-656K.f16.gguf", clean_spaces: false},
  {file: "llama-2-tiny-random.gguf", clean_spaces: false},
  {file: "vocab/ggml-vocab-gpt-2.gguf", clean_spaces: true},
  {file: "vocab/ggml-vocab-deepseek-coder.gguf", clean_spaces: false},
  {file: "vocab/ggml-vocab-llama-spm.gguf", clean_spaces: false},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("llama-bpe"), clean_spaces: true},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("qwen2"), clean_spaces: false},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("default"), clean_spaces: true},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: [{op: "remove", key: "tokenizer.ggml.pre"}], clean_spaces: true},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("starcoder"), clean_spaces: true},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("falcon"), clean_spaces: true},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("tekken"), clean_spaces: false},
  {file: "vocab/ggml-vocab-deepseek-coder.gguf", patch: setPre("deepseek-llm"), clean_spaces: false},
  {file: "vocab/ggml-vocab-deepseek-coder.gguf", patch: setPre("hunyuan-dense"), clean_spaces: false},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("seed-coder"), clean_spaces: false},
  {file: "vocab/ggml-vocab-gpt-2.gguf", patch: setPre("gpt-4o"), clean_spaces: false},
  {file: "vocab/ggml-vocab-llama-spm.gguf",
   patch: [{op: "set_bool", key: "tokenizer.ggml.add_space_prefix", value: false}], clean_spaces: false},
];
const BOOKS = ["alice-in-wonderland_pg11.txt", "pride-and-prejudice_pg1342.txt"];

// ---------------------------------------------------------------------------
// Worker mode: tokenize jobs for one model, one JSON line per finished job,
// appended synchronously to a file so that everything before an abort reaches
// the parent (a pipe could refuse a write with EAGAIN).
if (process.argv[2] === "--worker") {
  const [, , , modelPath, jobsPath, resultsPath] = process.argv;
  const {getLlama} = await import("node-llama-cpp");
  const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
  const model = await llama.loadModel({modelPath, vocabOnly: true});
  const jobs = JSON.parse(fs.readFileSync(jobsPath, "utf8"));
  const out = fs.openSync(resultsPath, "a");
  const emit = (o) => fs.writeSync(out, JSON.stringify(o) + "\n");
  for (const job of jobs) {
    if (job.kind === "tokenize") {
      emit({id: job.id, ids: Array.from(model.tokenize(job.text, job.special))});
    } else if (job.kind === "detok") {
      const bos = model.tokens.bos;
      emit({id: job.id, text: model.detokenize([bos, job.token], job.special)});
    } else if (job.kind === "book") {
      const text = fs.readFileSync(job.path, "utf8");
      const ids = model.tokenize(text, job.special);
      emit({id: job.id, n: ids.length, fnv: fnv1a64(ids)});
    } else if (job.kind === "info") {
      // Vocabulary facts: size, BOS/EOS and whether llama_tokenize adds them,
      // end-of-generation ids, and every token attribute that is not plain NORMAL.
      const n = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
      const eog = [];
      const attrs = [];
      for (let id = 0; id < n; id++) {
        if (model._model.isEogToken(id)) eog.push(id);
        const a = model._model.getTokenAttributes(id);
        if (a !== 4) attrs.push([id, a]);
      }
      emit({id: job.id, n_vocab: n, bos: model.tokens.bos, eos: model.tokens.eos,
            add_bos: model.tokens.shouldPrependBosToken, add_eos: model.tokens.shouldAppendEosToken, eog, attrs});
    }
  }
  process.exit(0);
}

// FNV-1a 64 over the ids as little-endian int32, as hex.
function fnv1a64(ids) {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const id of ids) {
    for (let k = 0; k < 4; k++) {
      h ^= BigInt((id >>> (8 * k)) & 0xff);
      h = (h * prime) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, "0");
}

// Metadata edits on a GGUF without tensors (mirrors tests/tokenizer/gguf_patch.h):
// every other byte is kept.
function patchGguf(buf, edits) {
  let at = 24;
  const u64 = (o) => Number(buf.readBigUInt64LE(o));
  if (buf.toString("latin1", 0, 4) !== "GGUF" || u64(8) !== 0) throw new Error("patchGguf: not a tensor-less GGUF");
  const scalar = {0: 1, 1: 1, 7: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 10: 8, 11: 8, 12: 8};
  const valueSize = (o, type) => {
    if (type === 8) return 8 + u64(o);
    if (type === 9) {
      const elem = buf.readUInt32LE(o);
      const n = u64(o + 4);
      let len = 12;
      for (let i = 0; i < n; i++) len += valueSize(o + len, elem);
      return len;
    }
    return scalar[type];
  };
  const kvs = [];
  for (let i = 0, n = u64(16); i < n; i++) {
    const klen = u64(at);
    const key = buf.toString("utf8", at + 8, at + 8 + klen);
    at += 8 + klen;
    const len = 4 + valueSize(at + 4, buf.readUInt32LE(at));
    kvs.push({key, typed: buf.subarray(at, at + len)});
    at += len;
  }
  const rest = buf.subarray(at);
  const u64buf = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const u32buf = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const strbuf = (s) => { const b = Buffer.from(s, "utf8"); return Buffer.concat([u64buf(b.length), b]); };
  for (const e of edits) {
    const i = kvs.findIndex((kv) => kv.key === e.key);
    const typed = e.op === "set_string" ? Buffer.concat([u32buf(8), strbuf(e.value)])
      : e.op === "set_bool" ? Buffer.concat([u32buf(7), Buffer.from([e.value ? 1 : 0])]) : null;
    if (e.op === "remove") { if (i >= 0) kvs.splice(i, 1); }
    else if (i >= 0) kvs[i].typed = typed;
    else kvs.push({key: e.key, typed});
  }
  const parts = [buf.subarray(0, 16), u64buf(kvs.length)];
  for (const kv of kvs) parts.push(strbuf(kv.key), kv.typed);
  parts.push(rest);
  return Buffer.concat(parts);
}

// For SPM vocabularies without byte fallback (TinyStories-656K), llama.cpp
// aborts when a character ends up as a symbol of its own that is no token and
// one of its bytes has neither a <0xNN> nor a one-byte token. A character that
// occurs in no token text at all can never be merged away, so its presence
// makes the abort certain; those jobs are not run (a child process per abort
// would take many minutes). Others that abort are caught by runJobs.
function abortScreen(tokens, model) {
  if (model !== "llama") return () => false;
  const inTokens = new Set();
  for (const t of tokens) for (const ch of t) inTokens.add(ch);
  const tokenSet = new Set(tokens);
  const byteOk = (b) => tokenSet.has(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ||
                        tokenSet.has(Buffer.from([b]).toString("latin1"));
  return (text) => {
    for (const ch of text.replaceAll(" ", "\u2581")) {
      if (inTokens.has(ch)) continue;
      if (![...Buffer.from(ch, "utf8")].every(byteOk)) return true;
    }
    return false;
  };
}

// Runs jobs in child processes, restarting after an abort (SIGABRT); the job
// that was running when a child aborted gets {aborted: true}.
function runJobs(modelPath, jobs) {
  const results = new Map();
  let pending = jobs;
  const tmpDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "tome-golden-"));
  const tmp = path.join(tmpDir, "jobs.json");
  const resultsPath = path.join(tmpDir, "results.jsonl");
  while (pending.length > 0) {
    fs.writeFileSync(tmp, JSON.stringify(pending));
    fs.writeFileSync(resultsPath, "");
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", modelPath, tmp, resultsPath],
                        {cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 30});
    for (const line of fs.readFileSync(resultsPath, "utf8").split("\n")) {
      if (line) {
        const o = JSON.parse(line);
        results.set(o.id, o);
      }
    }
    const rest = pending.filter((j) => !results.has(j.id));
    if (rest.length === 0) break;
    if (r.signal !== "SIGABRT") {
      throw new Error(`worker for ${modelPath} failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    }
    results.set(rest[0].id, {id: rest[0].id, aborted: true});
    process.stderr.write(`  llama.cpp aborted on job ${rest[0].id} (${modelPath})\n`);
    pending = rest.slice(1);
  }
  fs.rmSync(tmpDir, {recursive: true, force: true});
  return results;
}

// ---------------------------------------------------------------------------
// Test strings.
function vocabInputs() {
  const raw = fs.readFileSync(path.join(dataDir, "models/vocab/ggml-vocab-llama-spm.gguf.inp"), "utf8");
  const parts = raw.split("\n__ggml_vocab_test__\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

function handWritten() {
  return [
    // whitespace
    "", " ", "  ", "   ", "    ", "        ", "\t", "\t\t", " \t", "\t ", "\n", "\n\n", "\n\n\n", "\r\n",
    "\r\n\r\n", "\r", " \n ", "\n \n", "a  b", "a   b", "a    b", "a\tb", "a \t b", "a\nb", "a\r\nb",
    "a \r\n b", "abc   ", "   abc", "  abc  ", " a", "a ", "\u00a0", "a\u00a0b", "\u3000", "\u3000abc",
    "\u2003x", "x\u2009y", "\u0085", "a\u0085b", "\u200b", "a\u200bb", "\ufeff", "\ufeffHello", "\v\f",
    "line1\nline2\n\nline4", "\n\nHello\n\n", " \n\n \n", "\t\tindented", "trailing tab\t",
    "x\u2028y", "x\u2029y", "  \u00a0  ",
    // accents and combining marks
    "café", "naïve", "Führer", "résumé", "e\u0301", "cafe\u0301", "Ångström", "ﬁne", "Ⅻ", "½", "x²",
    "٣٤٥", "१२३", "ÀÉÎÕÜ", "àéîõü", "Ça va?", "Ærø", "São Paulo", "Straße", "İstanbul", "ǅ",
    // CJK and other scripts
    "你好世界", "日本語のテキスト", "한국어 텍스트", "中文，标点。", "ｆｕｌｌｗｉｄｔｈ", "カタカナ",
    "GPT-4是一个模型", "漢字かな交じり文", "Привет мир", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
    "สวัสดีครับ", "नमस्ते दुनिया", "Tiếng Việt có dấu", "ខ្មែរ", "Ελληνικά 123", "ㄱㄴㄷ", "〜〜",
    // emoji
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇺🇸", "a😀b", "😀😀😀", "✅ done", "🦙 llama",
    "emoji at end 🎉", " 😀 ", "🤷‍♂️", "©️", "1️⃣",
    // code
    "def f(x):\n    return x*2\n", "if (a && b) { c++; }", "<div class=\"x\">hi</div>", "x = [1, 2, 3]",
    "std::vector<int> v;", "// comment", "#include <stdio.h>", "SELECT * FROM t WHERE id=1;",
    "fn main() {\n\tprintln!(\"hi\");\n}", "{\"key\": [1, 2.5, null, true]}", "/^a+b*$/g", "$HOME/.config",
    "C:\\Users\\x", "https://example.com/a?b=c&d=e#f", "a->b", "x != y", "i += 1;", "<<EOF\nhi\nEOF",
    "    four spaces", "\tfunc()", "arr[i][j]", "@decorator", "#!/bin/sh", "a_b_c", "CamelCaseWord",
    "snake_case_word", "kebab-case-word", "x=1;y=2", "`backticks`", "~/path", "a|b", "a^b", "<=>",
    // digits
    "1", "12", "123", "1234", "12345", "123456", "1234567", "1234567890", "3.14159", "1,000,000",
    "2024-01-01", "0x1F", "1e-10", "₁₂₃", "12:30", "+49 30 1234567", "v1.2.3", "10%", "a1b2c3",
    "007", "99 bottles", "H2O", "COVID-19", "ABC123def", "x2y3z",
    // contractions
    "don't", "I'm", "we're", "they've", "he'll", "she'd", "DON'T", "I'M", "It's", "'s", "'", "''",
    "rock 'n' roll", "it’s", "'S", "'LL", "'Re", "'vE", "''s", "'d'd", "can't've", "y'all",
    // special-token look-alikes
    "<|im_end|>", "<|im_start|>user\nhi<|im_end|>", "<s>", "</s>", "<s>hello</s>", "<unk>",
    "<|endoftext|>", "<|start_story|>", "<|end_story|>", "<|start_story|>Once upon a time<|end_story|>",
    "text<|endoftext|>more", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<|EOT|>", "<pad>",
    "<|User|>", "[PAD32022]", " <s> ", "<s><s>", "</s></s>", "<<s>>", "<s", "s>", "<0x0A>",
    "<|eot_id|>", "<end_of_turn>", "▁", "▁▁", "▁hello", "hello▁world", "õ", "÷", "ÿ", "ö ü",
    "Über öl", "<｜fim▁hole｜>", "<｜fim▁begin｜>code<｜fim▁end｜>", "<|Assistant|>", "a<pad>b",
    " <|endoftext|> ", "<|endoftext|><|endoftext|>", "<unk><unk>", "<s> <s>", "<|im_end|>\n",
    // punctuation and symbols
    "Hello, world!", "...", "?!?!", "—", "a – b", "“quoted”", "«guillemets»", "(parens)", "[brackets]",
    "{braces}", "a.b.c", "e.g.", "!!!", "@user #tag", "$5.00", "€10", "£", "¥", "©®™", "~^|<=>",
    "…", "•", "→", "∑", "√2", "°C", "§1", "¿Qué?", "¡Hola!", "a/b", "a\\b", "\"", "#", "%", "&&",
    // prose
    "Once upon a time, there was a little girl named Lily.",
    "She loved to play outside in the park with her dog, Max.",
    "One day, they found a big red ball under a tree. \"Look!\" said Lily.",
    "The quick brown fox jumps over the lazy dog.",
    "It was the best of times, it was the worst of times.",
    "Call me Ishmael. Some years ago\u2014never mind how long precisely\u2014having little or no money",
    "\ufeffThe Project Gutenberg eBook of Alice\u2019s Adventures in Wonderland\r\n\r\nThis ebook is for",
    "CHAPTER I.\r\nDown the Rabbit-Hole\r\n\r\n\r\nAlice was beginning to get very tired",
    // repetition
    "aaaaaaaaaaaaaaaaaaaaaaaa", "ababababababab", "!!!!!!!!!!!!!!!", " ".repeat(20), "\n".repeat(12),
    "1".repeat(40), "ha".repeat(15), "\t".repeat(6), "😀".repeat(5), "the the the the",
    // odd code points
    "a\u0000b", "\u0001\u0002", "\u0378", "\ue000", "\u{10ffff}", "\u00ad", "x\u034fy", "\u2060",
    "\u{1d400}\u{1d401}", "\u{20000}", "ℌ𝔢𝔩𝔩𝔬",
    // classes of the deepseek-llm pre-tokenizer
    "trailing   ", "x \t\n", "ＡＢＣ！？ｘｙｚ", "‘single’ „low“", "Kelvin \u212a Ohm \u2126", "ǅemal ʕ",
    "Ꭰ Ᏽ", "µ m", "abc\u3000def", "。、！", "x\u3000。", "ⰀⰁ", "𐐀𐐁 𞤀",
    // classes of the deepseek-v3 (hunyuan-dense) pre-tokenizer
    "日本語のテキストとカタカナ", "ｶﾀｶﾅ ひらがな", "$Hello #tag (abc) @user", "e\u0301te\u0301 \u0301x",
    "क्षत्रिय", "x\u200dy \u200d", "1234567 89", "٣٤٥٦ ½", "a+b=c", " ..\n\nx", "(\u00e9t\u00e9)",
    "'Hello' \"World\"", "--flag=value", "\u00a0word", "«guillemets»", "C++ & C#",
  ];
}

// Seeded mixes of the interesting classes (xorshift32, fixed seed).
function randomMixes(count) {
  const alphabet = [
    "a", "b", "e", "s", "t", "A", "Z", " ", " ", " ", "  ", "\t", "\n", "\r\n", "0", "7", "42", "'", "'s",
    ".", ",", "!", "?", "-", "_", "(", ")", "<", ">", "|", "$", "+", "=", "é", "ü", "ß", "ñ", "中", "文", "한",
    "ア", "😀", "👍🏽", "‍", "️", "🇫🇷", "\u00a0", "\u3000", "<s>", "</s>", "<|im_end|>", "<|endoftext|>",
    "<unk>", "▁", "Ω", "ж", "ά", "٣", "½", "…", "—", "“", "”", "\u0301", "ö", "÷",
  ];
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const out = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + (next() % 24);
    let s = "";
    for (let k = 0; k < len; k++) s += alphabet[next() % alphabet.length];
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Pre-tokenizer splits with JS RegExp (llama.cpp's regex lists; \s -> White_Space).
function re(src) {
  const fixed = src.replaceAll("\\s", "\\p{White_Space}").replaceAll("\\S", "\\P{White_Space}");
  return new RegExp(fixed, "gu");
}
const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE = LLAMA3_RE.replace("\\p{N}{1,3}", "\\p{N}");
// Seed-Coder's (llama.cpp's rewrite: \\p{N}{1}, and \\r\\n inside the punctuation class, no [\\r\\n]* after it)
const SEED_CODER_RE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// llama.cpp's rewrite of Mistral's Tekken regex (its case classes as "a letter not a-z" and "a letter
// not A-Z", \\p{M} left out), which std::regex runs over the collapsed text
const TEKKEN_RE = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// GPT-4o's (o200k: gpt-oss, Llama 4), as llama.cpp writes it: Tekken's case classes with a
// contraction after the letters and numbers in threes
const CONTRACTION = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
const GPT4O_RE = `[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+${CONTRACTION}|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*${CONTRACTION}|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;
const PRE_TOKENIZERS = {
  "gpt-2": [GPT2_RE],
  "default": ["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_RE, "\\p{N}+", "[0-9][0-9][0-9]"],
  "llama-bpe": [LLAMA3_RE],
  "qwen2": [QWEN2_RE],
  "seed-coder": [SEED_CODER_RE],
  "tekken": [TEKKEN_RE],
  "gpt-4o": [GPT4O_RE],
  // llama.cpp runs the CJK class over text where non-ASCII White_Space became
  // U+000B, so White_Space inside the class's ranges (U+3000...) never matches.
  "deepseek-coder": ["[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "(?:(?!\\s)[一-龥ࠀ-一가-퟿])+", "\\p{N}"],
  // llama.cpp's deepseek-llm list: no \\p{..} except the last, so the literal
  // classes never match non-ASCII White_Space (replaced by U+000B there).
  "deepseek-llm": ["[\\r\\n]", "\\s?(?:(?!\\s)[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃])+", "\\s?(?:(?!\\s)[!-/:-~！-／：-～‘-‟　-。])+", "\\s+$",
                   "(?:(?!\\s)[一-龥ࠀ-一가-퟿])+", "\\p{N}+"],
  // llama.cpp's deepseek-v3 list (also hunyuan-dense, joyai-llm); the class ranges hold no White_Space
  "deepseek-v3": ["\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
                  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"],
};

function splitWith(text, regexes) {
  let pieces = text === "" ? [] : [text];
  for (const src of regexes) {
    const next = [];
    for (const piece of pieces) {
      let last = 0;
      for (const m of piece.matchAll(re(src))) {
        if (m[0].length === 0) continue;
        if (m.index > last) next.push(piece.slice(last, m.index));
        next.push(m[0]);
        last = m.index + m[0].length;
      }
      if (last < piece.length) next.push(piece.slice(last));
    }
    pieces = next;
  }
  return pieces;
}

// ---------------------------------------------------------------------------
async function main() {
  const seen = new Set();
  const strings = [];
  for (const s of [...handWritten(), ...vocabInputs(), ...randomMixes(120)]) {
    if (!seen.has(s)) {
      seen.add(s);
      strings.push(s);
    }
  }

  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "node_modules/node-llama-cpp/package.json"), "utf8"));
  const golden = {
    generated_by: "native/tools/make-tokenizer-golden.mjs",
    node: process.version,
    unicode: process.versions.unicode,
    node_llama_cpp: pkg.version,
    strings,
    models: [],
    splits: [],
  };

  const {readGgufFileInfo} = await import("node-llama-cpp");
  const tmpDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "tome-golden-models-"));
  for (const m of MODELS) {
    let modelPath = path.join(dataDir, "models", m.file);
    const name = m.file + (m.patch ? " " + JSON.stringify(m.patch) : "");
    process.stderr.write(`${name}\n`);
    if (m.patch) {
      const patched = path.join(tmpDir, `patched-${golden.models.length}.gguf`);
      fs.writeFileSync(patched, patchGguf(fs.readFileSync(modelPath), m.patch));
      modelPath = patched;
    }
    const meta = (await readGgufFileInfo(modelPath, {readTensorInfo: false})).metadata.tokenizer.ggml;
    const certainAbort = abortScreen(meta.tokens, meta.model);
    const info = runJobs(modelPath, [{id: "info", kind: "info"}]).get("info");
    const jobs = [];
    const skipped = new Set();
    const screen = (job, text) => (certainAbort(text) ? skipped.add(job.id) : jobs.push(job));
    strings.forEach((text, i) => {
      screen({id: `p${i}`, kind: "tokenize", text, special: false}, text);
      screen({id: `s${i}`, kind: "tokenize", text, special: true}, text);
    });
    // Pieces (not for patched variants: pre-tokenizers do not change them):
    // every id of small vocabularies; the first and last 300 and every 13th of
    // large ones (that covers control, byte and user-defined tokens).
    const n = info.n_vocab;
    const pieceIds = [];
    for (let id = 0; id < n && !m.patch; id++) {
      if (n <= 4096 || id < 300 || id >= n - 300 || id % 13 === 0) pieceIds.push(id);
    }
    // With render_special only tokens that are not NORMAL can differ.
    const notNormal = new Set(info.attrs.map(([id]) => id));
    for (const id of pieceIds) {
      jobs.push({id: `d${id}`, kind: "detok", token: id, special: false});
      if (notNormal.has(id)) jobs.push({id: `D${id}`, kind: "detok", token: id, special: true});
    }
    BOOKS.forEach((b, k) => {
      const p = path.join(dataDir, "books", b);
      const text = fs.readFileSync(p, "utf8");
      screen({id: `b${k}`, kind: "book", path: p, special: false}, text);
      screen({id: `B${k}`, kind: "book", path: p, special: true}, text);
    });
    // Sanity check of the screen: the first two skipped jobs must really abort.
    const probe = [...skipped].slice(0, 2);
    for (const id of probe) {
      const i = Number(id.slice(1));
      const job = id[0] === "p" || id[0] === "s"
        ? {id, kind: "tokenize", text: strings[i], special: id[0] === "s"}
        : {id, kind: "book", path: path.join(dataDir, "books", BOOKS[i]), special: id[0] === "B"};
      if (!runJobs(modelPath, [job]).get(id).aborted) throw new Error(`abort screen wrong for ${id} on ${name}`);
    }
    const res = runJobs(modelPath, jobs);
    for (const id of skipped) res.set(id, {id, aborted: true});
    process.stderr.write(`  ${skipped.size} jobs skipped as certain aborts\n`);
    const ids = (key) => (res.get(key).aborted ? null : res.get(key).ids);
    const detok = (key) => (res.get(key).aborted ? null : res.get(key).text);
    golden.models.push({
      file: m.file,
      patch: m.patch ?? [],
      clean_spaces: m.clean_spaces,
      n_vocab: info.n_vocab,
      bos: info.bos,
      eos: info.eos,
      add_bos: info.add_bos,
      add_eos: info.add_eos,
      eog: info.eog,
      attrs: info.attrs,
      plain: strings.map((_, i) => ids(`p${i}`)),
      special: strings.map((_, i) => ids(`s${i}`)),
      pieces: {
        ids: pieceIds,
        plain: pieceIds.map((id) => detok(`d${id}`)),
        special: pieceIds.map((id) => (res.has(`D${id}`) ? detok(`D${id}`) : null)),
      },
      books: BOOKS.flatMap((b, k) => ["b", "B"].map((tag) => {
        const r = res.get(`${tag}${k}`);
        return {file: b, parse_special: tag === "B", aborted: !!r.aborted, n_tokens: r.n ?? 0, fnv1a64: r.fnv ?? ""};
      })),
    });
  }
  fs.rmSync(tmpDir, {recursive: true, force: true});

  for (const [pre, regexes] of Object.entries(PRE_TOKENIZERS)) {
    golden.splits.push({pre, regexes, pieces: strings.map((s) => splitWith(s, regexes))});
  }

  // Arrays of numbers / strings on one line, everything else indented.
  const fmt = (v, ind) => {
    // ids, and short lists of strings (one string's pieces), stay on one line
    const flat = Array.isArray(v) && (v.every((x) => x === null || typeof x === "number") ||
      (v.every((x) => typeof x === "string") && JSON.stringify(v).length <= 400));
    if (v === null || typeof v !== "object" || flat) return JSON.stringify(v);
    const pad = " ".repeat(ind + 1);
    const items = Array.isArray(v)
      ? v.map((x) => pad + fmt(x, ind + 1))
      : Object.entries(v).map(([k, x]) => pad + JSON.stringify(k) + ": " + fmt(x, ind + 1));
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    return items.length ? `${open}\n${items.join(",\n")}\n${" ".repeat(ind)}${close}` : open + close;
  };
  const out = fmt(golden, 0);
  fs.mkdirSync(path.dirname(outPath), {recursive: true});
  fs.writeFileSync(outPath, out + "\n");
  process.stderr.write(`wrote ${outPath}: ${strings.length} strings, ${MODELS.length} models\n`);
}

await main();
