// XHTML (an EPUB chapter) -> plain text with paragraph breaks, and the text of its
// first heading. Not a full HTML parser: tags are dropped, block elements become
// line breaks, entities are decoded. Good enough for book prose, and it never
// executes or fetches anything.

const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", mdash: "\u2014", ndash: "\u2013",
  hellip: "\u2026", lsquo: "\u2018", rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d", copy: "\u00a9",
  shy: "", laquo: "\u00ab", raquo: "\u00bb", eacute: "\u00e9", egrave: "\u00e8", aacute: "\u00e1",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "";
    }
    return NAMED[e.toLowerCase()] ?? all;
  });
}

const BLOCK = /^(p|div|h[1-6]|li|ul|ol|blockquote|section|article|header|footer|tr|table|pre|figure|figcaption|dd|dt|hr)$/i;

export interface HtmlText {
  text: string;
  heading: string | null;
}

export function htmlToText(html: string): HtmlText {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  const cleaned = body
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(script|style|head|svg|math)\b[\s\S]*?<\/\1\s*>/gi, "");
  const h = /<h([1-3])\b[^>]*>([\s\S]*?)<\/h\1\s*>/i.exec(cleaned);
  const heading = h ? collapse(decodeEntities(h[2].replace(/<[^>]*>/g, " "))) : null;
  let out = cleaned.replace(/<\/?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g, (_t, tag: string) =>
    tag.toLowerCase() === "br" ? "\u2028" : BLOCK.test(tag) ? "\n\n" : "",
  );
  out = decodeEntities(out.replace(/<[^>]*>/g, ""));
  // Whitespace inside paragraphs collapses; paragraph breaks stay (at most one blank line).
  out = out
    .split(/\n[ \t\u00a0]*\n\s*/)
    .map((p) => collapse(p))
    .filter((p) => p.length > 0)
    .join("\n\n")
    .replace(/ ?\u2028 ?/g, "\n"); // <br> (a private marker until here) is a line break
  return { text: out, heading: heading || null };
}

function collapse(s: string): string {
  return s.replace(/[ \t\r\n\u00a0]+/g, " ").trim();
}
