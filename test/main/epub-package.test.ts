// EPUBs read from their own XML (main/library/ingest/epub-package.ts): the
// package's shapes found in the wild (namespace prefixes, entities, escaped and
// differently cased hrefs, linear="no", a package in a subfolder), books the
// parser used before hung on or wrote files for, and hostile XML read in
// linear time.
import { describe, expect, it } from "vitest";
import { zipSync, strToU8 } from "fflate";
import { ingest } from "../../main/library/ingest";
import { entryName, readPackage, xmlTags } from "../../main/library/ingest/epub-package";

const CONTAINER = (opf: string) =>
  `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">` +
  `<rootfiles><rootfile media-type="application/oebps-package+xml" full-path="${opf}"/></rootfiles></container>`;

/** A zip of these entries (text) with the EPUB mimetype first. */
function zip(entries: Record<string, string>): Uint8Array {
  const files: Record<string, Uint8Array> = { mimetype: strToU8("application/epub+zip") };
  for (const [n, t] of Object.entries(entries)) files[n] = strToU8(t);
  return zipSync(files, { level: 0 });
}

const page = (h: string, p: string, head = "") => `<html><head>${head}</head><body><h1>${h}</h1><p>${p}</p></body></html>`;

describe("the EPUB package", () => {
  it("reads prefixed OPF elements, entities, escaped and differently cased hrefs, linear=\"no\", a package in a folder", async () => {
    const opf =
      `<?xml version="1.0" encoding="UTF-8"?><opf:package xmlns:opf="http://www.idpf.org/2007/opf" version="2.0">` +
      `<opf:metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title id="t">Pride &amp; Prejudice</dc:title>` +
      `<dc:creator opf:role="aut">Jane  Austen</dc:creator><dc:creator>A. N. Editor &#x2014; ed.</dc:creator></opf:metadata>` +
      `<opf:manifest><opf:item id="c" href="cover.xhtml" media-type="application/xhtml+xml"/>` +
      `<opf:item href="Text/Chapter%201.xhtml" id="one" media-type="application/xhtml+xml"/>` +
      `<opf:item id="two" href='text/CHAPTER2.XHTML#start' media-type="application/xhtml+xml"/>` +
      `<!-- <opf:item id="ghost" href="ghost.xhtml"/> --></opf:manifest>` +
      `<opf:spine><opf:itemref idref="c" linear="no"/><opf:itemref idref="one"/><opf:itemref idref="two" linear="yes"/></opf:spine></opf:package>`;
    const d = await ingest(
      "p.epub",
      zip({
        "META-INF/container.xml": CONTAINER("OPS/book.opf"),
        "OPS/book.opf": opf,
        "OPS/cover.xhtml": page("Cover", "not read"),
        "OPS/Text/Chapter 1.xhtml": page("Chapter 1", "It is a truth universally acknowledged."),
        "OPS/Text/Chapter2.xhtml": page("Chapter 2", "Mr. Bennet was among the earliest."),
      }),
    );
    expect(d.title).toBe("Pride & Prejudice");
    expect(d.author).toBe("Jane Austen, A. N. Editor \u2014 ed.");
    expect(d.text).toBe("Chapter 1\n\nIt is a truth universally acknowledged.\n\nChapter 2\n\nMr. Bennet was among the earliest.");
    expect(d.chapters.map((c) => c.title)).toEqual(["Chapter 1", "Chapter 2"]);
  });

  it("a chapter file without a heading is named by the table of contents: the EPUB 3 nav, else the EPUB 2 NCX (LibreOffice writes no headings)", async () => {
    const body = (p: string) => `<html><body><p><span>${p}</span></p></body></html>`;
    const files = {
      "META-INF/container.xml": CONTAINER("OEBPS/content.opf"),
      "OEBPS/sections/s1.xhtml": body("First words."),
      "OEBPS/sections/s2.xhtml": body("Second words."),
      "OEBPS/sections/s3.xhtml": page("Its Own Heading", "Third words."),
      "OEBPS/sections/s4.xhtml": body("Fourth words."),
    };
    const manifest = (extra: string) =>
      `<manifest>${extra}` + [1, 2, 3, 4].map((i) => `<item id="s${i}" href="sections/s${i}.xhtml" media-type="application/xhtml+xml"/>`).join("") + `</manifest>`;
    const spine = (attrs = "") => `<spine${attrs}>` + [1, 2, 3, 4].map((i) => `<itemref idref="s${i}"/>`).join("") + `</spine>`;
    const nav =
      `<html xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="landmarks"><ol><li><a href="sections/s4.xhtml">Not the toc</a></li></ol></nav>` +
      `<nav epub:type="toc"><ol><li><a href="sections/s1.xhtml#top"><span>Chapter</span> One &amp; More</a>` +
      `<ol><li><a href="sections/s1.xhtml#later">A later part of one</a></li></ol></li>` +
      `<li><a href="sections/s3.xhtml">Label for three</a></li><li><a href="http://example.com/s2.xhtml">Elsewhere</a></li></ol></nav></body></html>`;
    const epub3 = await ingest(
      "n.epub",
      zip({
        ...files,
        "OEBPS/content.opf": `<package version="3.0"><metadata/>${manifest(`<item id="nav" href="toc.xhtml" properties="nav" media-type="application/xhtml+xml"/>`)}${spine()}</package>`,
        "OEBPS/toc.xhtml": nav,
      }),
    );
    expect(epub3.chapters.map((c) => c.title)).toEqual(["Chapter One & More", "s2", "Its Own Heading", "s4"]);
    const ncx =
      `<ncx><navMap><navPoint id="a"><navLabel><text>Part &#x2160;</text></navLabel><content src="sections/s2.xhtml"/>` +
      `<navPoint id="b"><navLabel><text>Inner</text></navLabel><content src="sections/s2.xhtml#x"/></navPoint></navPoint>` +
      `<navPoint id="c"><navLabel><text>Fourth</text></navLabel><content src="sections/s4.xhtml"/></navPoint></navMap></ncx>`;
    const epub2 = await ingest(
      "x.epub",
      zip({
        ...files,
        "OEBPS/content.opf": `<package version="2.0"><metadata/>${manifest(`<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>`)}${spine(` toc="ncx"`)}</package>`,
        "OEBPS/toc.ncx": ncx,
      }),
    );
    expect(epub2.chapters.map((c) => c.title)).toEqual(["s1", "Part Ⅰ", "Its Own Heading", "Fourth"]);
  });

  it("a whole book in one file (pandoc's): cut where the table of contents points, two places or more; a place not found is left out", async () => {
    const book =
      `<html><body><h1 id="top">The Book</h1><p>Front words.</p>` +
      `<section id="ch1"><h2>One</h2><p>First words.</p></section>` +
      `<section id="ch%C3%A9"><h2>Two</h2><p>Second words.</p></section>` +
      `<p><a name="old-anchor"></a>Third words.</p></body></html>`;
    const nav = (links: string[]) =>
      `<html><body><nav epub:type="toc"><ol>${links.map((l, i) => `<li><a href="${l}">Entry ${i + 1}</a></li>`).join("")}</ol></nav></body></html>`;
    const make = (links: string[]) =>
      zip({
        "META-INF/container.xml": CONTAINER("content.opf"),
        "content.opf":
          `<package version="3.0"><metadata/><manifest><item id="nav" href="nav.xhtml" properties="nav" media-type="application/xhtml+xml"/>` +
          `<item id="b" href="book.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="b"/></spine></package>`,
        "nav.xhtml": nav(links),
        "book.xhtml": book.replace("ch%C3%A9", "ch\u00e9"),
      });
    const cut = await ingest("one.epub", make(["book.xhtml#ch1", "book.xhtml#ch%C3%A9", "book.xhtml#missing", "book.xhtml#old-anchor"]));
    expect(cut.text).toBe("The Book\n\nFront words.\n\nOne\n\nFirst words.\n\nTwo\n\nSecond words.\n\nThird words.");
    expect(cut.chapters).toEqual([
      { title: "The Book", start: 0 },
      { title: "Entry 1", start: cut.text.indexOf("One") },
      { title: "Entry 2", start: cut.text.indexOf("Two") },
      { title: "Entry 4", start: cut.text.indexOf("Third") },
    ]);
    // one place in the file: the file is one chapter
    const whole = await ingest("one.epub", make(["book.xhtml#ch1"]));
    expect(whole.chapters).toEqual([{ title: "The Book", start: 0 }]);
    expect(whole.text).toBe(cut.text);
  });

  it("a manifest href with backslashes or a drive is read as a name in the zip, never a path on the disk", async () => {
    // the parser before wrote each stylesheet and image under a name made from its href, and
    // read and rewrote a chapter's linked stylesheet: on Windows "..\" climbed out of its folder
    const evil = "..\\..\\..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.bat";
    const opf =
      `<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata/><manifest>` +
      `<item id="x" href="${evil}" media-type="text/css"/><item id="y" href="C:evil.css" media-type="text/css"/>` +
      `<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="one"/></spine></package>`;
    const d = await ingest(
      "w.epub",
      zip({
        "META-INF/container.xml": CONTAINER("content.opf"),
        "content.opf": opf,
        [evil]: "start calc.exe",
        "one.xhtml": page("One", "Text.", `<link rel="stylesheet" href="..\\..\\..\\Users\\u\\style.css"/>`),
      }),
    );
    expect(d.text).toBe("One\n\nText.");
    expect(new Set(readPackage("content.opf", opf).spine.map((s) => s.entry))).toEqual(new Set(["one.xhtml"]));
    // an image in the spine has no text to read (its bytes were read as a chapter)
    const withImage = opf.replace("<itemref idref=\"one\"/>", "<itemref idref=\"pic\"/><itemref idref=\"one\"/>").replace("</manifest>", "<item id=\"pic\" href=\"p.png\" media-type=\"image/png\"/></manifest>");
    expect(readPackage("content.opf", withImage).spine.map((s) => s.entry)).toEqual(["one.xhtml"]);
  });

  it("a zip whose directory size is off by one byte is imported or refused, never left pending", async () => {
    // the parser's zip layer rejected it in a promise nothing handled: the import never ended
    const z = zip({
      "META-INF/container.xml": CONTAINER("c.opf"),
      "c.opf": `<package><metadata/><manifest><item id="a" href="a.xhtml"/></manifest><spine><itemref idref="a"/></spine></package>`,
      "a.xhtml": page("A", "Some text."),
    });
    const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
    let eocd = z.length - 22;
    while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
    v.setUint32(eocd + 12, v.getUint32(eocd + 12, true) + 1, true);
    const outcome = ingest("off.epub", z).then(
      (d) => d.text,
      (e: { code: string }) => e.code,
    );
    const never = new Promise((r) => setTimeout(() => r("no answer"), 3000));
    expect(await Promise.race([outcome, never])).toMatch(/^(A\n\nSome text\.|CORRUPT_FILE)$/);
  });

  it("no package document, or an empty spine, is CORRUPT_FILE with the reason", async () => {
    await expect(ingest("n.epub", zip({ "META-INF/container.xml": CONTAINER("missing.opf") }))).rejects.toMatchObject({
      code: "CORRUPT_FILE",
      message: expect.stringContaining("no package document"),
    });
    await expect(
      ingest("e.epub", zip({ "META-INF/container.xml": CONTAINER("c.opf"), "c.opf": "<package><manifest/><spine/></package>" })),
    ).rejects.toMatchObject({ code: "CORRUPT_FILE", message: expect.stringContaining("empty spine") });
  });

  it("hostile XML is walked in linear time (within the test's 5 s; quadratic, hours): unclosed tags and comments end the walk", () => {
    const big = 2_000_000;
    expect([...xmlTags("<item".repeat(big / 5))]).toEqual([]);
    expect([...xmlTags("<a>" + "<!--".repeat(big / 4))]).toHaveLength(1);
    expect(readPackage("p.opf", "<item id='a' href='a'/>".repeat(50_000) + "<spine>" + "<itemref idref='a'/>".repeat(50_000)).spine).toHaveLength(50_000);
  });

  it("entry names resolve . and .. against the package's folder, never above the zip's root", () => {
    expect(entryName("OPS", "../x/./y.xhtml")).toBe("x/y.xhtml");
    expect(entryName("OPS", "../../../../etc/passwd")).toBe("etc/passwd");
    expect(entryName("", "/abs/a.xhtml#frag")).toBe("abs/a.xhtml");
    expect(entryName("OPS", "100%.xhtml")).toBe("OPS/100%.xhtml");
  });
});
