// Markdown's inline syntax rendered (main/library/ingest/md-inline.ts): what a
// renderer shows is what the model reads. Pandoc's markdown (attributes, escapes,
// empty anchors) is the hard case; code is left as written.
import { describe, expect, it } from "vitest";
import { renderInline } from "../../main/library/ingest/md-inline";
import { ingest } from "../../main/library/ingest";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("markdown inline syntax", () => {
  it("links read as their text, images as their description, escapes as their character", () => {
    expect(renderInline(`See [the guide](http://example.com/a_(b) "Title") and ![a map](img/map.png), ![](cover.jpg)here.`)).toBe("See the guide and a map, here.");
    expect(renderInline(String.raw`\"Quoted\" \*not emphasis\* \[not a link](x) 2 \\ 3 \q`)).toBe(String.raw`"Quoted" *not emphasis* [not a link](x) 2 \ 3 \q`);
  });

  it("pandoc's attributes: a heading's {#id .class}, empty anchors, spans read as their text", () => {
    const md = "## []{#ch1.xhtml#I}Down The Rabbit-Hole {#ch1.xhtml#pg4}\n\nso []{#Page_4 .pageno}very [small]{.smallcaps} indeed";
    expect(renderInline(md)).toBe("## Down The Rabbit-Hole\n\nso very small indeed");
  });

  it("reference links read as their text where the file defines them, the definitions left out; footnote marks read [n]", () => {
    const md = [
      "See [the guide][g], [Guide][] and [guide], ![a map][m] and [Some  Label][1].",
      "An [undefined][x] one, [not a ref] and [x][] stay; a note[^1] and another[^long-note].",
      "",
      "[g]: http://example.com/guide",
      "[guide]: http://example.com/guide",
      '  [M]: img/map.png "The map"',
      "[some label]: <http://x>",
      "[1]: http://one 'one'",
      "",
      "[^1]: The first note.",
      "[^long-note]: The second.",
      "",
      "```",
      "[code]: stays",
      "```",
      "Last.",
    ].join("\n");
    expect(renderInline(md)).toBe(
      [
        "See the guide, Guide and guide, a map and Some  Label.",
        "An [undefined][x] one, [not a ref] and [x][] stay; a note[1] and another[long-note].",
        "",
        "[1] The first note.",
        "[long-note] The second.",
        "",
        "```",
        "[code]: stays",
        "```",
        "Last.",
      ].join("\n"),
    );
  });

  it("code stays as written: fenced blocks and code spans", () => {
    const md = "Text \\* and `a [b](c) \\*`.\n\n```\n[x](y) \\* ![i](j)\n```\n\n~~~~\n\\\"\n~~~~\n\nAfter [z](w).";
    expect(renderInline(md)).toBe("Text * and `a [b](c) \\*`.\n\n```\n[x](y) \\* ![i](j)\n```\n\n~~~~\n\\\"\n~~~~\n\nAfter z.");
  });

  it("a book: its title, chapters and text without the markup; blank lines left by images joined", async () => {
    const md = "---\ntitle: Alice\\'s Book\nauthor: \"[Lewis Carroll](http://x)\"\n---\n\n![](cover.jpg)\n\n[]{#top}\n\n# One {#one}\n\nText with a [link](http://x).\n\n![](i.png)\n\n# Two {.unnumbered}\n\nMore.\n";
    const got = await ingest("b.md", utf8(md));
    expect(got).toMatchObject({ title: "Alice's Book", author: "Lewis Carroll", text: "# One\n\nText with a link.\n\n# Two\n\nMore.\n" });
    expect(got.chapters.map((c) => c.title)).toEqual(["One", "Two"]);
  });

  it("200,000 unclosed brackets and images are read in one pass (within the test's 5 s; quadratic, hours)", () => {
    for (const run of ["![", "[", "[x](", "[x]{", "![x](", "`", "``", "[x][", "[^", "[x]"]) expect(renderInline(`Start ${run.repeat(200_000)} end`).startsWith("Start")).toBe(true);
  });
});
