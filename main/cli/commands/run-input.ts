// What `tome run` feeds the model: with --doc, [BOS] document + paragraph break, then the
// prompt's tokens (no second BOS); without, [BOS] prompt.
// The document and the prompt are tokenized apart: the document's tokens name its KV
// store and must not depend on the prompt. Joined as they are, a book ending "THE END"
// and the prompt "Who" would read "THE ENDWho" (a BPE vocabulary) or "THE END Who" (a
// SentencePiece one, whose prompt gets its leading space). So the document ends in a
// blank line, with it in its tokens and its store, and the prompt starts a paragraph.
import { tokenizePrompt, type NativeModel } from "../../engine";

type Tokenizer = Pick<NativeModel, "tokenize">;

/** The text with a paragraph break at its end: "\n\n" appended, less the newlines it ends in already. */
export function endParagraph(text: string): string {
  const newlines = /\n*$/.exec(text)![0].length;
  return text + "\n".repeat(Math.max(0, 2 - newlines));
}

/**
 * docTokens: [BOS] document "\n\n" ([] without --doc), what --json counts as doc_tokens;
 * promptTokens: the prompt ([BOS] first without a document), --json's prompt_tokens.
 */
export function tokenizeInput(model: Tokenizer, prompt: string, docText: string | undefined): { docTokens: number[]; promptTokens: number[] } {
  if (docText === undefined) return { docTokens: [], promptTokens: tokenizePrompt(model, prompt) };
  return {
    docTokens: tokenizePrompt(model, endParagraph(docText), false),
    promptTokens: Array.from(model.tokenize(prompt, false, true)),
  };
}
