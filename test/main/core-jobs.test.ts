// The app core's job handling at its edges (a fake engine): chat templates that
// need a user turn or alternating turns (the book's KV must be the same in the
// read and in every answer), a request made while a model loads, and removing a
// book whose KV store another book shares or a cancelled read left part written.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { b64, makeCore, tempDir, until, type TestCore } from "./helpers/core";
import type { DocumentInfo, MessageInfo } from "../../main/ipc/contract";

const BOOK = "Alice sat by the river with her sister, and had nothing to do. ".repeat(8);

let t: TestCore;
afterEach(() => t?.close());

const doc = (id: number) => t.core.lib.documents.get(id)!;
/** The fake engine's tokens are character codes (and 1 for BOS). */
const text = (tokens: Int32Array) => String.fromCodePoint(...Array.from(tokens, (c) => (c === 1 ? 0x2400 : c)));

async function ask(conversationId: number, q: string): Promise<MessageInfo> {
  const { assistant } = (await t.core.call("chat.send", { conversationId, text: q })) as { assistant: MessageInfo };
  return until(() => {
    const m = t.core.lib.conversations.message(assistant.id)!;
    return m.status !== "streaming" && t.core.state.job === null && m;
  });
}

/** A core whose model has `chatTemplate`, with the book read: the book and the read's prefill. */
async function readWith(chatTemplate: string): Promise<{ d: DocumentInfo; read: { tokens: Int32Array; docEnd: number } }> {
  t = makeCore({ chatTemplate });
  await t.core.call("models.load", { path: t.modelPath });
  const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
  await t.core.call("library.read", { documentId: d.id });
  await until(() => doc(d.id).state !== "reading" && t.core.state.job === null);
  const read = t.engine.calls.find((c) => c.op === "prefill")?.args as { tokens: Int32Array; docEnd: number };
  return { d, read };
}

/** Qwen3's guard (its template raises this when no message is the user's), around ChatML. */
const NEEDS_A_QUESTION =
  "{%- set ns = namespace(q=false) %}{%- for m in messages %}{%- if m.role == 'user' %}{%- set ns.q = true %}{%- endif %}{%- endfor %}" +
  "{%- if not ns.q %}{{ raise_exception('No user query found in messages.') }}{%- endif %}" +
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";

/** Llama 2's chat template: the system message goes into the first user turn; roles must alternate. */
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
  "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
  "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

describe("a chat template that needs a question", () => {
  it("reads the book as every answer renders it: the answer starts from the read's KV", async () => {
    const { d, read } = await readWith(NEEDS_A_QUESTION);
    expect(doc(d.id).state).toBe("ready");
    // rendered by the model's template (a read has no question: the template refused it, and the
    // plain fallback rendered the book instead, so no answer could reuse it)
    expect(text(read.tokens.subarray(0, 30))).toContain("<|im_start|>system\n");
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const m = await ask(conv.id, "Who sat by the river?");
    expect(m.status).toBe("done");
    const gen = t.engine.calls.find((c) => c.op === "generate")!.args as { tokens: Int32Array };
    expect(Array.from(gen.tokens.subarray(0, read.docEnd))).toEqual(Array.from(read.tokens.subarray(0, read.docEnd)));
    expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(read.docEnd);
  });

  it("reads a book with a template that puts the system message in the first question (Llama 2)", async () => {
    const { d, read } = await readWith(LLAMA2);
    // the template rendered nothing of a lone system message: "chat template dropped the system message"
    expect(doc(d.id)).toMatchObject({ state: "ready", error: null });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const m = await ask(conv.id, "Who sat by the river?");
    expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(read.docEnd);
  });
});

/** A template that renders no system message at all (no error: it is just not there). */
const NO_SYSTEM =
  "{% for m in messages %}{% if m.role == 'user' %}<|user|>{{ m.content }}<|end|>{% elif m.role == 'assistant' %}<|assistant|>{{ m.content }}<|end|>{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}<|assistant|>{% endif %}";

describe("a chat template that leaves out system messages", () => {
  it("reads and answers with the book in the first question, the read's KV reused", async () => {
    const { d, read } = await readWith(NO_SYSTEM);
    // it failed: "chat template dropped the system message holding the book", every read and question
    expect(doc(d.id)).toMatchObject({ state: "ready", error: null });
    expect(text(read.tokens)).toBe("\u2400<|user|>" + BOOK.trimEnd()); // the model's own format, not the plain one
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const m = await ask(conv.id, "Who sat by the river?");
    expect(m.status).toBe("done");
    expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(read.docEnd);
  });
});

/** Mistral v0.3's shape: the system message goes into the LAST user turn. */
const SYSTEM_IN_LAST_QUESTION =
  "{%- if messages[0].role == 'system' %}{%- set sys = messages[0].content %}{%- set turns = messages[1:] %}" +
  "{%- else %}{%- set sys = '' %}{%- set turns = messages %}{%- endif %}{{- bos_token }}" +
  "{%- for m in turns %}{%- if m.role == 'user' %}{%- if loop.last and sys %}{{ '[INST] ' + sys + '\\n\\n' + m.content + '[/INST]' }}" +
  "{%- else %}{{ '[INST] ' + m.content + '[/INST]' }}{%- endif %}{%- else %}{{ ' ' + m.content + eos_token }}{%- endif %}{%- endfor %}";

/** Gemma's shape: a system message is refused. */
const NO_SYSTEM_ROLE =
  "{%- if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{%- endif %}" +
  "{%- for m in messages %}<start_of_turn>{{ 'model' if m.role == 'assistant' else m.role }}\n{{ m.content }}<end_of_turn>\n{%- endfor %}" +
  "{%- if add_generation_prompt %}<start_of_turn>model\n{%- endif %}";

describe("chat templates that move or refuse the system message", () => {
  it("a template that puts the system message into the last question: every turn reuses the read's KV", async () => {
    const { d, read } = await readWith(SYSTEM_IN_LAST_QUESTION);
    expect(text(read.tokens)).toBe("\u2400[INST] " + BOOK.trimEnd());
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    for (const q of ["Who sat by the river?", "Who was with her?", "What did she do?"]) {
      const m = await ask(conv.id, q);
      expect(m.status).toBe("done");
      // the book was behind the history from the second turn on: read again at every turn
      expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(read.docEnd);
    }
    const last = t.engine.calls.filter((c) => c.op === "generate").at(-1)!.args as { tokens: Int32Array };
    expect(text(last.tokens)).toMatch(/^\u2400\[INST\] Alice sat by the river[^]*\n\nWho sat by the river\?\[\/INST\] [^]*\[INST\] What did she do\?\[\/INST\]$/);
  });

  it("a template that refuses a system message: the book goes into the first question, in the model's format", async () => {
    const { d, read } = await readWith(NO_SYSTEM_ROLE);
    expect(text(read.tokens)).toBe("\u2400<start_of_turn>user\n" + BOOK.trimEnd());
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await ask(conv.id, "Who sat by the river?");
    const m = await ask(conv.id, "Who was with her?");
    expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(read.docEnd);
  });
});

describe("a chat template whose roles must alternate", () => {
  it("a question whose answer was stopped before its first word leaves the next turns alternating", async () => {
    t = makeCore({ chatTemplate: LLAMA2 });
    await t.core.call("models.load", { path: t.modelPath });
    const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const first = await ask(conv.id, "Who sat by the river?");
    expect(first.status).toBe("done");
    // Stop at once: the answer ends empty (stopped while the question was read)
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "And then?" })) as { assistant: MessageInfo };
    await t.core.call("chat.stop", { conversationId: conv.id });
    await until(() => t.core.lib.conversations.message(assistant.id)!.status === "stopped" && t.core.state.job === null);
    expect(t.core.lib.conversations.message(assistant.id)!.content).toBe("");
    const m = await ask(conv.id, "Where was she?");
    expect(m.status).toBe("done");
    const gens = t.engine.calls.filter((c) => c.op === "generate").map((c) => c.args as { tokens: Int32Array; docEnd: number });
    const last = gens.at(-1)!;
    // the model's own format, the book's KV reused (two questions in a row made the template
    // raise, and the fallback's "Question:/Answer:" prompt shared nothing with the book read)
    expect(text(last.tokens)).toContain("[INST] Where was she? [/INST]");
    expect(text(last.tokens)).not.toContain("Question:");
    expect(text(last.tokens)).not.toContain("And then?"); // the unanswered question is not history
    expect(text(last.tokens)).toContain("Who sat by the river? [/INST] Alice follows"); // the answered one is
    expect(m.stats!.reusedTokens).toBeGreaterThanOrEqual(gens[0].docEnd);
  });
});

describe("while a model loads", () => {
  it("a read, a question, an evaluation or another load are refused as busy, and all work once it is loaded", async () => {
    t = makeCore();
    await t.core.call("models.load", { path: t.modelPath });
    const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const other = path.join(path.dirname(t.modelPath), "other.gguf");
    fs.writeFileSync(other, "GGUF");
    // the switch to another model: until it ends the engine holds neither model (a read started
    // now ran under the old one's context and name, and the load's end reset the book to 'new')
    let loaded!: () => void;
    t.engine.loadGate = new Promise((r) => (loaded = r));
    const loading = t.core.call("models.load", { path: other });
    await expect(t.core.call("library.read", { documentId: d.id })).rejects.toMatchObject({ code: "BUSY", message: "A model is loading; wait for it." });
    await expect(t.core.call("chat.send", { conversationId: conv.id, text: "Who?" })).rejects.toMatchObject({ code: "BUSY" });
    await expect(t.core.call("eval.run", { tasks: ["passkey"], lengths: [256], depths: [50], modes: ["full"], samples: 1 })).rejects.toMatchObject({ code: "BUSY" });
    await expect(t.core.call("models.load", { path: t.modelPath })).rejects.toMatchObject({ code: "BUSY" });
    loaded();
    await loading;
    expect(t.engine.calls.filter((c) => c.op !== "load")).toEqual([]);
    expect(t.core.lib.conversations.messages(conv.id)).toEqual([]);
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    expect(t.core.status().model!.path).toBe(other);
  });

  it("a load that fails leaves the core free for the next", async () => {
    t = makeCore();
    const missing = path.join(path.dirname(t.modelPath), "gone.gguf");
    fs.writeFileSync(missing, "GGUF");
    t.engine.failLoad = new Error("not a GGUF file");
    await expect(t.core.call("models.load", { path: missing })).rejects.toThrow("not a GGUF file");
    t.engine.failLoad = null;
    await expect(t.core.call("models.load", { path: t.modelPath })).resolves.toMatchObject({ activity: "idle" });
  });
});

describe("removing a book", () => {
  it("keeps a KV store another book still records (two books with the same opening share one)", async () => {
    // the fake engine names a store after the prompt's length: two books as long share it, as two
    // books whose read parts tokenize alike do in the real engine
    const storeDir = path.join(tempDir(), "kv");
    t = makeCore({ storeDir });
    await t.core.call("models.load", { path: t.modelPath });
    const a = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
    const b = (await t.core.call("library.import", { name: "b.txt", dataBase64: b64(BOOK.replace("river", "rover")) })) as DocumentInfo;
    for (const d of [a, b]) {
      await t.core.call("library.read", { documentId: d.id });
      await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    }
    const store = t.core.lib.documents.savedFile(a.id)!;
    expect(t.core.lib.documents.savedFile(b.id)).toBe(store);
    // the engine holds it for b: removing a deleted it under the engine, and b's saved read with it
    expect(await t.core.call("library.remove", { documentId: a.id })).toEqual({ removed: true });
    expect(fs.existsSync(store)).toBe(true);
    expect(t.engine.calls.filter((c) => c.op === "release")).toEqual([]);
    expect(doc(b.id)).toMatchObject({ state: "ready", savedFor: t.modelPath });
    // its last user gone, it goes (let go by the engine first)
    expect(await t.core.call("library.remove", { documentId: b.id })).toEqual({ removed: true });
    expect(fs.existsSync(store)).toBe(false);
    expect(t.engine.calls.filter((c) => c.op === "release")).toHaveLength(1);
  });

  /** A core with a store folder whose reads take a while, and a long book; the read cancelled once its store is bound. */
  async function cancelledRead(): Promise<{ a: DocumentInfo; partial: string }> {
    t = makeCore({ storeDir: path.join(tempDir(), "kv"), prefillChunkMs: 20 });
    await t.core.call("models.load", { path: t.modelPath });
    const a = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK.repeat(40)) })) as DocumentInfo;
    const { jobId } = (await t.core.call("library.read", { documentId: a.id })) as { jobId: string };
    await until(() => t.engine.storeFile !== null);
    const partial = t.engine.storeFile!;
    await t.core.call("library.cancel", { jobId });
    await until(() => doc(a.id).state === "new" && t.core.state.job === null);
    expect(t.core.lib.documents.savedFile(a.id)).toBe(null);
    expect(fs.existsSync(partial)).toBe(true); // kept: the next read resumes it
    return { a, partial };
  }

  it("removes the store a cancelled read of it left part written, which it never recorded", async () => {
    const { a, partial } = await cancelledRead();
    expect(await t.core.call("library.remove", { documentId: a.id })).toEqual({ removed: true });
    expect(fs.existsSync(partial)).toBe(false);
    expect(t.engine.calls.filter((c) => c.op === "release").map((c) => c.args)).toEqual([{ file: partial }]);
    expect(t.engine.storeFile).toBe(null); // let go of before it was deleted
  });

  it("removes it after a restart too (the library records it), with no model loaded", async () => {
    const { a, partial } = await cancelledRead();
    const { dir } = t;
    t.core.lib.close();
    t = makeCore({ dir, storeDir: path.dirname(partial) });
    expect(t.core.lib.documents.partialFile(a.id)).toBe(partial);
    expect(await t.core.call("library.remove", { documentId: a.id })).toEqual({ removed: true });
    expect(fs.existsSync(partial)).toBe(false);
  });

  it("removes it without letting go of the store the engine moved on to", async () => {
    const { a, partial } = await cancelledRead();
    const b = (await t.core.call("library.import", { name: "b.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
    await t.core.call("library.read", { documentId: b.id });
    await until(() => doc(b.id).state === "ready" && t.core.state.job === null);
    const held = t.engine.storeFile;
    expect(await t.core.call("library.remove", { documentId: a.id })).toEqual({ removed: true });
    expect(fs.existsSync(partial)).toBe(false);
    expect(t.engine.storeFile).toBe(held);
    expect(doc(b.id).state).toBe("ready");
  });

  it("removes it once a later read of the book finishes with another store (another cut)", async () => {
    const { a, partial } = await cancelledRead();
    // read again under a larger answer budget, which leaves the book less of the context: another store
    await t.core.call("settings.set", { maxTokens: 512 });
    await t.core.call("library.read", { documentId: a.id, fresh: true });
    await until(() => doc(a.id).state === "ready" && t.core.state.job === null);
    expect(t.core.lib.documents.savedFile(a.id)).not.toBe(partial);
    expect(fs.existsSync(partial)).toBe(false);
    expect(fs.existsSync(t.core.lib.documents.savedFile(a.id)!)).toBe(true);
  });

  it("leaves it to the book's saved read once a later read finishes", async () => {
    const { a, partial } = await cancelledRead();
    expect(t.core.lib.documents.partialFile(a.id)).toBe(partial);
    await t.core.call("library.read", { documentId: a.id });
    await until(() => doc(a.id).state === "ready" && t.core.state.job === null);
    expect(t.core.lib.documents.partialFile(a.id)).toBe(null);
    expect(t.core.lib.documents.savedFile(a.id)).toBe(partial);
  });

  it("is refused when a read of it starts while the engine lets go of its store (the row went mid-read)", async () => {
    const storeDir = path.join(tempDir(), "kv");
    t = makeCore({ storeDir });
    await t.core.call("models.load", { path: t.modelPath });
    const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    let released!: () => void;
    t.engine.releaseGate = new Promise((r) => (released = r));
    const removing = t.core.call("library.remove", { documentId: d.id });
    await until(() => t.engine.calls.some((c) => c.op === "release"));
    await t.core.call("library.read", { documentId: d.id }); // the engine is free meanwhile
    released();
    await expect(removing).rejects.toMatchObject({ code: "BUSY" });
    await until(() => doc(d.id)?.state === "ready" && t.core.state.job === null);
    expect(fs.existsSync(t.core.lib.documents.savedFile(d.id)!)).toBe(true);
  });
});
