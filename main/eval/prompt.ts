// An instance through the model's chat template: one user message
//   [preamble][context][question]
// with the generation prompt, then the answer prefix as the start of the
// assistant's turn. Template text is tokenized with special tokens, content
// without (as the app does, main/app/prompt.ts); the context is a segment of its
// own, so its tokens are the same whatever surrounds it. Models without a
// template get tome's plain fallback (main/host/chat-template.ts), and the run
// says so.
import { FALLBACK_TEMPLATE, renderSegments, type Segment } from "../host/chat-template";
import type { NativeModel, TomeAddon } from "../engine/native";

export interface Prompting {
  /** The GGUF's tokenizer.chat_template, or null (the fallback is used). */
  template: string | null;
  bosToken: string;
  eosToken: string;
}

export function promptingOf(addon: TomeAddon, modelPath: string, model: NativeModel): Prompting {
  const tpl = addon.inspectGguf(modelPath).metadata["tokenizer.chat_template"];
  const info = model.info();
  const piece = (id: number) => (id >= 0 && id < info.nVocab ? Buffer.from(model.tokenToPiece(id, true)).toString("utf8") : "");
  return { template: typeof tpl === "string" && tpl.trim() ? tpl : null, bosToken: piece(info.tokenizer.bos), eosToken: piece(info.tokenizer.eos) };
}

export interface PromptParts {
  preamble: string;
  context: string;
  question: string;
  answerPrefix: string;
}

export interface PromptTokens {
  /** Everything up to the end of the context (the part prefilled with full attention). */
  prefill: Int32Array;
  /** Question, template tail and answer prefix (evaluated after the prefill: sparse in sparse modes). */
  query: Int32Array;
  contextStart: number;
  contextTokens: number;
}

async function segmentsOf(p: PromptParts, o: Prompting): Promise<Segment[]> {
  const segments = await renderSegments([{ role: "user", parts: [{ text: p.preamble }, { doc: true }, { text: p.question }] }], {
    template: o.template ?? FALLBACK_TEMPLATE,
    bosToken: o.bosToken,
    eosToken: o.eosToken,
    addGenerationPrompt: true,
    docText: p.context,
  });
  if (p.answerPrefix) segments.push({ kind: "content", text: p.answerPrefix });
  // The tokenizer adds BOS (when the model wants one); a template that writes it is cut.
  if (segments[0]?.kind === "template" && o.bosToken && segments[0].text.startsWith(o.bosToken)) {
    segments[0] = { ...segments[0], text: segments[0].text.slice(o.bosToken.length) };
  }
  return segments;
}

export async function tokenizePrompt(model: NativeModel, o: Prompting, p: PromptParts): Promise<PromptTokens> {
  const segments = await segmentsOf(p, o);
  const prefill: number[] = [];
  const query: number[] = [];
  let contextStart = -1;
  let contextTokens = 0;
  let afterContext = false;
  segments.forEach((s, i) => {
    const t = model.tokenize(s.text, i === 0, s.kind === "template");
    const into = afterContext ? query : prefill;
    if (s.doc) {
      contextStart = prefill.length;
      contextTokens = t.length;
    }
    for (const x of t) into.push(x);
    if (s.doc) afterContext = true;
  });
  if (p.context && contextStart < 0) throw new Error("the chat template dropped the user message");
  return { prefill: Int32Array.from(prefill), query: Int32Array.from(query), contextStart, contextTokens };
}
