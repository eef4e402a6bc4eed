// A conversation as a Markdown file the person keeps: the book it is about, each
// question and answer (a reasoning model's thinking left out, as the chat folds
// it away), how an answer ended when not on its own, and the passages each answer
// attended to most, with their chapters, so the answer can be checked against the
// book later without tome. A question about a passage chosen in the reader has
// the passage quoted above it, with its chapter.
import type { ConversationInfo, DocumentInfo, MessageInfo } from "../../main/ipc/contract";
import { blockQuote } from "../../main/app/block-quote";
import { splitThinking } from "./thinking";

/** The title of the section holding an offset (the reader's sections). */
type SectionOf = (offset: number) => string;

const ENDINGS: Partial<Record<MessageInfo["status"], string>> = {
  stopped: "*(stopped)*",
  interrupted: "*(interrupted: the app was closed)*",
  error: "*(ended with an error)*",
};

/** The passage's text on one line, quoted. */
const quoted = (s: string) => `“${s.replace(/\s+/g, " ").trim()}”`;

export function conversationMarkdown(doc: DocumentInfo, conv: ConversationInfo, messages: MessageInfo[], sectionOf: SectionOf, now = new Date()): string {
  const lines: string[] = [`# ${conv.title}`, ""];
  lines.push(`About *${doc.title}*${doc.author ? ` by ${doc.author}` : ""}. Exported from tome on ${now.toISOString().slice(0, 10)}.`, "");
  if (conv.systemPrompt.trim()) lines.push(`System prompt: ${conv.systemPrompt.trim()}`, "");
  for (const m of messages) {
    if (m.role === "user") {
      lines.push("## Question", "");
      if (m.passage) {
        const where = sectionOf(m.passage.start);
        lines.push(`About this passage${where ? ` (${where})` : ""}:`, "", blockQuote(m.passage.text), "");
      }
      lines.push(m.content.trim(), "");
      continue;
    }
    lines.push("## Answer", "", splitThinking(m.content).answer.trim() || "*(no answer)*", "");
    const ending = ENDINGS[m.status] ?? (m.stats?.stoppedBy === "length" ? "*(cut off: the answer limit)*" : m.stats?.stoppedBy === "context" ? "*(cut off: the context was full)*" : null);
    if (ending) lines.push(ending, "");
    if (m.highlights.length) {
      lines.push("Passages it attended to most:", "");
      m.highlights.forEach((h, i) => {
        const where = sectionOf(h.start);
        lines.push(`${i + 1}. ${where ? `${where}: ` : ""}${quoted(h.text)}`);
      });
      lines.push("");
    }
  }
  return lines.join("\n");
}

/** A file name for the export: the book's and the conversation's titles, no characters a file system refuses. */
export function exportFileName(doc: DocumentInfo, conv: ConversationInfo): string {
  // eslint-disable-next-line no-control-regex
  const clean = (s: string) => s.replace(/[\x00-\x1f/\\:*?"<>|]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 80);
  return `${clean(doc.title) || "book"} - ${clean(conv.title) || "conversation"}.md`;
}

/** Saves text as a file: the browser's download (in the desktop app, its save dialog). */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
