// OpenAI's harmony format, in which gpt-oss answers: a sequence of messages, each
// "<|channel|>NAME<|message|>BODY<|end|>", the later ones after "<|start|>assistant"
// (tome renders these tokens, as llama.cpp does, so the answer's text holds them).
// The "analysis" channel is the reasoning, "final" the answer; "commentary" (tool
// preambles) counts as reasoning. A header may carry more before <|message|>
// (" to=functions.x", "<|constrain|>json"). The generation stops at <|return|>.
//
//   <|channel|>analysis<|message|>We need to …<|end|><|start|>assistant<|channel|>final<|message|>The letter …

export interface HarmonyAnswer {
  /** The analysis (and commentary) messages' bodies, in order. */
  reasoning: string[];
  /** The final message's body, or null before its header. */
  final: string | null;
  /** The last message has no <|end|> after it: still being written (or the final one, which
   *  the generation's end, <|return|>, closes unrendered). */
  open: boolean;
}

const HEADER = /<\|channel\|>([A-Za-z]+)[^<]*(?:<\|constrain\|>[^<]*)?<\|message\|>/g;
const BODY_END = /<\|(?:end|return|call)\|>/;

/** The messages of a harmony answer; null when the text is not one (it does not start with a channel). */
export function parseHarmony(text: string): HarmonyAnswer | null {
  if (!text.trimStart().startsWith("<|channel|>")) return null;
  const headers = [...text.matchAll(HEADER)];
  const out: HarmonyAnswer = { reasoning: [], final: null, open: headers.length === 0 };
  headers.forEach((h, i) => {
    const from = h.index + h[0].length;
    let body = text.slice(from, i + 1 < headers.length ? headers[i + 1].index : text.length);
    const end = body.search(BODY_END);
    out.open = end < 0;
    if (end >= 0) body = body.slice(0, end);
    body = body.trim();
    if (h[1] === "final") out.final = body;
    else out.reasoning.push(body);
  });
  return out;
}

/**
 * An answer as a later turn's history gives it to the chat template: a harmony answer's final
 * message alone (gpt-oss's template raises on channel tags in the content, and the reasoning
 * of earlier turns is not carried), any other answer as it is.
 */
export function historyContent(answer: string): string {
  const h = parseHarmony(answer);
  return h ? (h.final ?? "") : answer;
}
