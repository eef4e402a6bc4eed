// A turn's prompt as tokens: the chat template renders the book first, then the
// system prompt, the history and the question (the book first, so its KV is shared
// by every conversation about it whatever the system prompt). Template text is
// tokenized with special tokens, content without; the book's tokens are the cached
// ones, cut to what fits.
import { renderTemplateSegments, type ChatMessage, type Segment } from "../host/chat-template";
import type { Engine } from "../host/engine-client";
import type { LoadedModel } from "../host/protocol";
import type { QuotedPassage } from "../ipc/contract";
import { AppError } from "../ipc/errors";
import { blockQuote } from "./block-quote";

export interface BuiltPrompt {
  tokens: Int32Array;
  docStart: number; // the book's first token in the prompt
  docEnd: number;
}

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

/**
 * Where the book goes. Its KV serves every answer only if what precedes it renders the same
 * in every turn:
 *   system      a system message [book]\n\n[system prompt], then the history and the question
 *               (most templates: ChatML, Llama 2 and 3);
 *   first-user  the first user turn [book]\n\n[system prompt]\n\n[its question], for
 *               templates that move the system message (Mistral v0.3 puts it into the LAST user
 *               turn: the book moved behind the growing history and was read again at every
 *               turn), leave it out, or refuse it ("System role not supported");
 *   plain       the fallback template, where neither holds.
 */
export type PromptLayout = "system" | "first-user" | "plain";

function messagesFor(layout: PromptLayout, systemPrompt: string, history: Turn[], question: string): ChatMessage[] {
  const sys = systemPrompt ? "\n\n" + systemPrompt : "";
  const turns: ChatMessage[] = [...history, { role: "user" as const, content: question }].map((t) => ({ role: t.role, parts: [{ text: t.content }] }));
  if (layout === "first-user") {
    // the history is question-answer pairs (answeredTurns): the first turn is a question
    turns[0] = { role: "user", parts: [{ doc: true }, { text: sys + "\n\n" + (history[0] ?? { content: question }).content }] };
    return turns;
  }
  return [{ role: "system", parts: [{ doc: true }, ...(sys ? [{ text: sys }] : [])] }, ...turns];
}

/**
 * A question as the model reads it: the passage of the book it is about (chosen in the reader)
 * quoted before it, each line a Markdown quote line, so the model knows which words "this"
 * means (and the retrieval finds them: the quote's queries match the book's keys there).
 */
export function withPassage(question: string, passage: QuotedPassage | null): string {
  if (!passage) return question;
  return `About this passage of the book:\n${blockQuote(passage.text)}\n\n${question}`;
}

interface RenderContext {
  template: string | null;
  bosToken: string;
  eosToken: string;
}

const render = (c: RenderContext, messages: ChatMessage[]) =>
  renderTemplateSegments(messages, {
    template: c.template,
    bosToken: c.bosToken,
    eosToken: c.eosToken,
    addGenerationPrompt: true,
    docText: "\u0001", // stands in for the book: its tokens are spliced in below
  });

/** What a rendering puts before the book, or null when the book is not in it. */
function beforeBook(segments: Segment[]): string | null {
  const i = segments.findIndex((s) => s.doc);
  return i < 0 ? null : segments.slice(0, i).map((s) => s.text).join("");
}

const layouts = new Map<string, PromptLayout>();

/**
 * The first layout whose template renders the book after the same text with and without a
 * question-answer pair before the question (checked once per template; what it chose, when
 * not the system message, said once in the log).
 */
export async function promptLayout(c: RenderContext): Promise<PromptLayout> {
  if (c.template === null) return "plain";
  const key = [c.template, c.bosToken, c.eosToken].join("\u0000");
  let layout = layouts.get(key);
  if (layout) return layout;
  layout = "plain";
  let why = "";
  for (const candidate of ["system", "first-user"] as const) {
    try {
      const first = beforeBook(await render(c, messagesFor(candidate, "S", [], "Q")));
      const later = beforeBook(await render(c, messagesFor(candidate, "S", [{ role: "user", content: "Q" }, { role: "assistant", content: "A" }], "Q2")));
      if (first !== null && first === later) {
        layout = candidate;
        break;
      }
      why ||= first === null ? "leaves out the system message" : "moves the system message as the conversation grows";
    } catch (e) {
      why ||= `failed (${(e as Error).message})`;
    }
  }
  layouts.set(key, layout);
  if (layout === "first-user") process.stderr.write(`tome: the chat template ${why}; the book goes into the first question\n`);
  if (layout === "plain") process.stderr.write(`tome: the chat template ${why}; using the fallback template\n`);
  return layout;
}

export async function buildPrompt(
  engine: Engine,
  model: LoadedModel,
  docTokens: Int32Array, // already cut to what fits
  systemPrompt: string,
  history: Turn[],
  question: string | null, // null: the book prefix alone (reading a document)
): Promise<BuiltPrompt> {
  const context = { template: model.chatTemplate, bosToken: model.bosToken, eosToken: model.eosToken };
  const layout = await promptLayout(context);
  // A read (no question) renders a stand-in question too and keeps what comes up to the book:
  // templates refuse a conversation without a user turn (Qwen3: "No user query found in
  // messages") or put the system message into the first question (Llama 2: a lone system
  // message rendered nothing). What precedes the book is the same in every answer.
  const messages = messagesFor(layout, systemPrompt, history, question ?? "?");
  let segments = layout === "plain" ? [] : await render(context, messages).catch((e: Error) => {
    process.stderr.write(`tome: the chat template failed (${e.message}); using the fallback template\n`);
    return [];
  });
  if (!segments.some((s) => s.doc)) segments = await render({ ...context, template: null }, messagesFor("plain", systemPrompt, history, question ?? "?"));
  // The template may write BOS itself; the tokenizer adds it (when the model wants one) instead.
  const addBos = true;
  if (segments[0]?.kind === "template" && model.bosToken && segments[0].text.startsWith(model.bosToken)) {
    segments[0] = { ...segments[0], text: segments[0].text.slice(model.bosToken.length) };
  }
  const docIdx = segments.findIndex((s) => s.doc);
  if (question === null && docIdx >= 0) segments.length = docIdx + 1; // the book prefix alone
  const others = segments.map((s) => (s.doc ? { text: "", special: false } : { text: s.text, special: s.kind === "template" }));
  // The book's placeholder is "" (tokens: none, or BOS when it comes first); its tokens follow.
  const { tokens, bounds } = await engine.call("tokenize", { segments: others, addBos });
  const out: number[] = [];
  let docStart = -1;
  let prev = 0;
  segments.forEach((s, i) => {
    for (const t of tokens.subarray(prev, bounds[i])) out.push(t);
    prev = bounds[i];
    if (s.doc) {
      docStart = out.length;
      for (const t of docTokens) out.push(t);
    }
  });
  if (docStart < 0) throw new AppError("MODEL_ERROR", "The chat template left out the book.");
  return { tokens: Int32Array.from(out), docStart, docEnd: docStart + docTokens.length };
}
