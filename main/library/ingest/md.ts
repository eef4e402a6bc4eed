// Markdown books (.md): the text as written (markdown reads well as plain text),
// chapters from # headings, title from the first level-1 heading or front matter.
import { decodeText, looksBinary } from "./decode";
import { markdownChapters } from "./chapters";
import { corrupt, empty } from "./errors";
import type { Ingested } from "./types";

export function readMd(bytes: Uint8Array): Ingested {
  if (looksBinary(bytes)) throw corrupt("Markdown", "it holds binary data, not text");
  let text = decodeText(bytes).text;
  let title: string | null = null;
  let author: string | null = null;
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (front) {
    title = /^title:\s*["']?(.+?)["']?\s*$/m.exec(front[1])?.[1] ?? null;
    author = /^author:\s*["']?(.+?)["']?\s*$/m.exec(front[1])?.[1] ?? null;
    text = text.slice(front[0].length);
  }
  if (!text.trim()) throw empty("Markdown file");
  const chapters = markdownChapters(text);
  title ??= /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1] ?? null;
  return { format: "md", title, author, text, chapters, boilerplateSkipped: false };
}
