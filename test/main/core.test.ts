// The app core over a fake engine: reading a book (states, progress), asking
// (streaming, stats, highlights, persistence), stop, regenerate, a crashed
// engine, the model path allow-list, and what a page loaded mid-job needs to
// follow and cancel it.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { b64, eventsOf, makeCore, tempDir, until, type TestCore } from "./helpers/core";
import type { ConversationInfo, DocumentInfo, EngineStatus, MessageInfo, ModelDetails, TokenStats } from "../../main/ipc/contract";
import { readBookFile } from "../../main/app/book-file";
import { toContractError } from "../../main/ipc/errors";
import { conversationTitle } from "../../main/app/answer";

const BOOK = "Title: Tiny\nAuthor: Me\n\n*** START OF THE PROJECT GUTENBERG EBOOK TINY ***\n\nCHAPTER I.\nThe Start\n\n" + "Alice sat by the river. ".repeat(40) + "\n*** END OF THE PROJECT GUTENBERG EBOOK TINY ***\n";

let t: TestCore;
afterEach(() => t?.close());

async function withBook(o: Parameters<typeof makeCore>[0] = {}) {
  t = makeCore(o);
  await t.core.call("models.load", { path: t.modelPath });
  const doc = (await t.core.call("library.import", { name: "tiny.txt", dataBase64: b64(BOOK) })) as DocumentInfo;
  return doc;
}

const doc = (id: number) => t.core.lib.documents.get(id)!;

describe("reading a book", () => {
  it("goes new -> reading -> ready with tokenize and prefill progress", async () => {
    const d = await withBook();
    expect(d.state).toBe("new");
    expect(d.title).toBe("Tiny");
    expect(d.boilerplateSkipped).toBe(true);
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const phases = eventsOf(t, "doc.progress").map((p) => p.phase);
    expect(phases).toContain("tokenize");
    expect(phases).toContain("prefill");
    const prefill = eventsOf(t, "doc.progress").filter((p) => p.phase === "prefill");
    const last = prefill[prefill.length - 1];
    expect(last.done).toBe(last.total);
    // the time left is the engine's (by the read's work), not the rate in tokens
    expect(prefill.map((p) => p.etaMs)).toEqual(prefill.map((p) => (p.total - p.done) * 3));
    expect(doc(d.id).tokens).toBe(d.chars);
    expect(doc(d.id).tokensUsed).toBe(d.chars);
    expect((await t.core.memoryStats()).documentId).toBe(d.id);
  });

  it("a book whose KV store is on disk is 'saved' after a restart; removing it deletes the store", async () => {
    const storeDir = path.join(tempDir(), "kv");
    const d = await withBook({ storeDir });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const store = t.engine.storeFile!;
    expect(doc(d.id).savedFor).toBe(t.modelPath);
    const dir = t.dir;
    t.core.close();
    t = makeCore({ dir, storeDir });
    await t.core.call("models.load", { path: t.modelPath });
    expect(doc(d.id)).toMatchObject({ state: "new", savedFor: t.modelPath });
    // asked about, it becomes the engine's book again; then removed: the engine lets go of the store, the file goes
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" });
    await until(() => doc(d.id).state === "ready");
    await until(() => t.core.state.job === null);
    expect(fs.existsSync(store)).toBe(true);
    expect(await t.core.call("library.remove", { documentId: d.id })).toEqual({ removed: true });
    expect(t.engine.calls.some((c) => c.op === "release")).toBe(true);
    expect(fs.existsSync(store)).toBe(false);
  });

  it("a saved book opens its saved read under another Max answer tokens; Read again replaces it and its store", async () => {
    const storeDir = path.join(tempDir(), "kv");
    const d = await withBook({ storeDir, nCtx: 600 });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const first = t.engine.storeFile!;
    const used = doc(d.id).tokensUsed!;
    expect(used).toBeLessThan(doc(d.id).tokens!); // the book is cut to the context: the answer budget sets how much
    expect(doc(d.id).savedTokens).toBe(used);
    // restarted with a smaller answer budget, which would read more of the book
    const dir = t.dir;
    t.core.close();
    t = makeCore({ dir, storeDir, nCtx: 600 });
    await t.core.call("settings.set", { maxTokens: 16 });
    await t.core.call("models.load", { path: t.modelPath });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    expect(t.engine.storeFile).toBe(first);
    expect(doc(d.id)).toMatchObject({ tokensUsed: used, savedTokens: used });
    // a question reads the same cut
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" });
    await until(() => t.core.state.job === null && eventsOf(t, "chat.message").some((m) => m.status === "done"));
    expect(t.engine.storeFile).toBe(first);
    // a fresh read cancelled at once leaves the saved read as it was
    const { jobId } = (await t.core.call("library.read", { documentId: d.id, fresh: true })) as { jobId: string };
    await t.core.call("library.cancel", { jobId });
    await until(() => t.core.state.job === null);
    expect(doc(d.id)).toMatchObject({ tokensUsed: used, savedTokens: used });
    expect(fs.existsSync(first)).toBe(true);
    // Read again: today's cut, its own store, the one it replaces deleted
    await t.core.call("library.read", { documentId: d.id, fresh: true });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    const again = doc(d.id).tokensUsed!;
    expect(again).toBeGreaterThan(used);
    expect(doc(d.id).savedTokens).toBe(again);
    expect(t.engine.storeFile).not.toBe(first);
    expect(fs.existsSync(t.engine.storeFile!)).toBe(true);
    expect(fs.existsSync(first)).toBe(false);
  });

  it("a saved read that no longer fits the context is not restored (the book is cut anew)", async () => {
    const storeDir = path.join(tempDir(), "kv");
    const d = await withBook({ storeDir, nCtx: 900 });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const used = doc(d.id).savedTokens!;
    const dir = t.dir;
    t.core.close();
    t = makeCore({ dir, storeDir, nCtx: 500 });
    await t.core.call("models.load", { path: t.modelPath });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    expect(doc(d.id).tokensUsed).toBeLessThan(used);
    expect(doc(d.id).tokensUsed! + 256).toBeLessThanOrEqual(500);
  });

  it("says once when a book's KV cache could not be saved (it is read without it)", async () => {
    const d = await withBook({ storeOff: "KV store x.tomekv: disk I/O error (the disk is full)" });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" });
    await until(() => t.core.state.job === null && eventsOf(t, "chat.message").some((m) => m.status === "done"));
    const notices = eventsOf(t, "app.notice");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toEqual({ kind: "error", text: expect.stringMatching(/could not be saved.*disk is full/) });
    expect(doc(d.id).savedFor).toBeNull();
  });

  it("says once when a book keeps the sinks and window its store was indexed with", async () => {
    const d = await withBook({ storeKept: { sinks: 16, window: 64 } });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" });
    await until(() => t.core.state.job === null && eventsOf(t, "chat.message").some((m) => m.status === "done"));
    expect(eventsOf(t, "app.notice")).toEqual([
      { kind: "info", text: expect.stringMatching(/^This book keeps the 16 sink and 64 window tokens its index was built with/) },
    ]);
  });

  it("cuts a book to the context and records how much was used", async () => {
    const d = await withBook({ nCtx: 600 });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const r = doc(d.id);
    expect(r.tokensUsed).toBeLessThan(r.tokens!);
    expect(r.charsUsed).toBe(r.tokensUsed); // the fake engine: one token per character
  });

  it("can be cancelled and goes back to new", async () => {
    const d = await withBook();
    const big = (await t.core.call("library.import", { name: "big.txt", dataBase64: b64("word ".repeat(300)) })) as DocumentInfo;
    const { jobId } = (await t.core.call("library.read", { documentId: big.id })) as { jobId: string };
    await t.core.call("library.cancel", { jobId });
    await until(() => doc(big.id).state !== "reading");
    expect(["new", "ready"]).toContain(doc(big.id).state);
    expect(doc(d.id).state).toBe("new");
  });

  it("refuses to read without a model, and a second job while busy", async () => {
    t = makeCore();
    const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64("hello there") })) as DocumentInfo;
    await expect(t.core.call("library.read", { documentId: d.id })).rejects.toMatchObject({ code: "NO_MODEL" });
    await t.core.call("models.load", { path: t.modelPath });
    await t.core.call("library.read", { documentId: d.id });
    await expect(t.core.call("library.read", { documentId: d.id })).rejects.toMatchObject({ code: "BUSY" });
    await until(() => doc(d.id).state === "ready");
  });
});

describe("asking", () => {
  it("streams the answer, stores it with stats and highlights, reuses the book's KV", async () => {
    const d = await withBook();
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { user, assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Where is Alice?" })) as { user: MessageInfo; assistant: MessageInfo };
    expect(user.content).toBe("Where is Alice?");
    expect(assistant.status).toBe("streaming");
    const done = await until(() => {
      const m = t.core.lib.conversations.message(assistant.id)!;
      return m.status !== "streaming" && m;
    });
    expect(done.status).toBe("done");
    expect(done.content).toBe("Alice follows the White Rabbit down the hole.");
    expect(eventsOf(t, "chat.delta").map((x) => x.text).join("")).toBe(done.content);
    expect(done.stats!.tokens).toBeGreaterThan(0);
    expect(done.stats!.reusedTokens).toBeGreaterThan(d.chars); // the whole book prefix came from the read
    expect(done.highlights.length).toBeGreaterThan(0);
    expect(BOOK).toContain(done.highlights[0].text.trim().slice(0, 10));
    expect(eventsOf(t, "stats.token").length).toBe(done.stats!.tokens);
    expect(t.core.lib.conversations.tokenStats(assistant.id).length).toBe(done.stats!.tokens);
    expect(t.core.lib.conversations.get(conv.id)!.title).toBe("Where is Alice?");
  });

  it("asks about a passage: it is stored with the question and quoted to the model before it, in this turn and the next", async () => {
    const d = await withBook();
    const text = t.core.lib.documents.text(d.id)!;
    const start = text.indexOf("Alice sat by the river.");
    const passage = { start, end: start + "Alice sat by the river.".length };
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { user, assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Which river?", passage })) as { user: MessageInfo; assistant: MessageInfo };
    expect(user.passage).toEqual({ ...passage, text: "Alice sat by the river." });
    expect(user.content).toBe("Which river?");
    expect(t.core.lib.conversations.get(conv.id)!.title).toBe("Which river? — “Alice sat by the river.”");
    await until(() => t.core.lib.conversations.message(assistant.id)!.status === "done");
    // the fake engine's tokens are the prompt's code points: the question follows the quote
    const prompts = () => t.engine.calls.filter((c) => c.op === "generate").map((c) => String.fromCodePoint(...((c.args as { tokens: Int32Array }).tokens)));
    const quoted = "About this passage of the book:\n> Alice sat by the river.\n\nWhich river?";
    expect(prompts()[0]).toContain(quoted);
    expect(prompts()[0].indexOf(quoted)).toBeGreaterThan(prompts()[0].indexOf("CHAPTER I")); // after the book
    // the next question carries none; the history keeps the first one's quote
    const { user: next, assistant: a2 } = (await t.core.call("chat.send", { conversationId: conv.id, text: "And then?" })) as { user: MessageInfo; assistant: MessageInfo };
    expect(next.passage).toBeNull();
    await until(() => t.core.lib.conversations.message(a2.id)!.status === "done");
    const second = prompts()[1];
    expect(second).toContain(quoted);
    expect(second.indexOf(quoted)).toBeLessThan(second.lastIndexOf("And then?"));
    expect(second.split("About this passage").length).toBe(2);
    // stored: a restart reads it back
    expect(t.core.lib.conversations.messages(conv.id).map((m) => m.passage?.text ?? null)).toEqual(["Alice sat by the river.", null, null, null]);
  });

  it("names a conversation by its first question, a short one about a passage with the passage's first words", () => {
    const passage = (text: string) => ({ start: 0, end: text.length, text });
    expect(conversationTitle("  Where\nis Alice? ", null)).toBe("Where is Alice?");
    expect(conversationTitle("x".repeat(80), passage("p"))).toBe("x".repeat(60));
    const long = conversationTitle("Why?", passage("Alice was beginning to get very tired of sitting by her sister on the bank"));
    expect(long).toBe("Why? — “Alice was beginning to get very tired of sitting…”");
    expect(conversationTitle("Why?", passage("Supercalifragilisticexpialidocious".repeat(3))).length).toBe(60);
    expect(conversationTitle("Why?", passage("Off with\nher head!"))).toBe("Why? — “Off with her head!”");
  });

  it("renames a conversation: its title on one line; a blank one or another's refused", async () => {
    const d = await withBook();
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    expect(await t.core.call("chat.rename", { conversationId: conv.id, title: "  The river\n scene " })).toMatchObject({ id: conv.id, title: "The river scene" });
    expect(t.core.lib.conversations.get(conv.id)!.title).toBe("The river scene");
    await expect(t.core.call("chat.rename", { conversationId: conv.id, title: " \n " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(t.core.call("chat.rename", { conversationId: 999, title: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // a question after a rename keeps the name
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" })) as { assistant: MessageInfo };
    await until(() => t.core.lib.conversations.message(assistant.id)!.status !== "streaming");
    expect(t.core.lib.conversations.get(conv.id)!.title).toBe("The river scene");
  });

  it("an edited last question replaces it and its answer; the first one renames its conversation unless renamed by hand", async () => {
    const d = await withBook();
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const ask = async (text: string, replaceLast?: boolean) => {
      const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text, ...(replaceLast ? { replaceLast } : {}) })) as { assistant: MessageInfo };
      await until(() => t.core.lib.conversations.message(assistant.id)!.status !== "streaming");
    };
    const contents = () => t.core.lib.conversations.messages(conv.id).map((m) => `${m.role}: ${m.content}`);
    const title = () => t.core.lib.conversations.get(conv.id)!.title;
    await ask("Wher is Alice?");
    await ask("Where is Alice?", true);
    expect(contents()).toEqual(["user: Where is Alice?", "assistant: Alice follows the White Rabbit down the hole."]);
    expect(title()).toBe("Where is Alice?");
    await ask("And then?");
    await ask("And what then?", true);
    expect(contents().filter((c) => c.startsWith("user"))).toEqual(["user: Where is Alice?", "user: And what then?"]);
    expect(contents()).toHaveLength(4);
    expect(title()).toBe("Where is Alice?");
    // the history the model reads has the edit, not the question it replaced
    const last = t.engine.calls.filter((c) => c.op === "generate").pop()!;
    const prompt = String.fromCodePoint(...(last.args as { tokens: Int32Array }).tokens);
    expect(prompt).toContain("And what then?");
    expect(prompt).not.toContain("And then?");
    // a conversation renamed by hand keeps its name when its first question is edited
    const other = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: other.id, text: "Who?" })) as { assistant: MessageInfo };
    await until(() => t.core.lib.conversations.message(assistant.id)!.status !== "streaming");
    await t.core.call("chat.rename", { conversationId: other.id, title: "Mine" });
    const { assistant: again } = (await t.core.call("chat.send", { conversationId: other.id, text: "Who is she?", replaceLast: true })) as { assistant: MessageInfo };
    await until(() => t.core.lib.conversations.message(again.id)!.status !== "streaming");
    expect(t.core.lib.conversations.get(other.id)!.title).toBe("Mine");
    // nothing to replace in an empty conversation: refused, nothing stored
    const empty = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await expect(t.core.call("chat.send", { conversationId: empty.id, text: "x", replaceLast: true })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(t.core.lib.conversations.messages(empty.id)).toEqual([]);
  });

  it("tells every page of a conversation made, named, renamed, deleted, and of messages an edit or a regeneration took out", async () => {
    const d = await withBook();
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as ConversationInfo;
    const done = async (p: Promise<unknown>) => {
      const { assistant } = (await p) as { assistant: MessageInfo };
      await until(() => t.core.lib.conversations.message(assistant.id)!.status !== "streaming");
    };
    await done(t.core.call("chat.send", { conversationId: conv.id, text: "Who?" }));
    const [q1, a1] = t.core.lib.conversations.messages(conv.id);
    await done(t.core.call("chat.regenerate", { conversationId: conv.id }));
    await done(t.core.call("chat.send", { conversationId: conv.id, text: "Who is she?", replaceLast: true }));
    expect(t.core.lib.conversations.messages(conv.id)).toHaveLength(2); // the edit and its answer
    await t.core.call("chat.rename", { conversationId: conv.id, title: "Her" });
    await t.core.call("chat.setSystemPrompt", { conversationId: conv.id, systemPrompt: "Be terse." });
    await t.core.call("chat.remove", { conversationId: conv.id });
    expect(eventsOf(t, "chat.conversation").map((c) => [c.id, c.title, c.systemPrompt])).toEqual([
      [conv.id, "New conversation", conv.systemPrompt],
      [conv.id, "Who?", conv.systemPrompt],
      [conv.id, "Who is she?", conv.systemPrompt],
      [conv.id, "Her", conv.systemPrompt],
      [conv.id, "Her", "Be terse."],
    ]);
    const removed = eventsOf(t, "chat.messagesRemoved");
    expect(removed[0]).toEqual({ conversationId: conv.id, messageIds: [a1.id] }); // the regenerated answer
    expect(removed[1].messageIds[0]).toBe(q1.id); // the edited question and the answer after it
    expect(removed[1].messageIds).toHaveLength(2);
    expect(eventsOf(t, "chat.conversationRemoved")).toEqual([{ conversationId: conv.id, documentId: d.id }]);
  });

  it("refuses a passage outside the book or longer than a question may quote, and stores nothing", async () => {
    const d = await withBook();
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const ask = (passage: { start: number; end: number }) => t.core.call("chat.send", { conversationId: conv.id, text: "Why?", passage });
    await expect(ask({ start: 10, end: d.chars + 1 })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("not a part of") });
    await expect(ask({ start: 10, end: 10 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(ask({ start: 12, end: 10 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(ask({ start: -1, end: 10 })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("passage.start") });
    expect(t.core.lib.conversations.messages(conv.id)).toEqual([]);
    const long = (await t.core.call("library.import", { name: "long.txt", dataBase64: b64("The river ran on and on. ".repeat(400)) })) as DocumentInfo;
    const onLong = (await t.core.call("chat.create", { documentId: long.id })) as { id: number };
    const askLong = (end: number) => t.core.call("chat.send", { conversationId: onLong.id, text: "Why?", passage: { start: 0, end } });
    await expect(askLong(4001)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("at most 4000") });
    expect(t.core.lib.conversations.messages(onLong.id)).toEqual([]);
    const { user, assistant } = (await askLong(4000)) as { user: MessageInfo; assistant: MessageInfo };
    expect(user.passage!.text).toBe(t.core.lib.documents.text(long.id, 0, 4000));
    // a passage of 4,000 characters after a book that fills the context: said so in the answer
    const failed = await until(() => {
      const m = t.core.lib.conversations.message(assistant.id)!;
      return m.status !== "streaming" && m;
    });
    expect(failed.status).toBe("error");
    expect(failed.content).toMatch(/The question and the passage it quotes do not fit the model's context \(2048 tokens\) after the book \(\d+ tokens with it\)\. Quote a shorter passage/);
  });

  it("answers a book that was not read yet (reads it on the way)", async () => {
    const d = await withBook();
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Hi?" })) as { assistant: MessageInfo };
    await until(() => t.core.lib.conversations.message(assistant.id)!.status === "done");
    expect(doc(d.id).state).toBe("ready");
  });

  it("stop keeps the partial answer marked stopped; regenerate replaces the last answer", async () => {
    const d = await withBook({ reply: "one two three four five six seven eight nine ten ".repeat(5), tokenDelayMs: 15 });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Count" })) as { assistant: MessageInfo };
    await until(() => eventsOf(t, "chat.delta").length >= 3);
    expect(await t.core.call("chat.stop", { conversationId: conv.id })).toEqual({ stopped: true });
    const m = await until(() => {
      const x = t.core.lib.conversations.message(assistant.id)!;
      return x.status !== "streaming" && x;
    });
    expect(m.status).toBe("stopped");
    expect(m.content.length).toBeGreaterThan(0);
    expect(m.content.length).toBeLessThan(t.engine.o.reply!.length);
    const { assistant: again } = (await t.core.call("chat.regenerate", { conversationId: conv.id })) as { assistant: MessageInfo };
    await t.core.call("chat.stop", { conversationId: conv.id });
    await until(() => t.core.lib.conversations.message(again.id)!.status !== "streaming");
    const msgs = t.core.lib.conversations.messages(conv.id);
    expect(msgs.map((x) => x.role)).toEqual(["user", "assistant"]);
    expect(msgs[1].id).toBe(again.id);
  });

  it("gives the running answer's per-token stats so far, in order (a page loaded mid-answer draws them), none after it", async () => {
    const d = await withBook({ reply: "one two three four five six seven eight nine ten ".repeat(3), tokenDelayMs: 20 });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Count" })) as { assistant: MessageInfo };
    await until(() => eventsOf(t, "stats.token").length >= 4);
    const sofar = (await t.core.call("stats.tokens", {})) as TokenStats[];
    expect(sofar.length).toBeGreaterThanOrEqual(4);
    expect(sofar.map((x) => x.index)).toEqual(sofar.map((_, i) => i));
    expect(sofar.every((x) => x.messageId === assistant.id && x.documentId === d.id)).toBe(true);
    expect(sofar).toEqual(eventsOf(t, "stats.token").slice(0, sofar.length));
    await until(() => t.core.lib.conversations.message(assistant.id)!.status === "done");
    expect(await t.core.call("stats.tokens", {})).toEqual([]);
  });

  it("a question asked right after Stop starts once the stopped answer has ended (it was refused BUSY)", async () => {
    const d = await withBook({ reply: "one two three four five six seven eight nine ten ".repeat(5), tokenDelayMs: 40 });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Count" })) as { assistant: MessageInfo };
    await until(() => eventsOf(t, "chat.delta").length >= 2);
    await t.core.call("chat.stop", { conversationId: conv.id });
    expect(t.core.state.job?.cancelling).toBe(true); // the stopped answer runs to its next step
    const { assistant: next } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Again" })) as { assistant: MessageInfo };
    expect(t.core.lib.conversations.message(assistant.id)!.status).toBe("stopped");
    await until(() => t.core.lib.conversations.message(next.id)!.status === "done", 10_000);
    expect(t.core.lib.conversations.messages(conv.id).map((m) => [m.role, m.status])).toEqual([
      ["user", "done"],
      ["assistant", "stopped"],
      ["user", "done"],
      ["assistant", "done"],
    ]);
  });

  it("a crashed engine ends the answer with an error, resets states, and the next load works", async () => {
    const d = await withBook({ tokenDelayMs: 30 });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Go" })) as { assistant: MessageInfo };
    await until(() => eventsOf(t, "chat.delta").length >= 1);
    t.engine.crash();
    const m = await until(() => {
      const x = t.core.lib.conversations.message(assistant.id)!;
      return x.status !== "streaming" && x;
    });
    expect(m.status).toBe("error");
    expect(m.content).toContain("engine stopped");
    const st = (await t.core.call("engine.status", {})) as { crashed: string; model: null };
    expect(st.crashed).toContain("SIGSEGV");
    expect(st.model).toBeNull();
    expect(doc(d.id).state).toBe("new");
    await expect(t.core.call("chat.send", { conversationId: conv.id, text: "again" })).rejects.toMatchObject({ code: "NO_MODEL" });
    await t.core.call("models.load", { path: t.modelPath });
    expect(((await t.core.call("engine.status", {})) as { crashed: null }).crashed).toBeNull();
  });

  it("conversations survive a restart; an answer cut by the restart is marked interrupted", async () => {
    // a reply far longer than the wait below, so the restart always cuts it (a loaded CI machine delays timers)
    const d = await withBook({ tokenDelayMs: 50, reply: "and so on ".repeat(100) });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    await t.core.call("chat.send", { conversationId: conv.id, text: "Remember me" });
    await until(() => eventsOf(t, "chat.delta").length >= 2);
    await new Promise((r) => setTimeout(r, 300)); // the streaming text is saved every 250 ms
    const dir = t.dir;
    t.engine.freeze(); // the process "dies" here: no finish() for the answer
    t.core.lib.close();
    t = makeCore({ dir });
    const convs = (await t.core.call("chat.list", { documentId: d.id })) as { id: number; title: string }[];
    expect(convs[0].title).toBe("Remember me");
    const msgs = (await t.core.call("chat.messages", { conversationId: conv.id })) as MessageInfo[];
    expect(msgs[0].content).toBe("Remember me");
    expect(msgs[1].status).toBe("interrupted");
    expect(msgs[1].content.length).toBeGreaterThan(0);
  });
});

describe("models", () => {
  it("lists the models folder and refuses paths outside it", async () => {
    t = makeCore();
    const list = (await t.core.call("models.list", {})) as { path: string }[];
    expect(list.map((m) => m.path)).toContain(t.modelPath);
    const details = (await t.core.call("models.inspect", { path: t.modelPath })) as ModelDetails;
    expect(details.arch).toBe("llama");
    expect(details.memory!.retrieval.deviceKvBytes).toBeLessThan((1 << 20) + 1);
    expect(details.memory!.retrieval.indexBytes).toBeGreaterThan(0);
    expect(details.memory!.retrieval.readQueryBytes).toBeGreaterThan(0);
    for (const bad of ["/etc/passwd", path.join(t.dir, "models", "..", "tome.db"), path.join(t.dir, "models", "..", "..", "x.gguf"), "relative.gguf"]) {
      await expect(t.core.call("models.load", { path: bad })).rejects.toMatchObject({ code: expect.stringMatching(/BAD_REQUEST|NOT_FOUND/) });
    }
    expect(t.engine.calls.filter((c) => c.op === "load")).toHaveLength(0);
    await expect(t.core.call("models.openDialog", {})).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
    // a method that is not a string is named by its type (the desktop's IPC reaches call directly):
    // quoting a deeply nested array back overflowed the stack
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await expect(t.core.call(deep, {})).rejects.toThrow("method: expected a string, got an array");
  });

  it("answers a model's details from the copy made before (the engine may be busy), until the file changes", async () => {
    t = makeCore();
    const inspects = () => t.engine.calls.filter((c) => c.op === "inspect").length;
    const first = await t.core.call("models.inspect", { path: t.modelPath });
    expect(await t.core.call("models.inspect", { path: t.modelPath })).toEqual(first);
    expect(inspects()).toBe(1);
    fs.appendFileSync(t.modelPath, "more bytes"); // another file now: asked again
    await t.core.call("models.inspect", { path: t.modelPath });
    expect(inspects()).toBe(2);
  });

  it("takes a models folder only when it exists and is named by its full path", async () => {
    t = makeCore();
    const before = ((await t.core.call("settings.get", {})) as { modelsDir: string }).modelsDir;
    for (const bad of [path.join(t.dir, "no-such-folder"), "relative/models", path.join(t.dir, "tome.db")])
      await expect(t.core.call("settings.set", { modelsDir: bad })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^params\.modelsDir: must be an existing folder/) });
    expect(((await t.core.call("settings.get", {})) as { modelsDir: string }).modelsDir).toBe(before);
    await expect(t.core.call("settings.set", { modelsDir: before, threads: 1 })).resolves.toMatchObject({ threads: 1 }); // unchanged: not checked again
    const other = tempDir();
    await expect(t.core.call("settings.set", { modelsDir: other })).resolves.toMatchObject({ modelsDir: other });
  });
});

describe("following a job from a page loaded while it runs", () => {
  it("gives a streaming answer's whole text so far, and deltas that say where their text goes", async () => {
    const d = await withBook({ reply: "She had a crab named Jack. She loved to play with her. ".repeat(4), tokenDelayMs: 10 });
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" })) as { assistant: MessageInfo };
    await until(() => eventsOf(t, "chat.delta").length >= 5);
    // what a reloaded page asks for: all the text written, not the copy saved up to 250 ms ago
    const msgs = (await t.core.call("chat.messages", { conversationId: conv.id })) as MessageInfo[];
    const written = eventsOf(t, "chat.delta").map((x) => x.text).join("");
    expect(msgs.find((m) => m.id === assistant.id)).toMatchObject({ status: "streaming", content: written });
    const done = await until(() => {
      const m = t.core.lib.conversations.message(assistant.id)!;
      return m.status !== "streaming" && m;
    });
    let at = 0;
    for (const delta of eventsOf(t, "chat.delta")) {
      expect(delta.offset).toBe(at);
      expect(done.content.slice(at, at + delta.text.length)).toBe(delta.text);
      at += delta.text.length;
    }
  });

  it("cancels a read by its book while it tokenizes: said at once, and it stops before the engine lets go of the book it holds", async () => {
    const d = await withBook({ tokenizeDelayMs: 150 });
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready" && t.core.state.job === null);
    const other = (await t.core.call("library.import", { name: "other.txt", dataBase64: b64("word ".repeat(300)) })) as DocumentInfo;
    await t.core.call("library.read", { documentId: other.id });
    const status = (await t.core.call("engine.status", {})) as EngineStatus;
    expect(status.job).toMatchObject({ kind: "read", documentId: other.id, cancelling: false }); // a page loaded now can follow it
    expect(await t.core.call("library.cancel", { documentId: other.id })).toEqual({ cancelled: true });
    expect(eventsOf(t, "engine.status").at(-1)!.job).toMatchObject({ documentId: other.id, cancelling: true });
    await until(() => t.core.state.job === null);
    expect(doc(other.id).state).toBe("new");
    expect(t.engine.calls.filter((c) => c.op === "prefill")).toHaveLength(1); // only the first book's read
    expect(doc(d.id).state).toBe("ready");
    expect(t.core.state.engineDoc).toBe(d.id);
    expect(await t.core.call("library.cancel", { documentId: other.id })).toEqual({ cancelled: false });
  });

  it("tells the running evaluation's job and rows so far", async () => {
    t = makeCore({ evalRowMs: 20 });
    await t.core.call("models.load", { path: t.modelPath });
    const { jobId } = (await t.core.call("eval.run", { tasks: ["passkey"], lengths: [256, 512], depths: [0, 50, 100], modes: ["full", "retrieval"], samples: 1 })) as { jobId: string };
    await until(() => eventsOf(t, "eval.progress").length >= 3);
    const { job } = (await t.core.call("engine.status", {})) as EngineStatus;
    const rows = eventsOf(t, "eval.progress").map((e) => e.row);
    expect(job).toMatchObject({ id: jobId, kind: "eval", cancelling: false, eval: { rows, progress: eventsOf(t, "eval.progress").at(-1)!.progress } });
    await t.core.call("eval.cancel", { jobId });
    const done = await until(() => eventsOf(t, "eval.done")[0]);
    expect(done.error?.code).toBe("CANCELLED");
    expect(((await t.core.call("engine.status", {})) as EngineStatus).job).toBeNull();
  });

  it("sends fresh memory figures when a read and an answer end (the engine's own lag while busy)", async () => {
    const d = await withBook();
    await t.core.call("library.read", { documentId: d.id });
    await until(() => doc(d.id).state === "ready");
    const afterRead = await until(() => eventsOf(t, "stats.memory").at(-1));
    expect(afterRead).toMatchObject({ documentId: d.id, nPast: expect.any(Number) });
    expect(afterRead.nPast).toBeGreaterThan(d.chars);
    const conv = (await t.core.call("chat.create", { documentId: d.id })) as { id: number };
    const { assistant } = (await t.core.call("chat.send", { conversationId: conv.id, text: "Who?" })) as { assistant: MessageInfo };
    await until(() => t.core.lib.conversations.message(assistant.id)!.status === "done" && t.core.state.job === null);
    await until(() => eventsOf(t, "stats.memory").at(-1)!.nPast > afterRead.nPast);
  });
});

describe("books chosen in the open dialog", () => {
  it("are read and added one by one: one that cannot be added is said so, the others still come in", async () => {
    const dir = tempDir();
    const good = path.join(dir, "tiny.txt");
    fs.writeFileSync(good, BOOK);
    const big = path.join(dir, "big.txt");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 64 * 2 ** 20 + 1); // sparse: one byte over the limit, refused by its size unread
    const damaged = path.join(dir, "damaged.epub");
    fs.writeFileSync(damaged, "PK\u0003\u0004 not really a zip");
    const gone = path.join(dir, "gone.txt");
    const other = path.join(dir, "other.md");
    fs.writeFileSync(other, "# Other\n\n" + "The tide came in. ".repeat(30));
    t = makeCore({ dialogs: { openModel: async () => null, openBooks: async () => [big, good, damaged, gone, dir, other] } });
    const added = (await t.core.call("library.openDialog", {})) as DocumentInfo[];
    expect(added.map((d) => d.sourceName)).toEqual(["tiny.txt", "other.md"]);
    expect(t.core.lib.documents.list().map((d) => d.sourceName).sort()).toEqual(["other.md", "tiny.txt"]);
    const notices = eventsOf(t, "app.notice");
    expect(notices.map((n) => n.kind)).toEqual(["error", "error", "error", "error"]);
    expect(notices.map((n) => n.text)).toEqual([
      "Could not open 'big.txt': it is over the 64 MiB limit.",
      expect.stringMatching(/^Could not open 'damaged.epub': This EPUB file is damaged/),
      "Could not open 'gone.txt': it is no longer there.",
      `Could not open '${path.basename(dir)}': it is not a file.`,
    ]);
  });

  it("each is announced as it opens and done after; a Stop ends it and the rest of the choice", async () => {
    const dir = tempDir();
    const files = ["one.txt", "two.txt", "three.txt"].map((n) => path.join(dir, n));
    files.forEach((f, i) => fs.writeFileSync(f, `Book ${i + 1}.\n\n` + "The tide came in. ".repeat(30 + i)));
    t = makeCore({ dialogs: { openModel: async () => null, openBooks: async () => files } });
    const importing = () => eventsOf(t, "library.importing");
    // the window's Stop as the second one starts opening
    t.core.onEvent((event, data) => {
      const e = data as { importId: string; name: string; done: boolean };
      if (event === "library.importing" && e.name === "two.txt" && !e.done) void t.core.call("library.cancelImport", { importId: e.importId });
    });
    const added = (await t.core.call("library.openDialog", {})) as DocumentInfo[];
    expect(added.map((d) => d.sourceName)).toEqual(["one.txt"]);
    expect(importing().map((e) => [e.name, e.done])).toEqual([
      ["one.txt", false],
      ["one.txt", true],
      ["two.txt", false],
      ["two.txt", true],
    ]);
    expect(importing()[0].importId).toBe(importing()[1].importId);
    expect(importing()[0].importId).not.toBe(importing()[2].importId);
    expect(eventsOf(t, "app.notice")).toEqual([{ kind: "info", text: "Stopped opening 'two.txt'." }]);
    expect(t.core.lib.documents.list().map((d) => d.sourceName)).toEqual(["one.txt"]);
    // done: its id stops nothing
    expect(await t.core.call("library.cancelImport", { importId: importing()[2].importId })).toEqual({ cancelled: false });
  });

  it("reads a file to its end and refuses one past the limit, whatever its size said", async () => {
    const dir = tempDir();
    const f = path.join(dir, "book.txt");
    fs.writeFileSync(f, "x".repeat(10));
    expect((await readBookFile(f, 10)).bytes).toEqual(new Uint8Array(Buffer.from("x".repeat(10))));
    fs.writeFileSync(f, "x".repeat(11));
    await expect(readBookFile(f, 10)).rejects.toMatchObject({ code: "TOO_LARGE" });
    // larger than one read's chunk (4 MiB): every byte, in order
    const bytes = new Uint8Array(9 * 2 ** 20 + 7).map((_, i) => (i * 31) & 255);
    fs.writeFileSync(f, bytes);
    expect(Buffer.compare((await readBookFile(f)).bytes, bytes)).toBe(0);
  });
});

describe("storage trouble", () => {
  it("a full disk while a book is imported is DISK_FULL, and the library is as it was", async () => {
    t = makeCore();
    const db = t.core.lib.db;
    // SQLite's page limit makes the library's file full at its present size plus a little: a real SQLITE_FULL
    const pages = Number(db.pragma("page_count", { simple: true }));
    db.pragma(`max_page_count = ${pages + 2}`);
    const big = "A long book. ".repeat(100_000);
    const failed = await t.core.call("library.import", { name: "big.txt", dataBase64: b64(big) }).catch((e: unknown) => e);
    // as both transports answer it (ws-transport, the desktop's ipc)
    expect(toContractError(failed)).toEqual({
      code: "DISK_FULL",
      message: expect.stringMatching(/^The disk is full, so tome could not save this \(.*\)\. Free some space and try again\.$/),
    });
    expect(t.core.lib.documents.list()).toEqual([]);
    db.pragma("max_page_count = 1073741823");
    const doc = (await t.core.call("library.import", { name: "big.txt", dataBase64: b64(big) })) as DocumentInfo;
    expect(t.core.lib.documents.text(doc.id)!.startsWith("A long book. A long book.")).toBe(true);
  });
});
