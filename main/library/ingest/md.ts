// Markdown books (.md): the text as written (markdown reads well as plain text),
// its inline syntax rendered (./md-inline: links' text, images' descriptions,
// escapes, pandoc's attributes), its paragraphs' soft line breaks made spaces
// (./unwrap), chapters from # headings, title from the first level-1 heading or
// front matter.
import { readTextFile } from "./decode";
import { markdownChapters, markdownHeadings } from "./chapters";
import { corrupt, empty } from "./errors";
import { unwrapMarkdown } from "./unwrap";
import { renderInline } from "./md-inline";
import type { Ingested } from "./types";

export function readMd(bytes: Uint8Array): Ingested {
  const decoded = readTextFile(bytes);
  if (!decoded) throw corrupt("Markdown", "it holds binary data, not text");
  let text = decoded.text;
  let title: string | null = null;
  let author: string | null = null;
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (front) {
    title = frontField(front[1], "title");
    author = frontField(front[1], "author");
    title = title === null ? null : renderInline(title);
    author = author === null ? null : renderInline(author);
    text = text.slice(front[0].length);
  }
  if (!text.trim()) throw empty("Markdown file");
  text = unwrapMarkdown(renderInline(text).replace(/^(?:[ \t]*\n)+/, ""));
  const chapters = markdownChapters(text);
  title ??= markdownHeadings(text).find((h) => h.level === 1)?.title ?? null;
  return { format: "md", title, author, text, chapters, boilerplateSkipped: false };
}

/**
 * A front matter line's value, quotes off; null when absent or empty. Trimmed by hand: a
 * pattern with a lazy value between blanks and optional quotes backtracks on a long run of blanks.
 */
function frontField(front: string, key: string): string | null {
  const v = new RegExp(`^${key}:(.*)$`, "m").exec(front)?.[1].trim();
  const unquoted = v?.replace(/^["']/, "").replace(/["']$/, "").trim();
  return unquoted || null;
}
