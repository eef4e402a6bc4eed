// Text as a Markdown block quote: each line marked "> ", blank lines ">", the text's
// own line breaks kept (verse, lists). Used for a question's passage both in the
// prompt the model reads and in an exported conversation.
export function blockQuote(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => (line.trim() ? `> ${line}` : ">"))
    .join("\n");
}
