// A turn's prompt as tokens: the chat template renders
//   system: [book]\n\n[system prompt]   then the history, then the question
// (the book first, so its KV is shared by every conversation about it whatever
// the system prompt). Template text is tokenized with special tokens, content
// without; the book's tokens are the cached ones, cut to what fits.
import { renderSegments, type ChatMessage } from "../host/chat-template";
import type { Engine } from "../host/engine-client";
import type { LoadedModel } from "../host/protocol";
import { AppError } from "../ipc/errors";

export interface BuiltPrompt {
  tokens: Int32Array;
  docStart: number; // the book's first token in the prompt
  docEnd: number;
}

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

export async function buildPrompt(
  engine: Engine,
  model: LoadedModel,
  docTokens: Int32Array, // already cut to what fits
  systemPrompt: string,
  history: Turn[],
  question: string | null, // null: the book prefix alone (reading a document)
): Promise<BuiltPrompt> {
  const messages: ChatMessage[] = [
    { role: "system", parts: systemPrompt ? [{ doc: true }, { text: "\n\n" + systemPrompt }] : [{ doc: true }] },
    ...history.map((t) => ({ role: t.role, parts: [{ text: t.content }] })),
  ];
  // A read (no question) renders a stand-in question too and keeps what comes up to the book:
  // templates refuse a conversation without a user turn (Qwen3: "No user query found in
  // messages"; the plain fallback then rendered the read, and no answer could reuse its KV) or
  // put the system message into the first question (Llama 2: a lone system message rendered
  // nothing, and the read failed). What precedes the book is the same in every answer.
  messages.push({ role: "user", parts: [{ text: question ?? "?" }] });
  const render = (template: string | null) =>
    renderSegments(messages, {
      template,
      bosToken: model.bosToken,
      eosToken: model.eosToken,
      addGenerationPrompt: true,
      docText: "\u0001", // stands in for the book: its tokens are spliced in below
    });
  let segments = await render(model.chatTemplate);
  if (!segments.some((s) => s.doc) && model.chatTemplate !== null) {
    // A template that leaves system messages out (some do, silently) has nowhere for the book:
    // the plain one renders it (as for a template that cannot run), so the book is read and
    // asked about alike; it failed every read and every question of such a model.
    process.stderr.write("tome: the chat template leaves out the system message holding the book; using the fallback template\n");
    segments = await render(null);
  }
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
