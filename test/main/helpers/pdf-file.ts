// Small PDF files written for the tests: pages drawn by content streams given
// here, with a Helvetica font resource (/F1), read back by pdfjs.

/** An outline entry: its title, the page (0-based) and how high on it (/XYZ top; null: /Fit) it points; entries nested under it. */
export interface OutlineEntry {
  title: string;
  page: number;
  top: number | null;
  children?: OutlineEntry[];
}

/**
 * A PDF of one page per content stream (612 x 792 points). `filter`: the streams are encoded
 * (latin1) and this is their /Filter and /DecodeParms entries. `outline`: its bookmarks.
 */
export function pdfFile(pages: string[], filter = "", outline: OutlineEntry[] = []): Uint8Array {
  const n = pages.length;
  const page = (i: number) => 3 + 2 * i; // a page's object, its content the next
  const font = 3 + 2 * n;
  const outlines = font + 1; // the outline's root, its entries after it
  const esc = (t: string) => t.replace(/[\\()]/g, (c) => "\\" + c);
  const objs = [
    `<< /Type /Catalog /Pages 2 0 R${outline.length ? ` /Outlines ${outlines} 0 R` : ""} >>`,
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${page(i)} 0 R`).join(" ")}] /Count ${n} >>`,
    ...pages.flatMap((content, i) => [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${page(i) + 1} 0 R /Resources << /Font << /F1 ${font} 0 R >> >> >>`,
      `<< /Length ${content.length}${filter ? " " + filter : ""} >>\nstream\n${content}\nendstream`,
    ]),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  if (outline.length) {
    // every entry's object number, in pre-order after the outline's root
    const numbers = new Map<OutlineEntry, number>();
    let next = outlines + 1;
    const number = (list: OutlineEntry[]) => list.forEach((o) => (numbers.set(o, next++), number(o.children ?? [])));
    number(outline);
    const entries: string[] = [];
    const write = (list: OutlineEntry[], parent: number) =>
      list.forEach((o, i) => {
        const dest = o.top === null ? `[${page(o.page)} 0 R /Fit]` : `[${page(o.page)} 0 R /XYZ 0 ${o.top} 0]`;
        const links = `${i > 0 ? ` /Prev ${numbers.get(list[i - 1])} 0 R` : ""}${i + 1 < list.length ? ` /Next ${numbers.get(list[i + 1])} 0 R` : ""}`;
        const kids = o.children?.length ? ` /First ${numbers.get(o.children[0])} 0 R /Last ${numbers.get(o.children[o.children.length - 1])} 0 R /Count ${o.children.length}` : "";
        entries[numbers.get(o)! - outlines - 1] = `<< /Title (${esc(o.title)}) /Parent ${parent} 0 R${links}${kids} /Dest ${dest} >>`;
        write(o.children ?? [], numbers.get(o)!);
      });
    write(outline, outlines);
    objs.push(`<< /Type /Outlines /First ${numbers.get(outline[0])} 0 R /Last ${numbers.get(outline[outline.length - 1])} 0 R /Count ${outline.length} >>`, ...entries);
  }
  let s = "%PDF-1.4\n";
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(s.length);
    s += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = s.length;
  s += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  s += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** A page's content stream: each line of text drawn at (x, y) in Helvetica of `size` points. */
export function textPage(lines: { text: string; x: number; y: number; size?: number }[]): string {
  const esc = (t: string) => t.replace(/[\\()]/g, (c) => "\\" + c);
  return lines.map((l) => `BT /F1 ${l.size ?? 12} Tf ${l.x} ${l.y} Td (${esc(l.text)}) Tj ET`).join("\n");
}
