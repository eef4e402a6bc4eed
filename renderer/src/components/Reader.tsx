// The book's text, one chapter at a time (or 20,000-character pages when it has
// no chapters), with chapter navigation. Passages the model attended to in the
// last answer are marked; clicking one in the chat jumps here. The part beyond
// what fits the model's context is shown dimmed.
import { useEffect, useMemo, useRef, useState, type JSX } from "react";
import { useStore } from "../store";
import { api } from "../store/api";
import type { DocumentInfo, Highlight } from "../../../main/ipc/contract";

const PAGE = 20_000;

interface Section {
  title: string;
  start: number;
  end: number;
}

export function sectionsOf(doc: DocumentInfo): Section[] {
  const out: Section[] = [];
  const cs = doc.chapters;
  if (cs.length && cs[0].start > 0) out.push({ title: "Opening", start: 0, end: cs[0].start });
  cs.forEach((c, i) => out.push({ title: c.title, start: c.start, end: cs[i + 1]?.start ?? doc.chars }));
  if (out.length === 0) for (let s = 0; s < doc.chars; s += PAGE) out.push({ title: `Page ${out.length + 1}`, start: s, end: Math.min(doc.chars, s + PAGE) });
  // Very long sections are split so one screen never holds a whole book.
  return out.flatMap((s) => {
    if (s.end - s.start <= PAGE * 3) return [s];
    const parts: Section[] = [];
    for (let x = s.start, k = 1; x < s.end; x += PAGE, k++) parts.push({ title: `${s.title} (${k})`, start: x, end: Math.min(s.end, x + PAGE) });
    return parts;
  });
}

export function Reader() {
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const highlights = useStore((s) => lastHighlights(s.messages));
  const jumpTo = useStore((s) => s.jumpTo);
  const sections = useMemo(() => (doc ? sectionsOf(doc) : []), [doc?.id, doc?.chars, doc?.chapters.length]);
  const [index, setIndex] = useState(0);
  const [text, setText] = useState<{ start: number; text: string } | null>(null);
  const body = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setIndex(0);
  }, [doc?.id]);
  useEffect(() => {
    if (!jumpTo || !doc || jumpTo.documentId !== doc.id) return;
    const i = sections.findIndex((s) => jumpTo.offset >= s.start && jumpTo.offset < s.end);
    if (i >= 0) setIndex(i);
  }, [jumpTo?.seq]);
  const section = sections[index];
  useEffect(() => {
    if (!doc || !section) {
      setText(null);
      return;
    }
    let live = true;
    api()
      ["library.text"]({ documentId: doc.id, start: section.start, end: section.end })
      .then((t) => live && setText({ start: t.start, text: t.text }))
      .catch(() => live && setText(null));
    return () => {
      live = false;
    };
  }, [doc?.id, section?.start, section?.end]);
  useEffect(() => {
    body.current?.querySelector?.(".hl-target")?.scrollIntoView?.({ block: "center" });
  }, [text, jumpTo?.seq]);

  if (!doc) return <section className="reader muted">No book selected.</section>;
  return (
    <section className="reader">
      <header>
        <select aria-label="Chapter" value={index} onChange={(e) => setIndex(Number(e.target.value))}>
          {sections.map((s, i) => (
            <option key={i} value={i}>
              {s.title}
            </option>
          ))}
        </select>
        <button type="button" disabled={index === 0} onClick={() => setIndex(index - 1)} aria-label="Previous chapter">
          ‹
        </button>
        <button type="button" disabled={index >= sections.length - 1} onClick={() => setIndex(index + 1)} aria-label="Next chapter">
          ›
        </button>
      </header>
      <div className="reader-text" ref={body}>
        {text && <Marked text={text.text} base={text.start} highlights={highlights} usedEnd={doc.charsUsed} target={jumpTo?.documentId === doc.id ? jumpTo.offset : null} />}
      </div>
    </section>
  );
}

const NONE: Highlight[] = [];

/** The last answer's highlights (a stable array: selectors must not make new objects). */
function lastHighlights(messages: { role: string; highlights: Highlight[] }[]): Highlight[] {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === "assistant") return messages[i].highlights;
  return NONE;
}

/** The text with <mark>s for highlights and a dimmed tail past the context limit. */
function Marked({ text, base, highlights, usedEnd, target }: { text: string; base: number; highlights: Highlight[]; usedEnd: number | null; target: number | null }) {
  const end = base + text.length;
  const hs = highlights.filter((h) => h.end > base && h.start < end).sort((a, b) => a.start - b.start);
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
    if (e > s) {
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
}
