// A plain-text book's title: a "Title:" line near the top (Project Gutenberg's
// header, with or without its boilerplate skipped), else the file name, never
// the text's first line ("First Citizen:" for tinyshakespeare.txt).
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("txt titles", () => {
  it("takes the file name when the text has no Title: line", async () => {
    const d = await ingest("tinyshakespeare.txt", bytes("First Citizen:\nBefore we proceed any further, hear me speak.\n"));
    expect(d.title).toBe("tinyshakespeare");
  });

  it("takes a Title: line near the top", async () => {
    const d = await ingest("pg1342.txt", bytes("The Project Gutenberg eBook of Pride and Prejudice\n\nTitle: Pride and Prejudice  \n\nAuthor: Jane Austen\n\nIt is a truth universally acknowledged.\n"));
    expect(d.title).toBe("Pride and Prejudice");
  });

  it("reads Gutenberg's header title whether or not the boilerplate is skipped", async () => {
    const book = "Title: Alice\nAuthor: Lewis Carroll\n\n*** START OF THE PROJECT GUTENBERG EBOOK ALICE ***\nCHAPTER I.\nDown the rabbit-hole.\n*** END OF THE PROJECT GUTENBERG EBOOK ALICE ***\n";
    expect((await ingest("a.txt", bytes(book))).title).toBe("Alice");
    expect((await ingest("a.txt", bytes(book), { skipBoilerplate: false })).title).toBe("Alice");
  });

  it("does not take a Title: line deep in the text", async () => {
    const d = await ingest("notes.txt", bytes("x\n".repeat(4000) + "Title: not this\n"));
    expect(d.title).toBe("notes");
  });
});
