// A book's text in UTF-16 units, stored in SQLite which counts code points: its length
// and every slice the reader asks for must be JavaScript's, astral characters or not.
// Oracle: the string itself (length, slice).
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../main/library/db";
import { migrations } from "../../main/library/migrations";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { astralFromBlob, astralBlob, astralOffsets, codePointOffset } from "../../main/library/text-units";
import { tempDir } from "./helpers/core";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

/** Seeded text mixing ASCII, accents, CJK, emoji and mathematical letters (astral), and a lone surrogate's stand-in. */
function mixedText(seed: number, n: number): string {
  let x = seed >>> 0;
  const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pieces = ["a", "b", " ", "é", "ß", "中", "\n", "😀", "𝔄", "👩‍👧", "\u{20000}", "\ufffd"];
  let s = "";
  while (s.length < n) s += pieces[Math.floor(rand() * pieces.length)];
  return s;
}

const isMidPair = (t: string, i: number) => i > 0 && i < t.length && /[\ud800-\udbff]/.test(t[i - 1]) && /[\udc00-\udfff]/.test(t[i]);

describe("astral offsets", () => {
  it("list each surrogate pair's high half and convert units to code points as Array.from counts them", () => {
    const t = mixedText(1, 5000);
    const a = astralOffsets(t)!;
    expect(Array.from(a)).toEqual([...t.matchAll(/[\ud800-\udbff][\udc00-\udfff]/g)].map((m) => m.index));
    expect(astralFromBlob(astralBlob(a))).toEqual(a);
    for (let u = 0; u <= t.length; u++) if (!isMidPair(t, u)) expect(codePointOffset(a, u)).toBe(Array.from(t.slice(0, u)).length);
    expect(astralOffsets("plain ascii and é")).toBeNull();
    expect(codePointOffset(null, 17)).toBe(17);
  });
});

describe("documents", () => {
  const store = (lib: Library, text: string, sha = "ab") =>
    lib.documents.add({ title: "T", author: null, sourceName: "t.txt", format: "txt", sizeBytes: 1, sha256: sha.repeat(32), text, chapters: [], boilerplateSkipped: false });

  it("a book's length is its UTF-16 length, and every slice is the string's slice", () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const t = mixedText(7, 20000);
    const d = store(lib, t);
    expect(d.chars).toBe(t.length);
    expect(lib.documents.list()[0].chars).toBe(t.length);
    expect(lib.documents.text(d.id)).toBe(t);
    let x = 99;
    const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 400; i++) {
      let s = rand(t.length + 1);
      let e = s + rand(t.length + 1 - s);
      if (isMidPair(t, s)) s--; // (mid-pair offsets: next test)
      if (isMidPair(t, e)) e++;
      expect(lib.documents.text(d.id, s, e)).toBe(t.slice(s, e));
    }
    // past the end, reversed, negative: clamped
    expect(lib.documents.text(d.id, t.length - 3, t.length + 50)).toBe(t.slice(t.length - 3));
    expect(lib.documents.text(d.id, 10, 5)).toBe("");
    expect(lib.documents.text(d.id, -4, 3)).toBe(t.slice(0, 3));
    expect(lib.documents.text(12345)).toBeUndefined();
    lib.close();
  });

  it("an offset between a pair's halves takes the whole character at a start and leaves it out at an end", () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = store(lib, "ab😀cd");
    expect(lib.documents.text(d.id, 3, 6)).toBe("😀cd");
    expect(lib.documents.text(d.id, 0, 3)).toBe("ab");
    lib.close();
  });
});

describe("migration 007", () => {
  it("moves books stored before it to document_texts, with their length in units and their astral offsets", () => {
    const f = path.join(dir(), "tome.db");
    const old = new Database(f);
    for (const m of migrations.slice(0, 6)) old.exec(m.sql);
    old.pragma("user_version = 6");
    const t = mixedText(3, 3000);
    const add = old.prepare(`INSERT INTO documents (id, title, source_name, format, size_bytes, sha256, text, chapters, created_at, updated_at) VALUES (?, 'T', 't', 'txt', 1, ?, ?, '[]', 1, 1)`);
    add.run(1, "a", t);
    add.run(2, "b", "no astral here");
    expect(old.prepare("SELECT length(text) AS n FROM documents WHERE id = 1").get()).toEqual({ n: Array.from(t).length });
    old.close();

    const db = openDatabase(f);
    expect(db.prepare("SELECT id, text_units FROM documents ORDER BY id").all()).toEqual([
      { id: 1, text_units: t.length },
      { id: 2, text_units: 14 },
    ]);
    const blob = (db.prepare("SELECT astral_offsets AS a FROM document_texts WHERE document_id = 1").get() as { a: Buffer }).a;
    expect(astralFromBlob(blob)).toEqual(astralOffsets(t));
    expect(db.prepare("SELECT astral_offsets AS a, text FROM document_texts WHERE document_id = 2").get()).toEqual({ a: null, text: "no astral here" });
    expect(db.prepare("SELECT name FROM pragma_table_info('documents') WHERE name = 'text'").all()).toEqual([]);
    db.close();
    const reopened = new Library(f, builtinDefaults("/m"));
    expect(reopened.documents.get(1)!.chars).toBe(t.length);
    expect(reopened.documents.text(1, 100, 900)).toBe(t.slice(isMidPair(t, 100) ? 99 : 100, isMidPair(t, 900) ? 901 : 900));
    reopened.close();
  });
});
