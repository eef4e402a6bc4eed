// An OpenDocument text's body (content.xml's <office:text>) as the paragraphs
// ./document-book.ts's markup is built from: <text:h> a heading of its outline level,
// <text:p> a paragraph (the Title and Subtitle styles marked so), in lists and
// table cells alike. Kept: spans, <text:s text:c="n"/> spaces, tabs, line breaks,
// links; a footnote's or endnote's citation as [n] where it stands, its body
// listed after the text (as a Word document's notes are); numbered headings' and
// list items' numbers and bullets (./odt-numbering), as a Word document's show.
// Left out: tracked changes' removed text (<text:tracked-changes>), comments
// (<office:annotation>), the table of contents and other generated indexes (the
// headings again with page numbers), hidden paragraphs and text (and spans in a
// style that hides them: text:display="none"), ruby's reading
// aids (<text:ruby-text>), shapes' and frames' alternative text (<svg:title>,
// <svg:desc>).
import { prefixFor, type BodyParagraph, type StyleLevel } from "./document-book";
import { decodeEntities } from "./html-text";
import { attr, BULLETED, Counts, elements, type OdtNumbering } from "./odt-numbering";

const NS = {
  text: "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
  office: "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
  style: "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
  svg: "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
};

/** Text styles that hide what is set in them (text:display="none"; content.xml's automatic styles, styles.xml's). */
export function hiddenTextStyles(...xmls: (string | undefined)[]): Set<string> {
  const hidden = new Set<string>();
  for (const xml of xmls) {
    if (!xml) continue;
    const st = prefixFor(xml, [NS.style], "style");
    const t = prefixFor(xml, [NS.text], "text");
    for (const { attrs, inner } of elements(xml, `${st}:style`)) {
      const name = attrs === null ? null : attr(attrs, `${st}:name`);
      if (name && new RegExp(`<${st}:text-properties\\b[^>]*\\b${t}:display\\s*=\\s*"none"`).test(inner)) hidden.add(name);
    }
  }
  return hidden;
}

/** Paragraph styles' display names and parents (content.xml's automatic styles, styles.xml's). */
export function odtStyles(...xmls: (string | undefined)[]): (name: string) => StyleLevel {
  const parent = new Map<string, string | null>();
  for (const xml of xmls) {
    if (!xml) continue;
    const st = prefixFor(xml, [NS.style], "style");
    for (const m of xml.matchAll(new RegExp(`<${st}:style\\b([^>]*)>`, "g"))) {
      const name = attr(m[1], `${st}:name`);
      if (name) parent.set(name, attr(m[1], `${st}:parent-style-name`));
    }
  }
  return (name: string) => {
    for (let n: string | null | undefined = name, depth = 0; n && depth < 10; n = parent.get(n), depth++) {
      const key = decodeEntities(n).replace(/_20_/g, " ").toLowerCase();
      if (key === "title" || key === "subtitle") return key;
    }
    return null;
  };
}

export interface OdtNote {
  citation: string;
  paragraphs: BodyParagraph[];
  kind: "footnote" | "endnote";
}

/** The body's paragraphs, and its notes in the order they stand. */
export function odtParagraphs(
  xml: string,
  styleLevel: (name: string) => StyleLevel,
  numbering: OdtNumbering = { outline: [], lists: new Map() },
  hiddenStyles: Set<string> = new Set(),
): { paragraphs: BodyParagraph[]; notes: OdtNote[] } {
  const t = prefixFor(xml, [NS.text], "text");
  const office = prefixFor(xml, [NS.office], "office");
  const svg = prefixFor(xml, [NS.svg], "svg");
  const bodyAt = xml.indexOf(`<${office}:text`);
  const body = bodyAt < 0 ? "" : xml.slice(bodyAt);
  const out: BodyParagraph[] = [];
  const notes: OdtNote[] = [];
  // paragraphs open now (a note's body opens paragraphs inside its citing one); where each goes
  const open: { level: StyleLevel; text: string; into: BodyParagraph[] }[] = [];
  const noteStack: OdtNote[] = [];
  let skip = 0; // depth inside what is not the text
  let inCitation = false;
  const spans: boolean[] = []; // per open <text:span>: whether its style hides it
  // numbering: the headings' counts; the lists open (their counts, the level inside them);
  // lists by xml:id and the last of each style (to continue); the label the next paragraph shows
  const headings = new Counts(numbering.outline);
  const lists: { counts: Counts; level: number }[] = [];
  const listsById = new Map<string, Counts>();
  const lastOfStyle = new Map<string, Counts>();
  let label: string | null = null;
  const skipped = new Set([
    `${t}:tracked-changes`, `${office}:annotation`, `${t}:table-of-content`, `${t}:alphabetical-index`, `${t}:illustration-index`,
    `${t}:table-index`, `${t}:object-index`, `${t}:user-index`, `${t}:bibliography`, `${t}:hidden-paragraph`, `${t}:hidden-text`,
    `${svg}:title`, `${svg}:desc`, `${t}:ruby-text`,
  ]);
  const add = (s: string) => {
    if (skip) return;
    if (inCitation) noteStack[noteStack.length - 1].citation += s;
    else if (open.length) open[open.length - 1].text += s;
  };
  for (const m of body.matchAll(/<(\/?)([\w.-]+:[\w.-]+)([^>]*?)(\/?)>|([^<]+)/g)) {
    if (m[5] !== undefined) {
      add(decodeEntities(m[5].replace(/[ \t\r\n]+/g, " "))); // (ODF's white space runs are one space: more are <text:s>, breaks <text:line-break>)
      continue;
    }
    const [, close, name, attrs, selfClose] = m;
    if (skipped.has(name)) {
      if (!selfClose) skip += close ? -1 : 1;
      continue;
    }
    if (name === `${t}:span` && !selfClose) {
      // a span in a hiding style: what it holds is left out, to its own end
      if (close) skip -= spans.pop() ? 1 : 0;
      else {
        const hides = hiddenStyles.has(attr(attrs, `${t}:style-name`) ?? "");
        spans.push(hides);
        if (hides) skip++;
      }
      continue;
    }
    if (skip) continue;
    if (close) {
      if (name === `${t}:p` || name === `${t}:h`) {
        const p = open.pop();
        const text = p ? p.text.replace(/[ \t\u00a0]+/g, " ").replace(/ ?\n ?/g, "\n").trim() : "";
        if (p && text) p.into.push({ level: p.level, text });
      } else if (name === `${t}:list`) lists.pop();
      else if (name === `${t}:note-citation`) inCitation = false;
      else if (name === `${t}:note`) {
        const n = noteStack.pop();
        if (n) {
          notes.push(n);
          add(`[${n.citation.trim()}]`);
        }
      }
      continue;
    }
    switch (name) {
      case `${t}:p`:
      case `${t}:h`: {
        if (selfClose) break;
        const into = noteStack.length ? noteStack[noteStack.length - 1].paragraphs : out;
        const outline = name === `${t}:h` ? Number(attr(attrs, `${t}:outline-level`) ?? 1) - 1 : null;
        const style = attr(attrs, `${t}:style-name`);
        // a list item's first paragraph shows the item's label; a heading outside lists, the outline's
        const start = attr(attrs, `${t}:start-value`);
        const shown = label ?? (outline !== null && !lists.length && attr(attrs, `${t}:is-list-header`) !== "true" ? headings.next(outline + 1, start === null ? null : Number(start) || 1) : null);
        label = null;
        open.push({ level: outline !== null && outline >= 0 ? outline : style ? styleLevel(style) : null, text: shown ? `${shown} ` : "", into });
        break;
      }
      case `${t}:list`: {
        if (selfClose) break;
        const parent = lists[lists.length - 1];
        if (parent) {
          lists.push({ counts: parent.counts, level: parent.level + 1 });
          break;
        }
        const style = attr(attrs, `${t}:style-name`) ?? "";
        const continued = attr(attrs, `${t}:continue-list`);
        const counts =
          (continued !== null ? listsById.get(continued) : attr(attrs, `${t}:continue-numbering`) === "true" ? lastOfStyle.get(style) : undefined) ??
          new Counts(style ? (numbering.lists.get(style) ?? []) : BULLETED); // (a list without a style is bulleted, as LibreOffice shows and saves it)
        const id = attr(attrs, `xml:id`);
        if (id !== null) listsById.set(id, counts);
        lastOfStyle.set(style, counts);
        lists.push({ counts, level: 1 });
        break;
      }
      case `${t}:list-item`: {
        const top = lists[lists.length - 1];
        const start = attr(attrs, `${t}:start-value`);
        label = top ? top.counts.next(top.level, start === null ? null : Number(start) || 1) : null;
        break;
      }
      case `${t}:list-header`:
        label = null;
        break;
      case `${t}:s`:
        add(" ".repeat(Math.min(1000, Math.max(1, Number(attr(attrs, `${t}:c`) ?? 1) || 1))));
        break;
      case `${t}:tab`:
        add(" ");
        break;
      case `${t}:line-break`:
        add("\n");
        break;
      case `${t}:note`:
        if (!selfClose) noteStack.push({ citation: "", paragraphs: [], kind: attr(attrs, `${t}:note-class`) === "endnote" ? "endnote" : "footnote" });
        break;
      case `${t}:note-citation`:
        if (!selfClose) inCitation = true;
        break;
    }
  }
  return { paragraphs: out, notes };
}
