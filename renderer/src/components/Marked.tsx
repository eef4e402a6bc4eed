// A section of the book's text as the reader draws it: <mark>s for an answer's
// passages (the one jumped to outlined) and for a find's match or a question's
// quoted passage (drawn over the passages it crosses), and the part past the
// model's context dimmed. Its spans hold the book's text character for character
// (../selection-passage counts offsets in them).
import { memo, type JSX } from "react";
import type { Highlight } from "../../../main/ipc/contract";

/** A find's match shown, or a question's quoted passage (quoted). */
export interface Found {
  start: number;
  end: number;
  quoted?: boolean;
}

/** A highlight, or the match of a find (found: drawn over the highlights it crosses). */
type Range = Highlight & { found?: boolean; quoted?: boolean };

/** The highlights with the found match cut out of them, and the match, in order. */
export function withFound(highlights: Highlight[], found: Found | null): Range[] {
  if (!found) return highlights;
  const out: Range[] = [];
  for (const h of highlights) {
    if (h.end <= found.start || h.start >= found.end) out.push(h);
    else {
      if (h.start < found.start) out.push({ ...h, end: found.start });
      if (h.end > found.end) out.push({ ...h, start: found.end });
    }
  }
  out.push({ start: found.start, end: found.end, weight: 0, text: "", found: true, quoted: found.quoted });
  return out;
}

/** The text with <mark>s for highlights and a found match, and a dimmed tail past the context limit. */
export const Marked = memo(function Marked({
  text,
  base,
  highlights,
  usedEnd,
  target,
  found,
}: {
  text: string;
  base: number;
  highlights: Highlight[];
  usedEnd: number | null;
  target: number | null;
  found: Found | null;
}) {
  const end = base + text.length;
  const hs = withFound(highlights, found)
    .filter((h) => h.end > base && h.start < end)
    .sort((a, b) => a.start - b.start);
  const parts: JSX.Element[] = [];
  let pos = base;
  const plain = (from: number, to: number, key: string) => {
    if (to <= from) return;
    if (usedEnd !== null && to > usedEnd && from < to) {
      const cut = Math.max(from, usedEnd);
      if (cut > from) parts.push(<span key={key + "a"}>{text.slice(from - base, cut - base)}</span>);
      parts.push(
        <span key={key + "b"} className="beyond" title="Past the model's context: not read">
          {text.slice(cut - base, to - base)}
        </span>,
      );
    } else parts.push(<span key={key}>{text.slice(from - base, to - base)}</span>);
  };
  hs.forEach((h, i) => {
    const s = Math.max(h.start, pos);
    const e = Math.min(h.end, end);
    plain(pos, s, `p${i}`);
    if (e > s && h.found)
      parts.push(
        <mark key={`f${i}`} data-testid={h.quoted ? "quote-mark" : "find-mark"} className="find-target" title={h.quoted ? "the passage asked about" : "found"}>
          {text.slice(s - base, e - base)}
        </mark>,
      );
    else if (e > s) {
      const isTarget = target !== null && target >= h.start && target < h.end;
      parts.push(
        <mark key={`h${i}`} data-testid="highlight-mark" className={isTarget ? "hl-target" : ""} title={`attention weight ${h.weight.toFixed(3)}`}>
          {text.slice(s - base, e - base)}
        </mark>,
      );
    }
    pos = Math.max(pos, e);
  });
  plain(pos, end, "tail");
  return <div className="book">{parts}</div>;
});
