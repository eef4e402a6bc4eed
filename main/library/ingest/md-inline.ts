// Markdown's inline syntax read as a renderer shows it, so the model reads the
// words and not the markup: a link's text (not its address), an image's
// description, a backslash-escaped character itself (\" is "), and pandoc's
// attributes left out (a heading's {#id .class}, an empty []{#anchor}, a span's
// [text]{.class} read as its text). Code (fenced blocks, `spans`) stays as written.
// Each pattern's runs are bounded (MAX_INLINE characters), so a file of unclosed
// brackets is read in one pass.

const MAX_INLINE = 1000;
/** ASCII punctuation, as escapes are kept out of the patterns' way until the end (private-use stand-ins). */
const ESCAPE = /\\([!-/:-@[-`{-~])/g;
const STAND_IN = 0xe100;
const RESTORE = /[\ue121-\ue17e]/g;

// (a bracket's text holds no other bracket: an attempt at a "[" stops at the next one, so a run
// of unclosed brackets is read once)
const IMAGE = new RegExp(String.raw`!\[([^\[\]\n]{0,${MAX_INLINE}})\]\([^()\s]{0,${MAX_INLINE}}\)`, "g");
const SPAN = new RegExp(String.raw`\[([^\[\]\n]{0,${MAX_INLINE}})\]\{[^{}\n]{0,${MAX_INLINE}}\}`, "g");
const LINK = new RegExp(String.raw`\[([^\[\]\n]{1,${MAX_INLINE}})\]\((?:[^()\s]|\([^()\s]{0,${MAX_INLINE}}\)){0,${MAX_INLINE}}(?:\s+"[^"\n]{0,${MAX_INLINE}}")?\)`, "g");
const HEADING_ATTRS = /^(#{1,6}[ \t].*?)[ \t]*\{[#.][^}\n]*\}[ \t]*$/gm;
// one to three backticks, then up to MAX_INLINE characters on the line, then as many (a run
// of backticks is tried once per position, not once per length)
const CODE_SPAN = new RegExp(String.raw`(\`{1,3})(?!\`)([^\n]{0,${MAX_INLINE}}?[^\`\n])\1(?!\`)`, "g");

/** Markdown's text with its inline syntax rendered (see the file comment). */
export function renderInline(md: string): string {
  const lines = md.split("\n");
  const out: string[] = [];
  let block: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    // (a line left empty by what was taken out, an image's, joins the blank lines around it)
    if (block.length) out.push(renderProse(block.join("\n")).replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, "\n\n"));
    block = [];
  };
  for (const line of lines) {
    const f = /^[ ]{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && f) {
      flush();
      fence = f;
      out.push(line);
    } else if (fence !== null) {
      out.push(line);
      if (f && f[0] === fence[0] && f.length >= fence.length) fence = null;
    } else block.push(line);
  }
  flush();
  return out.join("\n");
}

/** Prose (no fenced code): code spans kept as written, the rest rendered. */
function renderProse(s: string): string {
  const parts: string[] = [];
  let kept = 0;
  for (const m of s.matchAll(CODE_SPAN)) {
    parts.push(renderMarkup(s.slice(kept, m.index)), m[0]);
    kept = m.index! + m[0].length;
  }
  parts.push(renderMarkup(s.slice(kept)));
  return parts.join("");
}

function renderMarkup(s: string): string {
  return s
    .replace(ESCAPE, (_m, c: string) => String.fromCharCode(STAND_IN + c.charCodeAt(0)))
    .replace(HEADING_ATTRS, "$1")
    .replace(IMAGE, "$1")
    .replace(SPAN, "$1")
    .replace(LINK, "$1")
    .replace(RESTORE, (c) => String.fromCharCode(c.charCodeAt(0) - STAND_IN));
}
