// A book's text stored in pieces and counted in UTF-16 units, where SQLite counts
// code points: its length and every slice the reader asks for must be JavaScript's,
// astral characters or not. Oracle: the string itself (length, slice).
import * as path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../main/library/db";
import { migrations } from "../../main/library/migrations";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { PIECE_UNITS, textPieces } from "../../main/library/text-pieces";
import { tempDirsPerTest } from "./helpers/core";

const dir = tempDirsPerTest();

/** Seeded text mixing ASCII, accents, CJK, emoji and mathematical letters (astral). */
function mixedText(seed: number, n: number): string {
  let x = seed >>> 0;
  const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pieces = ["a", "b", " ", "é", "ß", "中", "\n", "😀", "𝔄", "👩‍👧", "\u{20000}", "\ufffd"];
  let s = "";
  while (s.length < n) s += pieces[Math.floor(rand() * pieces.length)];
  return s;
}

const slices = (n: number, count: number, seed: number): [number, number][] => {
  let x = seed;
  const rand = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % m);
  return Array.from({ length: count }, () => {
    const s = rand(n + 1);
    return [s, s + rand(Math.min(n + 1 - s, 3 * PIECE_UNITS))];
  });
};

describe("text pieces", () => {
  it("join back to the text, each at most the size, none ending between a pair's halves", () => {
    const t = mixedText(1, 5000);
    for (const size of [1, 2, 7, 64, 5000, 9999]) {
      const ps = textPieces(t, size);
      expect(ps.map((p) => p.text).join("")).toBe(t);
      let at = 0;
      for (const p of ps) {
        expect(p.start).toBe(at);
        expect(p.text.length).toBeGreaterThan(0);
        expect(p.text.length).toBeLessThanOrEqual(Math.max(size, 2)); // a pair is never cut, even at size 1
        expect(p.text).not.toMatch(/[\ud800-\udbff]$/);
        at += p.text.length;
      }
    }
    expect(textPieces("")).toEqual([]);
  });
});

describe("documents", () => {
  const store = (lib: Library, text: string, sha = "ab") =>
    lib.documents.add({ title: "T", author: null, sourceName: "t.txt", format: "txt", sizeBytes: 1, sha256: sha.repeat(32), text, chapters: [], boilerplateSkipped: false });

  it("a book's length is its UTF-16 length, and every slice is the string's slice", () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const t = mixedText(7, 5 * PIECE_UNITS + 1234);
    const d = store(lib, t);
    expect(d.chars).toBe(t.length);
    expect(lib.documents.list()[0].chars).toBe(t.length);
    expect(lib.documents.text(d.id)).toBe(t);
    for (const [s, e] of slices(t.length, 300, 99)) expect(lib.documents.text(d.id, s, e)).toBe(t.slice(s, e));
    // piece edges, past the end, reversed, negative: as slice() clamps
    for (const s of [PIECE_UNITS - 1, PIECE_UNITS, PIECE_UNITS + 1]) expect(lib.documents.text(d.id, s, s + 2)).toBe(t.slice(s, s + 2));
    expect(lib.documents.text(d.id, t.length - 3, t.length + 50)).toBe(t.slice(t.length - 3));
    expect(lib.documents.text(d.id, 10, 5)).toBe("");
    expect(lib.documents.text(d.id, -4, 3)).toBe(t.slice(0, 3));
    expect(lib.documents.text(12345)).toBeUndefined();
    // removing the book removes its text
    lib.documents.remove(d.id);
    expect(lib.db.prepare("SELECT count(*) FROM document_text").pluck().get()).toBe(0);
    lib.close();
  });
});

describe("migration 007", () => {
  it("moves books stored before it to document_text in pieces, with their length in units", () => {
    const f = path.join(dir(), "tome.db");
    const old = new Database(f);
    for (const m of migrations.slice(0, 6)) old.exec(m.sql);
    old.pragma("user_version = 6");
    const t = mixedText(3, 2 * PIECE_UNITS + 77);
    const add = old.prepare(`INSERT INTO documents (id, title, source_name, format, size_bytes, sha256, text, chapters, created_at, updated_at) VALUES (?, 'T', 't', 'txt', 1, ?, ?, '[]', 1, 1)`);
    add.run(1, "a", t);
    add.run(2, "b", "no astral here");
    expect(old.prepare("SELECT length(text) FROM documents WHERE id = 1").pluck().get()).toBe(Array.from(t).length); // code points
    old.close();

    const db = openDatabase(f);
    expect(db.prepare("SELECT id, text_units FROM documents ORDER BY id").all()).toEqual([
      { id: 1, text_units: t.length },
      { id: 2, text_units: 14 },
    ]);
    expect(db.prepare("SELECT document_id, start, length(text) > 0 AS some FROM document_text ORDER BY document_id, start").all()).toEqual([
      ...textPieces(t).map((p) => ({ document_id: 1, start: p.start, some: 1 })),
      { document_id: 2, start: 0, some: 1 },
    ]);
    expect(db.prepare("SELECT name FROM pragma_table_info('documents') WHERE name = 'text'").all()).toEqual([]);
    db.close();
    const lib = new Library(f, builtinDefaults("/m"));
    expect(lib.documents.get(1)!.chars).toBe(t.length);
    expect(lib.documents.text(1)).toBe(t);
    expect(lib.documents.text(2)).toBe("no astral here");
    for (const [s, e] of slices(t.length, 100, 5)) expect(lib.documents.text(1, s, e)).toBe(t.slice(s, e));
    lib.close();
  });
});
