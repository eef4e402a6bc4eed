// Web pages saved as one file (main/library/ingest/mhtml.ts): the page inside a
// MIME message, written here as a browser writes it (quoted-printable with soft
// line breaks, or base64, its images in parts after it), reads as the page itself
// does as an HTML file.
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";
import { readHtml } from "../../main/library/ingest/html";

const utf8 = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Buffer.from(s, "latin1");

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>On Reading “Long” Books</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>On Reading</h1>${Array.from({ length: 6 }, (_, i) => `<p class="x">Paragraph ${i + 1}: a café, naïve — and = signs = here, long enough to need soft line breaks in quoted-printable.</p>`).join("\n")}</main></body></html>`;

/** Quoted-printable (RFC 2045) of UTF-8 bytes: =XX for "=" and bytes past ASCII, soft breaks before 76 columns. */
function quotedPrintable(s: string): string {
  let out = "";
  let column = 0;
  for (const b of utf8(s)) {
    const piece = b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x0a) ? `=${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b);
    if (piece === "\n") {
      out += "\r\n";
      column = 0;
      continue;
    }
    if (column + piece.length > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.length;
  }
  return out;
}

function mhtml(parts: { type: string; encoding: string; body: string }[], boundary = "----MultipartBoundary--abc123----"): string {
  const head = [
    "From: <Saved by Blink>",
    "Snapshot-Content-Location: https://example.org/essay",
    "Subject: On Reading",
    "MIME-Version: 1.0",
    "Content-Type: multipart/related;",
    '\ttype="text/html";',
    `\tboundary="${boundary}"`,
    "",
    "",
  ].join("\r\n");
  const body = parts.map((p) => `--${boundary}\r\nContent-Type: ${p.type}\r\nContent-Transfer-Encoding: ${p.encoding}\r\nContent-Location: https://example.org/x\r\n\r\n${p.body}\r\n`).join("");
  return head + body + `--${boundary}--\r\n`;
}

const IMAGE = { type: "image/png", encoding: "base64", body: Buffer.from(new Uint8Array(300).map((_, i) => i % 256)).toString("base64").replace(/.{76}/g, "$&\r\n") };

describe("mhtml", () => {
  it("a page in quoted-printable, its image after it: read as the page itself is", async () => {
    const direct = readHtml(utf8(PAGE));
    const saved = await ingest("On Reading.mhtml", latin1(mhtml([{ type: "text/html", encoding: "quoted-printable", body: quotedPrintable(PAGE) }, IMAGE])));
    expect(saved).toEqual(direct);
    expect(saved.text).toContain("Paragraph 6: a café, naïve — and = signs = here");
    expect(saved.title).toBe("On Reading “Long” Books");
    expect(saved.text).not.toContain("Home"); // its <main> alone
  });

  it("base64, a charset named by the part, a page inside a nested multipart, .mht", async () => {
    const b64 = mhtml([{ type: "text/html; charset=utf-8", encoding: "base64", body: Buffer.from(PAGE).toString("base64").replace(/.{76}/g, "$&\r\n") }]);
    expect((await ingest("a.mht", latin1(b64))).text).toBe(readHtml(utf8(PAGE)).text);
    const cp1252 = `<html><body><p>Caf\xe9 \x93na\xefve\x94 \x97 d\xe9j\xe0 vu</p></body></html>`;
    const named = mhtml([{ type: 'text/html; charset="windows-1252"', encoding: "8bit", body: cp1252 }]);
    expect((await ingest("b.mhtml", latin1(named))).text).toBe("Café “naïve” — déjà vu");
    const inner = mhtml([{ type: "text/html", encoding: "7bit", body: "<p>Nested page.</p>" }], "inner-b");
    const nested = mhtml([{ type: "text/plain", encoding: "7bit", body: "not the page" }, { type: inner.slice(inner.indexOf("multipart/related")).split("\r\n\r\n")[0].replace(/\r\n\t/g, " "), encoding: "7bit", body: inner.slice(inner.indexOf("\r\n\r\n") + 4) }]);
    expect((await ingest("c.mhtml", latin1(nested))).text).toBe("Nested page.");
  });

  it("refused: not a MIME message, no page in it, a multipart without its boundary, multiparts nested without end", async () => {
    await expect(ingest("x.mhtml", utf8("<html><body>just html</body></html>"))).rejects.toMatchObject({ code: "CORRUPT_FILE" });
    await expect(ingest("x.mhtml", latin1(mhtml([IMAGE])))).rejects.toMatchObject({ code: "EMPTY_FILE" });
    await expect(ingest("x.mhtml", utf8("MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n\r\n--x\r\n"))).rejects.toMatchObject({ code: "CORRUPT_FILE" });
    // multiparts nested 10,000 deep: refused, not recursed into
    let deep = "Content-Type: text/html\r\n\r\n<p>x</p>";
    for (let i = 0; i < 10_000; i++) deep = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${deep}\r\n--b${i}--\r\n`;
    await expect(ingest("deep.mhtml", utf8(deep))).rejects.toMatchObject({ code: "CORRUPT_FILE", message: expect.stringContaining("nested") });
  });
});
