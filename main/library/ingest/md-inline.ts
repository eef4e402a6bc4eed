// Markdown's inline syntax read as a renderer shows it, so the model reads the
// words and not the markup: a link's text (not its address), an image's
// description, a backslash-escaped character itself (\" is "), and pandoc's
// attributes left out (a heading's {#id .class}, an empty []{#anchor}, a span's
// [text]{.class} read as its text). A reference link ([text][ref], [text][],
// [ref]) reads as its text where its definition is in the file, and the
// definitions ([ref]: address "title") are left out; a footnote's mark [^1] reads
// [1], as the other readers write note marks, and so does its note's start
// ([^1]: ...). Code (fenced blocks, `spans`) stays as written.
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

// a reference's definition: a line of its own, "[label]: address" and maybe a title
const DEFINITION = new RegExp(String.raw`^ {0,3}\[([^\[\]\n^][^\[\]\n]{0,${MAX_INLINE}})\]:[ \t]*\S+(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$`);
// [text][ref] and ![alt][ref] (ref may be empty: the text is the label), then [label] alone
const REF_LINK = new RegExp(String.raw`(!?)\[([^\[\]\n]{1,${MAX_INLINE}})\]\[([^\[\]\n]{0,${MAX_INLINE}})\]`, "g");
const SHORTCUT = new RegExp(String.raw`(!?)\[([^\[\]\n^][^\[\]\n]{0,${MAX_INLINE}})\](?![\[(:{])`, "g");
const FOOTNOTE = new RegExp(String.raw`\[\^([^\[\]\s]{1,${MAX_INLINE}})\]:?`, "g");

/** A reference's label as links match it: case and runs of white space aside. */
const labelKey = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

/** Markdown's text with its inline syntax rendered (see the file comment). */
export function renderInline(md: string): string {
  const lines = md.split("\n");
  const out: string[] = [];
  let block: string[] = [];
  let fence: string | null = null;
  // the reference definitions' labels (outside code), which are not text
  const labels = new Set<string>();
  const prose = lines.map((line) => {
    const f = /^[ ]{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && f) fence = f;
    else if (fence !== null) {
      if (f && f[0] === fence[0] && f.length >= fence.length) fence = null;
    } else {
      const d = DEFINITION.exec(line);
      if (d) labels.add(labelKey(d[1]));
      return !d;
    }
    return false;
  });
  fence = null;
  const flush = () => {
    // (a line left empty by what was taken out, an image's, joins the blank lines around it)
    if (block.length) out.push(renderProse(block.join("\n"), labels).replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, "\n\n"));
    block = [];
  };
  lines.forEach((line, i) => {
    const f = /^[ ]{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && f) {
      flush();
      fence = f;
      out.push(line);
    } else if (fence !== null) {
      out.push(line);
      if (f && f[0] === fence[0] && f.length >= fence.length) fence = null;
    } else block.push(prose[i] ? line : "");
  });
  flush();
  return out.join("\n");
}

/** Prose (no fenced code): code spans kept as written, the rest rendered. */
function renderProse(s: string, labels: Set<string>): string {
  const parts: string[] = [];
  let kept = 0;
  for (const m of s.matchAll(CODE_SPAN)) {
    parts.push(renderMarkup(s.slice(kept, m.index), labels), m[0]);
    kept = m.index! + m[0].length;
  }
  parts.push(renderMarkup(s.slice(kept), labels));
  return parts.join("");
}

function renderMarkup(s: string, labels: Set<string>): string {
  return s
    .replace(ESCAPE, (_m, c: string) => String.fromCharCode(STAND_IN + c.charCodeAt(0)))
    .replace(HEADING_ATTRS, "$1")
    .replace(IMAGE, "$1")
    .replace(SPAN, "$1")
    .replace(LINK, "$1")
    .replace(REF_LINK, (m, _bang: string, text: string, ref: string) => (labels.has(labelKey(ref || text)) ? text : m))
    .replace(SHORTCUT, (m, _bang: string, text: string) => (labels.has(labelKey(text)) ? text : m))
    .replace(FOOTNOTE, "[$1]")
    .replace(RESTORE, (c) => String.fromCharCode(c.charCodeAt(0) - STAND_IN));
}
