// The book's text, one chapter at a time (or 20,000-character pages when it has
// no chapters), with chapter navigation; a chapter opens at its top, a book where
// it was being read (../reading-place). The passages of one answer are marked:
// the last one's, or the one whose passage was clicked in the chat (the reader
// jumps there and outlines it). When an answer ends, the reader jumps to its
// strongest passage, unless the person has been moving around the book: then it
// offers to. The part beyond what fits the model's context is shown dimmed. Find
// (the button, Ctrl/Cmd+F, or a book chosen from the library's search) looks a
// phrase up in the whole book (FindBar) and shows the match chosen, marked. Text
// selected in the book can be asked about ("Ask about this": the chat quotes it
// above the question), and a question's quoted passage, clicked, is shown marked.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useStore } from "../store";
import { api } from "../store/api";
import type { DocumentInfo, FindMatch, Highlight, MessageInfo } from "../../../main/ipc/contract";
import { FindBar } from "./FindBar";
import { keepReadingPlace, readingPlace } from "../reading-place";
import { AskAbout, useSelectedPassage } from "./AskAbout";
import { Marked, type Found } from "./Marked";
import { passageAround } from "../selection-passage";
import { LIMITS } from "../../../main/ipc/validate";

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
  const empty = useStore((s) => s.documents.length === 0);
  const jumpTo = useStore((s) => s.jumpTo);
  const conversationId = useStore((s) => s.conversationId);
  const latestId = useStore((s) => lastAnswer(s.messages)?.id ?? null);
  const latestStatus = useStore((s) => lastAnswer(s.messages)?.status ?? null);
  const sections = useMemo(() => (doc ? sectionsOf(doc) : []), [doc?.id, doc?.chars, doc?.chapters.length]);
  const [index, setIndex] = useState(0);
  const [text, setText] = useState<{ documentId: number; start: number; text: string } | null>(null);
  // The answer whose passages are marked (null: the last one), and the passage outlined.
  const [shown, setShown] = useState<{ answerId: number | null; target: number | null }>({ answerId: null, target: null });
  const [offer, setOffer] = useState<{ answerId: number; offset: number; end: number } | null>(null);
  const highlights = useStore((s) => answerShown(s.messages, shown.answerId)?.highlights ?? NONE);
  const body = useRef<HTMLDivElement>(null);
  const pending = useRef<number | null>(null); // a jump's offset, until its section is on screen
  const lastText = useRef<typeof text>(null);
  const moved = useRef(false); // the person moved around this book: an answer then offers to jump
  const streamingId = useRef<number | null>(null);
  const [finding, setFinding] = useState(false);
  // the match shown, or a question's quoted passage (quoted)
  const [found, setFound] = useState<Found | null>(null);
  const findInput = useRef<HTMLInputElement>(null);
  const findButton = useRef<HTMLButtonElement>(null);
  const restoreScroll = useRef<number | null>(null); // a reopened book's scroll, for its section's text
  const keepTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // `end`: where the passage ends; one that runs into the next section opens the one holding most of it
  const go = (offset: number, answerId: number | null, end?: number) => {
    const i = sectionOf(sections, offset, end);
    if (i < 0) return;
    pending.current = Math.max(offset, sections[i].start);
    setIndex(i);
    setShown({ answerId, target: offset });
    setOffer(null);
    setFound(null); // the passage is what the reader shows now (a find's mark would take the scroll)
  };
  const turn = (i: number) => {
    moved.current = true;
    setIndex(i);
  };

  useEffect(() => {
    const place = doc ? readingPlace(doc.id) : null;
    const i = place ? sectionOf(sections, place.at) : -1;
    setIndex(Math.max(0, i));
    restoreScroll.current = i >= 0 ? place!.scroll : null;
    clearTimeout(keepTimer.current);
    setShown({ answerId: null, target: null });
    pending.current = null;
    moved.current = false;
    setFinding(false);
    setFound(null);
  }, [doc?.id]);
  // Ctrl/Cmd+F, or the desktop menu's Find in Book: find in the book (a browser's own find
  // sees one chapter at most); again, its phrase is selected to type another
  const openFind = () => {
    setFinding(true);
    findInput.current?.focus();
    requestAnimationFrame(() => findInput.current?.select());
  };
  const findRequests = useStore((s) => s.findRequests);
  const findQuery = useStore((s) => s.findQuery);
  const clearFindQuery = useStore((s) => s.clearFindQuery);
  useEffect(() => {
    if (findRequests > 0 && doc) openFind();
  }, [findRequests]);
  useEffect(() => {
    if (!doc) return;
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== "f") return; // with Shift: every book
      e.preventDefault();
      openFind();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [doc?.id]);
  const showMatch = (m: Pick<FindMatch, "start" | "end">, quoted = false) => {
    const i = sectionOf(sections, m.start, m.end);
    if (i < 0) return;
    moved.current = true;
    pending.current = m.start;
    setFound({ start: m.start, end: m.end, quoted });
    setIndex(i);
    setOffer(null);
  };
  // the focus goes back to the Find button (the input it was in leaves)
  const closeFind = () => {
    setFinding(false);
    clearFindQuery();
    setFound(null);
    findButton.current?.focus();
  };
  useEffect(() => setOffer(null), [doc?.id, conversationId]);
  useEffect(() => {
    if (!jumpTo || !doc || jumpTo.documentId !== doc.id) return;
    if (jumpTo.quoted !== undefined) {
      showMatch({ start: jumpTo.offset, end: jumpTo.quoted }, true);
      return;
    }
    moved.current = true;
    const messages = useStore.getState().messages;
    const answerId = jumpTo.answerId ?? answerWith(messages, jumpTo.offset)?.id ?? null;
    const passage = answerShown(messages, answerId)?.highlights.find((h) => h.start === jumpTo.offset);
    go(jumpTo.offset, answerId, passage?.end);
  }, [jumpTo?.seq]);
  useEffect(() => {
    if (latestStatus === "streaming") {
      streamingId.current = latestId;
      return;
    }
    // Only an answer seen streaming has just ended (opening a conversation does not jump).
    if (latestId === null || streamingId.current !== latestId) return;
    streamingId.current = null;
    const best = strongest(answerShown(useStore.getState().messages, latestId)?.highlights ?? NONE);
    setShown({ answerId: latestId, target: null });
    if (!best) return;
    if (moved.current) setOffer({ answerId: latestId, offset: best.start, end: best.end });
    else go(best.start, latestId, best.end);
  }, [latestId, latestStatus]);

  const section = sections[index];
  useEffect(() => {
    if (!doc || !section) {
      setText(null);
      return;
    }
    let live = true;
    api()
      ["library.text"]({ documentId: doc.id, start: section.start, end: section.end })
      .then((t) => live && setText({ documentId: t.documentId, start: t.start, text: t.text }))
      .catch(() => live && setText(null));
    return () => {
      live = false;
    };
  }, [doc?.id, section?.start, section?.end]);
  // before paint: a new chapter never shows a frame at the old one's scroll position
  useLayoutEffect(() => {
    const el = body.current;
    if (!el || !text) return;
    const p = pending.current;
    const inText = p !== null && p >= text.start && p < text.start + text.text.length;
    if (inText) pending.current = null;
    const mark = inText ? (el.querySelector(".find-target") ?? el.querySelector(".hl-target")) : null;
    // centred, unless it is too tall to be seen whole: then from its first line
    if (mark) mark.scrollIntoView?.({ block: mark.getBoundingClientRect().height > 0.6 * el.clientHeight ? "start" : "center" });
    else if (text !== lastText.current) el.scrollTop = (restoreScroll.current ?? 0) * Math.max(0, el.scrollHeight - el.clientHeight);
    if (text !== lastText.current) restoreScroll.current = null;
    lastText.current = text;
  }, [text, shown, found]);
  // where the book is being read: its section once shown, its scroll once the scrolling pauses
  const keepPlace = () => {
    const el = body.current;
    if (!doc || text?.documentId !== doc.id || !el) return;
    const room = el.scrollHeight - el.clientHeight;
    keepReadingPlace(doc.id, { at: text.start, scroll: room > 0 ? Math.min(1, Math.max(0, el.scrollTop / room)) : 0 });
  };
  useEffect(keepPlace, [text]);
  useEffect(() => () => clearTimeout(keepTimer.current), []);
  const selected = useSelectedPassage(body, text);
  const setQuote = useStore((s) => s.setQuote);
  // a match of Find shown in the section: its paragraph (or sentence) to the question box
  const askAboutMatch = (m: FindMatch) => {
    if (!doc || !text || m.start < text.start || m.end > text.start + text.text.length) return;
    setQuote({ documentId: doc.id, ...passageAround(text.text, text.start, m.start, m.end, LIMITS.maxPassageChars) });
  };

  if (!doc) return <section className="reader muted">{empty ? "The library is empty: drop a book on the window to read it here." : "No book selected."}</section>;
  const offered = offer && sections[sectionOf(sections, offer.offset, offer.end)];
  return (
    <section className="reader">
      <header>
        <select aria-label="Chapter" value={index} onChange={(e) => turn(Number(e.target.value))}>
          {sections.map((s, i) => (
            <option key={i} value={i}>
              {s.title}
            </option>
          ))}
        </select>
        <button type="button" disabled={index === 0} onClick={() => turn(index - 1)} aria-label="Previous chapter">
          ‹
        </button>
        <button type="button" disabled={index >= sections.length - 1} onClick={() => turn(index + 1)} aria-label="Next chapter">
          ›
        </button>
        <button
          ref={findButton}
          type="button"
          aria-label="Find in the book"
          title="Find in the book (Ctrl+F)"
          aria-expanded={finding}
          data-testid="find-open"
          onClick={() => (finding ? closeFind() : setFinding(true))}
        >
          Find
        </button>
      </header>
      {finding && (
        <FindBar
          key={findQuery?.seq ?? 0}
          initialQuery={findQuery?.text}
          documentId={doc.id}
          sectionTitle={(offset) => sections[sectionOf(sections, offset)]?.title ?? ""}
          onShow={showMatch}
          onAsk={askAboutMatch}
          onClose={closeFind}
          inputRef={findInput}
        />
      )}
      {offer && offered && (
        <div className="reader-offer small" data-testid="answer-offer">
          <span>The answer’s strongest passage: {offered.title}</span>
          <button type="button" onClick={() => go(offer.offset, offer.answerId, offer.end)}>
            Show it
          </button>
          <button type="button" className="icon" aria-label="Dismiss" onClick={() => setOffer(null)}>
            ×
          </button>
        </div>
      )}
      <div
        className="reader-text"
        ref={body}
        tabIndex={0}
        aria-label="Book text"
        onScroll={() => {
          clearTimeout(keepTimer.current);
          keepTimer.current = setTimeout(keepPlace, 300);
        }}
        onWheel={() => (moved.current = true)}
        onPointerDown={() => (moved.current = true)}
        onKeyDown={(e) => {
          if (SCROLL_KEYS.has(e.key)) moved.current = true;
        }}
      >
        {text && <Marked text={text.text} base={text.start} highlights={highlights} usedEnd={doc.charsUsed} target={shown.target} found={found} />}
        {selected && doc && <AskAbout documentId={doc.id} passage={selected} />}
      </div>
    </section>
  );
}

/**
 * The section to show for a passage [start, end): the one holding most of it (a passage that
 * starts with the last words of a chapter is read in the next one), else the one it starts in.
 */
export function sectionOf(sections: Section[], start: number, end = start): number {
  let best = sections.findIndex((s) => start >= s.start && start < s.end);
  let most = best < 0 ? 0 : Math.min(end, sections[best].end) - start;
  for (let i = best + 1; i > 0 && i < sections.length && sections[i].start < end; i++) {
    const share = Math.min(end, sections[i].end) - sections[i].start;
    if (share > most) [best, most] = [i, share];
  }
  return best;
}

const NONE: Highlight[] = [];
const SCROLL_KEYS = new Set(["ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End", " "]);

function lastAnswer(messages: MessageInfo[]): MessageInfo | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === "assistant") return messages[i];
  return undefined;
}

/** The answer `id`, or the last one when it is null or gone (another conversation opened). */
function answerShown(messages: MessageInfo[], id: number | null): MessageInfo | undefined {
  return (id !== null && messages.find((m) => m.id === id)) || lastAnswer(messages);
}

/** The newest answer with a passage starting at `offset`, for a jump that names no answer. */
function answerWith(messages: MessageInfo[], offset: number): MessageInfo | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].highlights.some((h) => h.start === offset)) return messages[i];
  return undefined;
}

function strongest(hs: Highlight[]): Highlight | undefined {
  return hs.reduce<Highlight | undefined>((best, h) => (!best || h.weight > best.weight ? h : best), undefined);
}
