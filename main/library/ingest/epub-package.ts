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
  const manifest = new Map<string, { href: string; type: string }>();
  const itemrefs: { idref: string; linear: boolean }[] = [];
  let title: string | null = null;
  const creators: string[] = [];
  for (const t of xmlTags(opf)) {
    if (t.name === "item" && t.attrs.get("id") && t.attrs.get("href"))
      manifest.set(t.attrs.get("id")!, { href: t.attrs.get("href")!, type: (t.attrs.get("media-type") ?? "").toLowerCase() });
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
  return { title, creators, spine };
}
