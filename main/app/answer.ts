// Answering: store the question, create the answer row ('streaming'), build the
// prompt [book][history][question] (oldest turns dropped if it would not fit),
// generate with token events -> chat.delta + stats.token, save the growing text
// every STREAM_SAVE_MS, and finish the row with stats and highlights. Stop
// cancels the engine job; the partial answer stays, marked 'stopped'.
import { randomUUID } from "node:crypto";
import type { AnswerStats, ConversationInfo, DocumentInfo, MessageInfo, QuotedPassage, TokenStats } from "../ipc/contract";
import { AppError } from "../ipc/errors";
import { LIMITS } from "../ipc/validate";
import type { EngineEvent } from "../host/protocol";
import { buildPrompt, withPassage, type BuiltPrompt, type Turn } from "./prompt";
import { historyContent } from "./harmony";
import { passagesFromAttention } from "./highlights";
import type { AppCore } from "./core";
import type { ReadJobs } from "./read";

const STREAM_SAVE_MS = 250;

export class Answers {
  /** The answer being written and all its text so far (the database's copy lags up to STREAM_SAVE_MS). */
  private stream: { messageId: number; text: string; tokenStats: TokenStats[] } | null = null;

  constructor(
    private core: AppCore,
    private reads: ReadJobs,
  ) {}

  /** The text written so far of the answer `messageId` while it streams, else undefined. */
  liveText(messageId: number): string | undefined {
    return this.stream?.messageId === messageId ? this.stream.text : undefined;
  }

  /** The per-token stats of the answer streaming now, in order ([] when none). */
  liveTokenStats(): TokenStats[] {
    return this.stream ? [...this.stream.tokenStats] : [];
  }

  /**
   * `passage`: the part of the book the question is about, quoted to the model before it.
   * `replaceLast`: the question replaces the last question and the answer after it (an edit).
   */
  async send(conv: ConversationInfo, text: string, passage?: { start: number; end: number }, replaceLast = false): Promise<{ user: MessageInfo; assistant: MessageInfo }> {
    const core = this.core;
    core.requireModel();
    await core.afterCancelledJob();
    core.requireIdle();
    const doc = core.requireDoc(conv.documentId);
    const quoted = passage ? this.quote(doc, passage) : null;
    const before = replaceLast ? core.lib.conversations.messages(conv.id) : [];
    const replaced = replaceLast ? lastExchange(before) : [];
    const user = core.lib.conversations.addMessage(conv.id, "user", text, "done", quoted, replaced.map((m) => m.id));
    // named by its first question: an edit of it renames it, unless it was renamed by hand
    const first = replaced.length > 0 && replaced.length === before.length;
    if (conv.title === "New conversation" || (first && conv.title === conversationTitle(replaced[0].content, replaced[0].passage)))
      core.conversationChanged(core.lib.conversations.update(conv.id, { title: conversationTitle(text, quoted) })!);
    if (replaced.length) core.emit("chat.messagesRemoved", { conversationId: conv.id, messageIds: replaced.map((m) => m.id) });
    const assistant = this.start(conv);
    core.emit("chat.message", user);
    return { user, assistant };
  }

  /** The book's text of [start, end), refused when outside the book or longer than a quote may be. */
  private quote(doc: DocumentInfo, { start, end }: { start: number; end: number }): QuotedPassage {
    if (start >= end || end > doc.chars)
      throw new AppError("BAD_REQUEST", `The passage [${start}, ${end}) is not a part of “${doc.title}” (${doc.chars} characters).`);
    if (end - start > LIMITS.maxPassageChars)
      throw new AppError("BAD_REQUEST", `The passage is ${end - start} characters long; a question can quote at most ${LIMITS.maxPassageChars}.`);
    const text = this.core.lib.documents.text(doc.id, start, end);
    if (text === undefined) throw new AppError("NOT_FOUND", `No text for document ${doc.id}.`);
    return { start, end, text };
  }

  async regenerate(conv: ConversationInfo): Promise<{ assistant: MessageInfo }> {
    const core = this.core;
    core.requireModel();
    await core.afterCancelledJob();
    core.requireIdle();
    const msgs = core.lib.conversations.messages(conv.id);
    const last = msgs[msgs.length - 1];
    if (!last) throw new AppError("BAD_REQUEST", "Nothing to regenerate: ask a question first.");
    if (last.role === "assistant") {
      core.lib.conversations.removeMessage(last.id);
      core.emit("chat.messagesRemoved", { conversationId: conv.id, messageIds: [last.id] });
    }
    return { assistant: this.start(conv) };
  }

  private start(conv: ConversationInfo): MessageInfo {
    const assistant = this.core.lib.conversations.addMessage(conv.id, "assistant", "", "streaming");
    const jobId = randomUUID();
    this.core.state.job = { id: jobId, kind: "answer", documentId: conv.documentId, conversationId: conv.id };
    this.core.emit("chat.message", assistant);
    void this.run(jobId, conv, assistant);
    return assistant;
  }

  private async run(jobId: string, conv: ConversationInfo, assistant: MessageInfo) {
    const core = this.core;
    const lib = core.lib;
    const settings = lib.settings.get();
    const tokenStats: TokenStats[] = [];
    const stream = { messageId: assistant.id, text: "", tokenStats };
    this.stream = stream;
    let lastSave = 0;
    let decodeStart = 0;
    let docReady = false;
    core.setActivity("answering");
    const forwardPrefill = this.reads.forwardPrefill(conv.documentId, jobId);
    const off = core.onJobEvents(jobId, (e: EngineEvent) => {
      if (e.event === "progress") {
        if (e.total > 0) forwardPrefill(e);
        return;
      }
      if (e.event !== "token") return;
      if (!docReady) {
        docReady = true;
        this.markReady(conv.documentId);
        decodeStart = performance.now() - e.ms;
      }
      const offset = stream.text.length;
      stream.text += e.text;
      if (e.text) core.emit("chat.delta", { conversationId: conv.id, messageId: assistant.id, offset, text: e.text });
      const elapsed = (performance.now() - decodeStart) / 1000;
      const ts: TokenStats = {
        messageId: assistant.id,
        documentId: conv.documentId,
        index: e.index,
        totalMs: e.ms,
        phaseMs: e.phase,
        retrieval: e.retrieval ? { ...e.retrieval, topK: settings.attention.topK, exact: e.retrieval.keysScanned >= e.retrieval.keysTotal } : null,
        tokensPerSec: elapsed > 0 ? (e.index + 1) / elapsed : 0,
      };
      tokenStats.push(ts);
      core.emit("stats.token", ts);
      // the engine read its memory figures as the answer started (after the question's prefill):
      // the panels show this answer's context from its first token, not the ticker's next second
      if (e.index === 0) core.refreshMemory();
      const now = performance.now();
      if (now - lastSave > STREAM_SAVE_MS) {
        lastSave = now;
        lib.conversations.saveContent(assistant.id, stream.text);
      }
    });
    try {
      const model = core.requireModel();
      const doc = core.requireDoc(conv.documentId);
      if (doc.state !== "ready") {
        lib.documents.setState(doc.id, "reading");
        core.docUpdated(doc.id);
      }
      const dt = await this.reads.ensureTokens(doc, jobId, model);
      core.throwIfCancelled(jobId); // Stop while the book was tokenized (which cannot be interrupted)
      const all = lib.conversations.messages(conv.id).filter((m) => m.id !== assistant.id);
      const question = all[all.length - 1];
      if (!question || question.role !== "user") throw new AppError("BAD_REQUEST", "The conversation does not end with a question.");
      const history = answeredTurns(all.slice(0, -1));
      const conversation = lib.conversations.get(conv.id) ?? conv;
      const prompt = await this.fit(
        model.nCtx,
        settings.maxTokens,
        (h) => buildPrompt(core.engine, model, dt.tokens.subarray(0, dt.used), conversation.systemPrompt, h, withPassage(question.content, question.passage)),
        history,
        question.passage !== null,
      );
      core.throwIfCancelled(jobId);
      this.reads.claimEngine(doc.id);
      const res = await core.engine.call("generate", {
        jobId,
        tokens: prompt.tokens,
        maxTokens: settings.maxTokens,
        sampler: { temperature: settings.temperature, topK: 40, topP: 0.95, minP: 0.05, seed: Math.floor(Math.random() * 2 ** 31) },
        docStart: prompt.docStart,
        docEnd: prompt.docEnd,
      });
      core.storeUsed(doc.id, res, model.path, dt.used);
      if (!docReady) this.markReady(doc.id);
      const stats: AnswerStats = {
        promptTokens: prompt.tokens.length,
        reusedTokens: res.reused,
        tokens: res.tokens,
        prefillMs: res.prefillMs,
        decodeMs: res.decodeMs,
        tokensPerSec: res.decodeMs > 0 ? (res.tokens / res.decodeMs) * 1000 : 0,
        stoppedBy: res.stoppedBy,
      };
      const highlights = res.attended ? passagesFromAttention(lib.documents.text(doc.id) ?? "", dt.starts.subarray(0, dt.used), res.attended) : [];
      this.finish(assistant.id, { content: res.text, status: res.stoppedBy === "abort" ? "stopped" : "done", stats, highlights }, tokenStats);
    } catch (e) {
      const err = e as AppError;
      if (err.code === "CANCELLED") {
        this.finish(assistant.id, { content: stream.text, status: "stopped", stats: null, highlights: [] }, tokenStats);
      } else {
        const note = `\n\n[${err.message ?? String(e)}]`;
        this.finish(assistant.id, { content: stream.text + note, status: "error", stats: null, highlights: [] }, tokenStats);
      }
      const d = lib.documents.get(conv.documentId);
      if (d && d.state === "reading") {
        lib.documents.setState(d.id, "new");
        core.docUpdated(d.id);
      }
    } finally {
      off();
      if (this.stream === stream) this.stream = null;
      core.endJob(jobId);
      core.setActivity("idle");
      core.refreshMemory();
    }
  }

  /**
   * Builds the prompt, dropping the oldest turns (a question and its answer) until it leaves room
   * for an answer; refused when even the question alone (`quoting`: with its passage) leaves none.
   */
  private async fit(nCtx: number, maxTokens: number, build: (h: Turn[]) => Promise<BuiltPrompt>, history: Turn[], quoting: boolean): Promise<BuiltPrompt> {
    const room = Math.min(maxTokens, 64);
    let h = history;
    for (;;) {
      const p = await build(h);
      if (p.tokens.length + room <= nCtx) return p;
      if (h.length === 0) {
        const what = quoting ? "The question and the passage it quotes do not" : "The question does not";
        const advice = quoting ? " Quote a shorter passage, or load the model with a longer context." : "";
        throw new AppError("CTX_FULL", `${what} fit the model's context (${nCtx} tokens) after the book (${p.tokens.length} tokens with it).${advice}`);
      }
      h = h.slice(Math.min(2, h.length));
    }
  }

  private markReady(documentId: number) {
    if (this.core.lib.documents.get(documentId)?.state !== "ready") {
      this.core.lib.documents.setState(documentId, "ready");
      this.core.docUpdated(documentId);
    }
  }

  private finish(id: number, f: Parameters<AppCore["lib"]["conversations"]["finish"]>[1], tokenStats: TokenStats[]) {
    const lib = this.core.lib;
    const msg = lib.conversations.finish(id, f);
    if (tokenStats.length) lib.conversations.saveTokenStats(id, tokenStats);
    this.core.emit("chat.message", msg);
  }
}

/** The last question and the answer after it, if any: what an edit replaces. */
function lastExchange(messages: MessageInfo[]): MessageInfo[] {
  let q = messages.length - 1;
  while (q >= 0 && messages[q].role !== "user") q--;
  if (q < 0 || messages.length - q > 2) throw new AppError("BAD_REQUEST", "There is no last question to replace.");
  return messages.slice(q);
}

/**
 * A conversation's title from its first question, on one line: 60 characters of it, and, for a
 * question about a passage ("Why?"), the passage's first words after it.
 */
export function conversationTitle(question: string, passage: QuotedPassage | null): string {
  const line = (s: string) => s.replace(/\s+/g, " ").trim();
  const q = line(question).slice(0, 60);
  if (!passage || q.length >= 40) return q;
  const words = line(passage.text);
  const room = 60 - q.length - 5; // ' — “' and '”'
  if (words.length <= room) return `${q} — “${words}”`;
  const cut = words.slice(0, room - 1);
  const wordEnd = cut.lastIndexOf(" "); // a word cut short reads wrong: it is left out
  return `${q} — “${(wordEnd > room / 2 ? cut.slice(0, wordEnd) : cut).trimEnd()}…”`;
}

/**
 * The history a prompt carries: each question with the answer that followed it, as pairs. A
 * question left without an answer (stopped before its first word, failed) goes with it:
 * chat templates that want the roles to alternate raise on two questions in a row (Llama 2,
 * Mistral), and the plain fallback that then rendered the turn put the book under another
 * prefix than its read (the whole book read again) in a format the model does not know.
 */
export function answeredTurns(messages: readonly { role: "user" | "assistant"; content: string; status: string; passage?: QuotedPassage | null }[]): Turn[] {
  const usable = (m: { content: string; status: string }) => m.content !== "" && m.status !== "streaming" && m.status !== "error";
  const out: Turn[] = [];
  for (let i = 0; i + 1 < messages.length; i++) {
    const q = messages[i];
    const a = messages[i + 1];
    if (q.role === "user" && usable(q) && a.role === "assistant" && usable(a)) {
      out.push({ role: "user", content: withPassage(q.content, q.passage ?? null) }, { role: "assistant", content: historyContent(a.content) });
      i++;
    }
  }
  return out;
}
