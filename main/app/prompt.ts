// A turn's prompt as tokens: the chat template renders
//   system: [book]\n\n[system prompt]   then the history, then the question
// (the book first, so its KV is shared by every conversation about it whatever
// the system prompt). Template text is tokenized with special tokens, content
// without; the book's tokens are the cached ones, cut to what fits.
import { renderSegments, type ChatMessage } from "../host/chat-template";
import type { Engine } from "../host/engine-client";
import type { LoadedModel } from "../host/protocol";

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
  if (question !== null) messages.push({ role: "user", parts: [{ text: question }] });
  const segments = await renderSegments(messages, {
    template: model.chatTemplate,
    bosToken: model.bosToken,
    eosToken: model.eosToken,
    addGenerationPrompt: question !== null,
    docText: "\u0001", // stands in for the book: its tokens are spliced in below
  });
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
  if (docStart < 0) throw new Error("chat template dropped the system message holding the book");
  return { tokens: Int32Array.from(out), docStart, docEnd: docStart + docTokens.length };
}
