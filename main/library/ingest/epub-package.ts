// An EPUB's package, read from the zip's own XML: META-INF/container.xml names
// the package document (OPF), whose metadata gives the title and authors, whose
// manifest maps ids to files and whose spine orders the chapters. Only the
// XML is read, nothing is written: the parser used before wrote the book's
// images and stylesheets under names taken from the manifest (on Windows a
// "..\" in one climbed out of its folder), and it left a damaged zip's import
// pending for ever.
//
// The XML is walked tag by tag with indexOf (linear in its length whatever it
// holds: an unclosed tag or comment ends the walk).
import { decodeEntities } from "./html-text";

export interface EpubPackage {
  title: string | null;
  creators: string[];
  /** Spine order; `entry` is the zip entry's name, resolved against the package's folder. */
  spine: { entry: string; linear: boolean }[];
  /** The table of contents' entry: the EPUB 3 navigation document, else the EPUB 2 NCX; null when it has neither. */
  toc: { entry: string; kind: "nav" | "ncx" } | null;
}

interface Tag {
  /** Local name, lower case, without a namespace prefix ("dc:title" -> "title"); "/x" for an end tag. */
  name: string;
  attrs: Map<string, string>;
  /** Index just past the tag's ">". */
  end: number;
}

function attributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of s.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const name = m[1].toLowerCase();
    out.set(name.includes(":") && !name.startsWith("xmlns") ? name.slice(name.indexOf(":") + 1) : name, decodeEntities(m[2] ?? m[3]));
  }
  return out;
}

/** The tags of xml in order (comments, CDATA, declarations and processing instructions skipped). */
export function* xmlTags(xml: string): Generator<Tag> {
  let at = 0;
  for (;;) {
    const lt = xml.indexOf("<", at);
    if (lt < 0) return;
    const skipTo = xml.startsWith("<!--", lt) ? "-->" : xml.startsWith("<![CDATA[", lt) ? "]]>" : xml.startsWith("<?", lt) ? "?>" : null;
    const gt = skipTo ? xml.indexOf(skipTo, lt) : xml.indexOf(">", lt);
    if (gt < 0) return;
    at = gt + (skipTo ? skipTo.length : 1);
    if (skipTo || xml[lt + 1] === "!") continue;
    const body = xml.slice(lt + 1, gt);
    const m = /^(\/?)\s*([\w.-]+:)?([\w.-]+)/.exec(body);
    if (!m) continue;
    yield { name: m[1] + m[3].toLowerCase(), attrs: attributes(body.slice(m[0].length)), end: at };
  }
}

/** The text of the element whose start tag ends at `from` (up to the next tag), decoded and on one line. */
function textAfter(xml: string, from: number): string {
  const lt = xml.indexOf("<", from);
  return decodeEntities(xml.slice(from, lt < 0 ? xml.length : lt)).replace(/\s+/g, " ").trim();
}

/** The package document's path, from container.xml. */
export function rootfilePath(containerXml: string): string | null {
  for (const t of xmlTags(containerXml)) if (t.name === "rootfile" && t.attrs.get("full-path")) return t.attrs.get("full-path")!;
  return null;
}

/**
 * A manifest href resolved against the package's folder, as a zip entry name: percent-escapes
 * decoded, the fragment dropped, "." and ".." resolved (never above the zip's root).
 */
export function entryName(baseDir: string, href: string): string {
  let p = href.replace(/[#?].*$/, "");
  try {
    p = decodeURIComponent(p);
  } catch {
    /* a stray % stays as written */
  }
  const parts: string[] = [];
  for (const seg of (p.startsWith("/") ? p : `${baseDir}/${p}`).split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

export function readPackage(opfPath: string, opf: string): EpubPackage {
  const baseDir = opfPath.includes("/") ? opfPath.slice(0, opfPath.lastIndexOf("/")) : "";
  const manifest = new Map<string, { href: string; type: string; nav: boolean }>();
  let ncxId: string | null = null;
  const itemrefs: { idref: string; linear: boolean }[] = [];
  let title: string | null = null;
  const creators: string[] = [];
  for (const t of xmlTags(opf)) {
    if (t.name === "item" && t.attrs.get("id") && t.attrs.get("href"))
      manifest.set(t.attrs.get("id")!, {
        href: t.attrs.get("href")!,
        type: (t.attrs.get("media-type") ?? "").toLowerCase(),
        nav: /(?:^|\s)nav(?:\s|$)/.test(t.attrs.get("properties") ?? ""),
      });
    else if (t.name === "spine") ncxId = t.attrs.get("toc") ?? null;
    else if (t.name === "itemref" && t.attrs.get("idref"))
      itemrefs.push({ idref: t.attrs.get("idref")!, linear: (t.attrs.get("linear") ?? "yes").trim().toLowerCase() !== "no" });
    else if (t.name === "title" && title === null) title = textAfter(opf, t.end) || null;
    else if (t.name === "creator") {
      const c = textAfter(opf, t.end);
      if (c) creators.push(c);
    }
  }
  // an image, audio or video in the spine (allowed, with a fallback for readers) has no text
  const spine = itemrefs.flatMap((r) => {
    const item = manifest.get(r.idref);
    if (item === undefined || /^(image|audio|video)\//.test(item.type)) return [];
    return [{ entry: entryName(baseDir, item.href), linear: r.linear }];
  });
  const items = [...manifest.values()];
  const nav = items.find((i) => i.nav);
  const ncx = (ncxId === null ? undefined : manifest.get(ncxId)) ?? items.find((i) => i.type === "application/x-dtbncx+xml");
  const toc = nav ? { entry: entryName(baseDir, nav.href), kind: "nav" as const } : ncx ? { entry: entryName(baseDir, ncx.href), kind: "ncx" as const } : null;
  return { title, creators, spine, toc };
}

/** How far a navigation link's end is looked for (its text and inner tags). */
const MAX_LABEL_MARKUP = 2000;

export interface TocEntry {
  /** the zip entry it points into */
  entry: string;
  /** the id it points at in that file (decoded), or null for the file's start */
  fragment: string | null;
  label: string;
}

/**
 * The table of contents' entries in order: the navigation document's <nav epub:type="toc">
 * links, or the NCX's navPoints (navLabel, then content src). Links out of the book are left out.
 */
export function tocEntries(toc: { entry: string; kind: "nav" | "ncx" }, xml: string): TocEntry[] {
  const dir = toc.entry.includes("/") ? toc.entry.slice(0, toc.entry.lastIndexOf("/")) : "";
  const entries: TocEntry[] = [];
  const add = (href: string | undefined, label: string) => {
    if (!href || !label || /^[a-z][\w+.-]*:/i.test(href)) return; // (a link out of the book)
    const hash = href.indexOf("#");
    let fragment: string | null = hash < 0 ? null : href.slice(hash + 1);
    try {
      fragment = fragment && decodeURIComponent(fragment);
    } catch {
      /* a stray % stays as written */
    }
    entries.push({ entry: entryName(dir, href), fragment: fragment || null, label });
  };
  let inToc = 0; // depth in the toc <nav>
  let label = "";
  for (const t of xmlTags(xml)) {
    if (toc.kind === "ncx") {
      if (t.name === "text") label = textAfter(xml, t.end);
      else if (t.name === "content") add(t.attrs.get("src"), label);
    } else if (t.name === "nav") {
      if (inToc || /(?:^|\s)toc(?:\s|$)/.test(t.attrs.get("type") ?? "")) inToc++;
    } else if (t.name === "/nav" && inToc) inToc--;
    else if (inToc && t.name === "a") {
      // the link's text (its inner tags, a <span>, dropped), looked for within MAX_LABEL_MARKUP
      const end = /<\/a\s*>/i.exec(xml.slice(t.end, t.end + MAX_LABEL_MARKUP));
      if (end) add(t.attrs.get("href"), decodeEntities(xml.slice(t.end, t.end + end.index).replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim());
    }
  }
  return entries;
}
