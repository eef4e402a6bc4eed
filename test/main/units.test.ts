// Small pure pieces: token -> char offsets, chat template segments, passages
// from attention, prompt assembly around the book, CLI number arguments.
import { describe, expect, it, vi } from "vitest";
import { documentTokenStarts, tokenAtChar, tokenCharOffsets } from "../../main/host/token-offsets";
import { FALLBACK_TEMPLATE, renderSegments } from "../../main/host/chat-template";
import { answeredTurns } from "../../main/app/answer";
import { historyContent } from "../../main/app/harmony";
import { passagesFromAttention } from "../../main/app/highlights";
import { buildPrompt, promptLayout } from "../../main/app/prompt";
import { FakeEngine } from "./helpers/fake-engine";
import { defaultDataDir } from "../../main/app/paths";
import { floatArg } from "../../main/cli/args";
import { estimateMemory, estimateRetrievalHost, MAX_SESSION_CTX } from "../../main/engine/memory";
import { memoryAtPeak, modelDetails } from "../../main/app/models";
import type { GgufSummary } from "../../main/engine/native";
import { admissionOrder, sessionBytes, turnRatios, WARMUP, warmedUp } from "../../main/bench/decode-turns";

const enc = (s: string) => new TextEncoder().encode(s);

describe("token offsets", () => {
  it("maps byte pieces to UTF-16 offsets, across multi-byte characters and SPM's leading space", () => {
    const text = "Café 😀 ok";
    // SentencePiece-like pieces: a leading space, then "Caf", "é", " ", 4 bytes of 😀 split in two, " ok"
    const emoji = enc("😀");
    const pieces = [enc(" Caf"), enc("é"), enc(" "), emoji.subarray(0, 2), emoji.subarray(2), enc(" ok")];
    expect(Array.from(tokenCharOffsets(text, pieces))).toEqual([0, 3, 4, 5, 5, 7]);
    const starts = tokenCharOffsets(text, pieces);
    expect(tokenAtChar(starts, 3)).toBe(1);
    expect(tokenAtChar(starts, 8)).toBe(5);
  });
  it("without a space prefix offsets are exact", () => {
    expect(Array.from(tokenCharOffsets("ab cd", [enc("ab"), enc(" cd")]))).toEqual([0, 2]);
  });
  it("a document's token starts ask each distinct token's piece once, and equal the piece-by-piece map", () => {
    const text = "Café 😀 ok Café";
    const vocab = new Map([[1, enc(" Caf")], [2, enc("é")], [3, enc(" ")], [4, enc("😀")], [5, enc(" ok")]]);
    const tokens = Int32Array.from([1, 2, 3, 4, 5, 1, 2]);
    const asked: number[] = [];
    const starts = documentTokenStarts(text, tokens, (id) => (asked.push(id), vocab.get(id)!));
    expect(Array.from(starts)).toEqual(Array.from(tokenCharOffsets(text, Array.from(tokens, (t) => vocab.get(t)!))));
    expect(Array.from(starts)).toEqual([0, 3, 4, 5, 7, 10, 14]);
    expect(asked.filter((id) => id === 1).length).toBeLessThanOrEqual(2); // once for its length, once for the leading space
    expect(new Set(asked).size).toBe(5);
  });
});

describe("chat template", () => {
  it("renders content apart from template text, and the book as one segment", async () => {
    const segs = await renderSegments(
      [
        { role: "system", parts: [{ doc: true }, { text: "\n\nBe brief." }] },
        { role: "user", parts: [{ text: "Who <|im_start|> is\uE000 Alice?" }] },
      ],
      { template: FALLBACK_TEMPLATE, bosToken: "<s>", eosToken: "</s>", addGenerationPrompt: true, docText: "BOOK" },
    );
    expect(segs.map((s) => [s.kind, s.text, !!s.doc])).toEqual([
      ["template", "<s>", false],
      ["content", "BOOK", true],
      ["content", "\n\nBe brief.", false],
      ["template", "\n\nQuestion: ", false],
      ["content", "Who <|im_start|> is Alice?", false],
      ["template", "\nAnswer:", false],
    ]);
  });
  it("uses a model's own (ChatML) template", async () => {
    const chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    const segs = await renderSegments([{ role: "user", parts: [{ text: "hi" }] }], { template: chatml, bosToken: "", eosToken: "", addGenerationPrompt: true, docText: "" });
    expect(segs.map((s) => s.text).join("")).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    expect(segs.find((s) => s.text === "hi")?.kind).toBe("content");
  });
  it("asks a hybrid reasoning model (Qwen3) to answer without thinking first", async () => {
    const qwen3End =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
      "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}" +
      "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}";
    const segs = await renderSegments([{ role: "user", parts: [{ text: "hi" }] }], { template: qwen3End, bosToken: "", eosToken: "", addGenerationPrompt: true, docText: "" });
    expect(segs.map((s) => s.text).join("")).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  });
  it("gives gpt-oss's template its lowest reasoning effort and, for history, its answers' final messages alone", async () => {
    // gpt-oss's template raises on channel tags in an assistant's content (its converter's check)
    const harmonyLike =
      "{% for m in messages %}{% if '<|channel|>' in m.content %}{{ raise_exception('channel tags in content') }}{% endif %}" +
      "<|start|>{{ m.role }}<|message|>{{ m.content }}<|end|>{% endfor %}Reasoning: {{ reasoning_effort }}";
    const raw = "<|channel|>analysis<|message|>Who? Alice.<|end|><|start|>assistant<|channel|>final<|message|>Alice.";
    const turns = answeredTurns([
      { role: "user", content: "Who?", status: "done" },
      { role: "assistant", content: raw, status: "done" },
    ]);
    expect(turns[1]).toEqual({ role: "assistant", content: "Alice." });
    expect(historyContent("<think>x</think>Alice.")).toBe("<think>x</think>Alice.");
    const segs = await renderSegments(turns.map((t) => ({ role: t.role, parts: [{ text: t.content }] })), { template: harmonyLike, bosToken: "", eosToken: "", addGenerationPrompt: true, docText: "" });
    const text = segs.map((x) => x.text).join("");
    expect(text).toContain("<|start|>assistant<|message|>Alice.<|end|>");
    expect(text).toContain("Reasoning: low");
  });
  it("falls back when a template cannot be rendered", async () => {
    const segs = await renderSegments([{ role: "user", parts: [{ text: "hi" }] }], { template: "{% bogus %}", bosToken: "", eosToken: "", addGenerationPrompt: true, docText: "" });
    expect(segs.map((s) => s.text).join("")).toBe("Question: hi\nAnswer:");
  });
});

describe("highlights", () => {
  it("widens attended tokens to passages, merges neighbours, keeps the heaviest", () => {
    const text = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj";
    const starts = Int32Array.from({ length: text.length }, (_v, i) => i);
    const hs = passagesFromAttention(text, starts, { positions: [0, 2, 45], weights: [0.2, 0.3, 0.4] }, { radius: 3, max: 5 });
    expect(hs).toHaveLength(2);
    expect(hs[0].weight).toBeCloseTo(0.5);
    expect(hs[0].text.startsWith("aaaa")).toBe(true);
    expect(hs[1].text).toContain("jjjj");
  });
});

describe("prompt", () => {
  it("puts the book's tokens at docStart and the question after it", async () => {
    const e = new FakeEngine();
    const model = (await e.call("load", { path: "/m.gguf", ctx: 2048, threads: 1 }))!;
    const doc = Int32Array.from("BOOK", (c) => c.charCodeAt(0));
    const p = await buildPrompt(e, model, doc, "Be brief.", [], "Why?");
    const str = String.fromCharCode(...p.tokens.subarray(1));
    expect(p.tokens[0]).toBe(1); // BOS from the tokenizer, not the template's "<s>" text
    expect(String.fromCharCode(...p.tokens.subarray(p.docStart, p.docEnd))).toBe("BOOK");
    expect(str).toBe("BOOK\n\nBe brief.\n\nQuestion: Why?\nAnswer:");
    const prefix = await buildPrompt(e, model, doc, "Be brief.", [], null);
    expect(Array.from(prefix.tokens)).toEqual(Array.from(p.tokens.subarray(0, prefix.tokens.length)));
    expect(prefix.docEnd).toBe(prefix.tokens.length);
  });
});

describe("prompt layout", () => {
  const ctx = (template: string | null) => ({ template, bosToken: "<s>", eosToken: "</s>" });
  const chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  // the system message joins the last question (Mistral v0.3's shape)
  const lastQuestion =
    "{% if messages[0].role == 'system' %}{% set sys = messages[0].content %}{% set ms = messages[1:] %}{% else %}{% set sys = '' %}{% set ms = messages %}{% endif %}" +
    "{% for m in ms %}{% if m.role == 'user' %}[INST] {% if loop.last and sys %}{{ sys }} {% endif %}{{ m.content }}[/INST]{% else %}{{ m.content }}</s>{% endif %}{% endfor %}";
  const userOnly = "{% for m in messages %}{% if m.role == 'user' %}U: {{ m.content }}\n{% endif %}{% endfor %}";
  it("keeps the book where what precedes it renders the same in every turn, checked once per template", async () => {
    const notes: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => (notes.push(String(s)), true));
    try {
      expect(await promptLayout(ctx(chatml))).toBe("system");
      expect(await promptLayout(ctx(lastQuestion))).toBe("first-user");
      expect(await promptLayout(ctx(lastQuestion))).toBe("first-user");
      expect(await promptLayout(ctx(userOnly))).toBe("first-user");
      expect(await promptLayout(ctx("{% bogus %}"))).toBe("plain");
      expect(await promptLayout(ctx(null))).toBe("plain");
    } finally {
      spy.mockRestore();
    }
    expect(notes).toEqual([
      "tome: the chat template moves the system message as the conversation grows; the book goes into the first question\n",
      "tome: the chat template leaves out the system message; the book goes into the first question\n",
      expect.stringMatching(/^tome: the chat template failed \(.*\); using the fallback template\n$/),
    ]);
  });
});

describe("paths", () => {
  it("uses the platform's app-data folder", () => {
    expect(defaultDataDir("linux", {}, "/home/u")).toBe("/home/u/.config/tome");
    expect(defaultDataDir("linux", { XDG_CONFIG_HOME: "/x" }, "/home/u")).toBe("/x/tome");
    expect(defaultDataDir("darwin", {}, "/Users/u")).toBe("/Users/u/Library/Application Support/tome");
    expect(defaultDataDir("win32", { APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "C:\\Users\\u")).toMatch(/Roaming.tome$/);
  });
});

describe("CLI number arguments", () => {
  it("floatArg: the default when absent, finite numbers in range, closed or open at the bottom", () => {
    expect(floatArg(undefined, "x", 0.25, 0, 1, true)).toBe(0.25);
    expect(floatArg("1", "x", 0, 0, 1, true)).toBe(1);
    expect(floatArg("0", "x", 1, 0, 1)).toBe(0);
    expect(() => floatArg("0", "query-sample", 0.25, 0, 1, true)).toThrow("--query-sample must be in (0, 1], got '0'");
    expect(() => floatArg("1.5", "widen-below", 0, 0, 1)).toThrow("--widen-below must be in [0, 1], got '1.5'");
    expect(() => floatArg("-0.1", "widen-below", 0, 0, 1)).toThrow(/must be in \[0, 1\]/);
    expect(() => floatArg("abc", "temp", 0.8)).toThrow("--temp must be a number, got 'abc'");
    expect(floatArg("-3", "temp", 0.8)).toBe(-3);  // no range: any finite number
  });
});

describe("decode bench turns", () => {
  it("offers the goals' rows first, longest context first, and sizes a session by its mode", () => {
    const rows = [4096, 131072].flatMap((ctx) => (["full", "retrieval", "flat", "streaming"] as const).map((mode) => ({ ctx, mode })));
    expect(admissionOrder(rows).map((r) => `${r.mode} ${r.ctx}`)).toEqual([
      "retrieval 131072", "retrieval 4096", "full 131072", "full 4096",
      "flat 131072", "flat 4096", "streaming 131072", "streaming 4096",
    ]);
    const smol = { nLayer: 30, nHeadKv: 3, headDim: 64 };
    // K and V in f16: 30 x 3 x 16384 x 64 x 2 x 2 bytes (the session's kvBytes() at 16K, less its row padding)
    expect(sessionBytes(smol, 16384, "full")).toBe(30 * 3 * 16384 * 256);
    expect(sessionBytes(smol, 16384, "streaming")).toBe(sessionBytes(smol, 16384, "full"));
    // the graph's bytes a key measured 304 at head dim 64 (smol, 16K): the estimate stays above
    const graph = (sessionBytes(smol, 16384, "retrieval") - sessionBytes(smol, 16384, "full")) / (30 * 3 * 16384);
    expect(graph).toBeGreaterThanOrEqual(304);
    expect(graph).toBeLessThan(2 * 304);
    const flat = (sessionBytes(smol, 16384, "flat") - sessionBytes(smol, 16384, "full")) / (30 * 3 * 16384);
    expect(flat).toBeGreaterThanOrEqual(138);
    expect(flat).toBeLessThan(2 * 138);
  });

  it("compares rows turn by turn: full over retrieval, and each context's retrieval over the shortest's", () => {
    const lines = turnRatios([
      { ctx: 4096, mode: "retrieval", blocks: [20, 25] },
      { ctx: 131072, mode: "full", blocks: [300, 250] },
      { ctx: 131072, mode: "retrieval", blocks: [40, 50] },
      { ctx: 131072, mode: "streaming", blocks: [8, 9] },
    ]);
    expect(lines).toEqual([
      "ctx 131072 full / retrieval per turn: 7.50 5.00 (mean 6.25, 5.00-7.50)",
      "retrieval ctx 131072 / ctx 4096 per turn: 2.00 2.00 (mean 2.00, 2.00-2.00)",
    ]);
    expect(turnRatios([{ ctx: 4096, mode: "full", blocks: [1] }])).toEqual([]);
  });

  it("warms a row up until its untimed blocks stop getting faster, within the step bounds", () => {
    // the rule with a floor of 16 steps: steady once a block is less than 1.05x faster than the one before
    const rule = { ...WARMUP, minSteps: 16 };
    expect(warmedUp([], rule)).toBe(false);
    expect(warmedUp([30], rule)).toBe(false);
    expect(warmedUp([30, 30], rule)).toBe(true);
    expect(warmedUp([31.4, 30], rule)).toBe(true);
    expect(warmedUp([31.6, 30], rule)).toBe(false);
    expect(warmedUp([30, 33], rule)).toBe(true);  // slower: noise, not memory coming back
    // the smol 128K retrieval row of 2026-12-02 05:17 (untimed, then its timed blocks)
    expect(warmedUp([76.4, 44.5], rule)).toBe(false);
    expect(warmedUp([76.4, 44.5, 41.8], rule)).toBe(false);
    expect(warmedUp([76.4, 44.5, 41.8, 37.9], rule)).toBe(false);
    expect(warmedUp([76.4, 44.5, 41.8, 37.9, 37.6], rule)).toBe(true);
    // the default floor, 64 steps: the 2026-12-04 row whose slow fourth block had passed for steady
    const row = [84.1, 61.1, 58.7, 73.0, 58.0, 56.6, 48.8, 47.5];
    expect(warmedUp(row.slice(0, 4), rule)).toBe(true);
    for (let n = 2; n < row.length; n++) expect(warmedUp(row.slice(0, n))).toBe(false);
    expect(warmedUp(row)).toBe(true);
    // a row that keeps getting faster stops at the cap
    const faster = Array.from({ length: WARMUP.maxSteps / WARMUP.blockSteps }, (_, i) => 100 / 1.1 ** i);
    expect(warmedUp(faster.slice(0, -1))).toBe(false);
    expect(warmedUp(faster)).toBe(true);
  });
});

describe("memory estimate", () => {
  // a GGUF's summary as inspectGguf gives it: 2 layers, 2 KV heads of 4 dims, 1000 bytes of weights
  const summary = (contextLength?: number): GgufSummary => ({
    version: 3,
    fileSize: 2000,
    alignment: 32,
    dataOffset: 1000,
    metadata: {
      "general.architecture": "llama",
      "llama.block_count": 2,
      "llama.embedding_length": 16,
      "llama.attention.head_count": 4,
      "llama.attention.head_count_kv": 2,
      ...(contextLength === undefined ? {} : { "llama.context_length": contextLength }),
    },
    tensors: [{ name: "w", type: "f32", shape: [250], bytes: 1000, supported: true }],
  });
  const kv = (ctx: number) => 2 * 2 * 2 * 4 * ctx * 2;
  it("sizes the context a session takes by default: the trained one within the engine's limit", () => {
    expect(estimateMemory(summary(4096))).toEqual({ ctx: 4096, weightBytes: 1000, kvBytes: kv(4096), kvBytesInRam: kv(4096), totalBytes: 1000 + kv(4096) });
    expect(estimateMemory(summary())!.ctx).toBe(2048);
    // a file may declare any context; a session holds at most 2^24 positions (it was sized as declared)
    expect(estimateMemory(summary(2 ** 30))!.ctx).toBe(MAX_SESSION_CTX);
    expect(estimateMemory(summary(0))!.ctx).toBe(1);
    expect(estimateMemory(summary(2 ** 30), 1024)!.kvBytes).toBe(kv(1024));
  });
  it("counts Gemma 3's sliding-window layers at their window (and two store blocks) in RAM", () => {
    // Gemma-3-4B's shape: 34 layers (5 global: every 6th), 4 KV heads of 256, a window of 1024
    const gemma = (extra: Record<string, number>): GgufSummary => ({
      ...summary(),
      metadata: {
        "general.architecture": "gemma3",
        "gemma3.block_count": 34,
        "gemma3.embedding_length": 2560,
        "gemma3.attention.head_count": 8,
        "gemma3.attention.head_count_kv": 4,
        "gemma3.attention.key_length": 256,
        "gemma3.context_length": 131072,
        ...extra,
      },
    });
    const perLayer = 2 * 4 * 256 * 2; // K and V f16 bytes a position
    const m = estimateMemory(gemma({ "gemma3.attention.sliding_window": 1024 }))!;
    expect(m.kvBytes).toBe(perLayer * 34 * 131072); // 18.3 GB reserved
    expect(m.kvBytesInRam).toBe(perLayer * (5 * 131072 + 29 * (1024 + 256))); // 2.8 GB
    expect(estimateMemory(gemma({ "gemma3.attention.sliding_window": 1024 }), 1000)!.kvBytesInRam).toBe(perLayer * 34 * 1000);
    expect(estimateMemory(gemma({ "gemma3.attention.sliding_window": 1024, "gemma3.attention.sliding_window_pattern": 2 }))!.kvBytesInRam).toBe(
      perLayer * (17 * 131072 + 17 * 1280),
    );
    expect(estimateMemory(gemma({}))!.kvBytesInRam).toBe(m.kvBytes); // no window: every layer global
    // retrieval: the local layers keep no index and no queries (5 global layers x 4 KV heads)
    const host = estimateRetrievalHost(gemma({ "gemma3.attention.sliding_window": 1024 }), 131072, 128, 512)!;
    expect(host.indexBytes).toBe(5 * 4 * ((131072 - 640) * (256 + 112) + 1024 * (2 * 256 + 264)));
    expect(host.readQueryBytes).toBe(5 * 4 * 36864 * 256 * 2);
    expect(host.readQueryLayerBytes).toBe(4 * 36864 * 256 * 2);
  });
  it("counts EXAONE 4.0 32B's sliding-window layers (64 layers, 3 of 4, window 4096 when unsaid), not its smaller sizes, Command R7B's, OLMo 3's and gpt-oss's (every other layer)", () => {
    const exaone = (nLayer: number): GgufSummary => ({
      ...summary(),
      metadata: {
        "general.architecture": "exaone4",
        "exaone4.block_count": nLayer,
        "exaone4.embedding_length": 5120,
        "exaone4.attention.head_count": 40,
        "exaone4.attention.head_count_kv": 8,
        "exaone4.attention.key_length": 128,
        "exaone4.context_length": 131072,
      },
    });
    const perLayer = 2 * 8 * 128 * 2;
    expect(estimateMemory(exaone(64))!.kvBytesInRam).toBe(perLayer * (16 * 131072 + 48 * (4096 + 256)));
    expect(estimateMemory(exaone(30))!.kvBytesInRam).toBe(perLayer * 30 * 131072); // 1.2B: every layer global
    // Command R7B: 32 layers, 8 global (every 4th), a window of 4096
    const cohere: GgufSummary = {
      ...summary(),
      metadata: {
        "general.architecture": "cohere2",
        "cohere2.block_count": 32,
        "cohere2.embedding_length": 4096,
        "cohere2.attention.head_count": 32,
        "cohere2.attention.head_count_kv": 8,
        "cohere2.attention.sliding_window": 4096,
        "cohere2.context_length": 131072,
      },
    };
    expect(estimateMemory(cohere)!.kvBytesInRam).toBe(perLayer * (8 * 131072 + 24 * (4096 + 256)));
    // OLMo 3 7B: 32 layers, 8 global (every 4th), a window of 4096; OLMo 2 (no window key): every layer global
    const olmo = (window?: number): GgufSummary => ({
      ...summary(),
      metadata: {
        "general.architecture": "olmo2",
        "olmo2.block_count": 32,
        "olmo2.embedding_length": 4096,
        "olmo2.attention.head_count": 32,
        "olmo2.attention.head_count_kv": 8,
        "olmo2.context_length": 65536,
        ...(window ? { "olmo2.attention.sliding_window": window } : {}),
      },
    });
    expect(estimateMemory(olmo(4096))!.kvBytesInRam).toBe(perLayer * (8 * 65536 + 24 * (4096 + 256)));
    expect(estimateMemory(olmo())!.kvBytesInRam).toBe(perLayer * 32 * 65536);
    // gpt-oss-20b: 24 layers, every other one a window of 128 (no pattern key: 2), 8 KV heads of 64
    const oss: GgufSummary = {
      ...summary(),
      metadata: {
        "general.architecture": "gpt-oss",
        "gpt-oss.block_count": 24,
        "gpt-oss.embedding_length": 2880,
        "gpt-oss.attention.head_count": 64,
        "gpt-oss.attention.head_count_kv": 8,
        "gpt-oss.attention.key_length": 64,
        "gpt-oss.attention.sliding_window": 128,
        "gpt-oss.context_length": 131072,
      },
    };
    const ossPerLayer = 2 * 8 * 64 * 2;
    expect(estimateMemory(oss)!.kvBytesInRam).toBe(ossPerLayer * (12 * 131072 + 12 * (128 + 256)));
  });
  it("counts retrieval's indexes and a read's queries beside the K/V", () => {
    // Llama-3-8B's shape: 32 layers, 32 query heads over 8 KV heads of 128
    const llama8b: GgufSummary = {
      ...summary(),
      metadata: {
        "general.architecture": "llama",
        "llama.block_count": 32,
        "llama.embedding_length": 4096,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
      },
    };
    const at = (ctx: number) => estimateRetrievalHost(llama8b, ctx, 128, 512)!;
    // 128K: 240 bytes a key and index (int8 code 128, adjacency and degree 112), 256 indexes: 7.6 GiB
    expect(at(131072).indexBytes).toBe(256 * ((131072 - 640) * 240 + 1024 * 520));
    // a read keeps about 9/8 of the 32K rows an index is built from, not the 131K rows of one
    // position in four, as bf16: 2.25 GiB of queries where there were 16 (f32, every sampled row)
    expect(at(131072).readQueryBytes).toBe(256 * 36864 * 128 * 2);
    // read with the book's store, one layer's at a time: 72 MiB
    expect(at(131072).readQueryLayerBytes).toBe(8 * 36864 * 128 * 2);
    // 8K: 9/8 of the 4096 floor; 4K: every sampled position's rows (fewer than the floor)
    expect(at(8192).readQueryBytes).toBe(256 * 4608 * 128 * 2);
    expect(at(4096).readQueryBytes).toBe(256 * 4096 * 128 * 2);
    expect(at(640)).toEqual({ indexBytes: 0, readQueryBytes: 0, readQueryLayerBytes: 0 });
    // what the model picker warns against: retrieval's peak holds them too, full attention's not
    const memory = { ctx: 131072, weightBytes: 1, kvBytes: 2, totalBytes: 3, retrieval: { deviceKvBytes: 0, hostKvBytes: 2, totalDeviceBytes: 1, indexBytes: 10, readQueryBytes: 20 } };
    const settings = (mode: "full" | "retrieval") => ({ attention: { mode, sinks: 128, window: 512, topK: 100 } }) as Parameters<typeof memoryAtPeak>[1];
    expect(memoryAtPeak(memory, settings("retrieval"))).toBe(33);
    expect(memoryAtPeak(memory, settings("full"))).toBe(3);
  });

  it("names llama.cpp's file type and counts the tensors' types among a model's details", () => {
    const tensor = (type: string) => ({ type }) as GgufSummary["tensors"][number];
    const settings = { ctx: 4096, ramBudgetMB: 0, attention: { mode: "full", sinks: 128, window: 512, topK: 100 } } as Parameters<typeof modelDetails>[2];
    const details = (fileType: unknown) =>
      modelDetails("/m/q.gguf", {
        version: 3, fileSize: 2000, alignment: 32, dataOffset: 1000,
        metadata: { "general.architecture": "llama", "general.file_type": fileType } as GgufSummary["metadata"],
        tensors: ["Q4_K", "F32", "Q6_K", "Q4_K", "F32", "Q4_K"].map(tensor),
      }, settings).metadata;
    expect(details(15)).toMatchObject({ "general.file_type": "Q4_K_M (15)", tensors: 6, "tensor types": "3 x Q4_K, 2 x F32, 1 x Q6_K" });
    expect(details(12)["general.file_type"]).toBe("Q3_K_M (12)");
    // llama.cpp's "guessed" and numbers it never wrote stay as they are
    expect(details(1024)["general.file_type"]).toBe(1024);
    expect(details(4)["general.file_type"]).toBe(4);
  });

  it("shows a mixture of experts' counts among a model's details", () => {
    const md = {
      "general.architecture": "qwen3moe",
      "qwen3moe.block_count": 48,
      "qwen3moe.embedding_length": 2048,
      "qwen3moe.attention.head_count": 32,
      "qwen3moe.expert_count": 128,
      "qwen3moe.expert_used_count": 8,
      "qwen3moe.expert_feed_forward_length": 768,
    };
    const summary: GgufSummary = { version: 3, fileSize: 2000, alignment: 32, dataOffset: 1000, metadata: md, tensors: [] };
    const settings = { ctx: 4096, ramBudgetMB: 0, attention: { mode: "full", sinks: 128, window: 512, topK: 100 } } as Parameters<typeof modelDetails>[2];
    const details = modelDetails("/m/q.gguf", summary, settings);
    expect(details.arch).toBe("qwen3moe");
    expect(details.metadata).toMatchObject({ "qwen3moe.expert_count": 128, "qwen3moe.expert_used_count": 8 });
  });
});
