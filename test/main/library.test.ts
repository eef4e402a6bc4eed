// The app database: migrations in order, WAL, settings over defaults, and
// durability: a process killed mid-answer loses nothing it had saved.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate, openDatabase, schemaVersion } from "../../main/library/db";
import { migrations } from "../../main/library/migrations";
import { Conversations } from "../../main/library/conversations";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { importFile } from "../../main/app/import";
import { tempDirsPerTest } from "./helpers/core";

const dir = tempDirsPerTest();

describe("database", () => {
  it("applies every migration once, in WAL mode with foreign keys", () => {
    const f = path.join(dir(), "t.db");
    const db = openDatabase(f);
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    db.close();
    const again = openDatabase(f);
    expect(schemaVersion(again)).toBe(migrations.length);
    again.close();
  });

  it("refuses a database from a newer tome", () => {
    const f = path.join(dir(), "t.db");
    const db = openDatabase(f);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    expect(() => openDatabase(f)).toThrow(/newer/);
  });

  it("settings: defaults, patches, recent models; deleting a document deletes its conversations", () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/models"));
    expect(lib.settings.get().modelsDir).toBe("/models");
    lib.settings.set({ threads: 3, attention: { mode: "retrieval", sinks: 4, window: 256, topK: 50 } });
    expect(lib.settings.get().threads).toBe(3);
    expect(lib.settings.get().attention.mode).toBe("retrieval");
    for (const m of ["/a.gguf", "/b.gguf", "/a.gguf"]) lib.settings.touchModel(m);
    expect(lib.settings.get().recentModels).toEqual(["/a.gguf", "/b.gguf"]);
    const d = lib.documents.add({ title: "T", author: null, sourceName: "t.txt", format: "txt", sizeBytes: 5, sha256: "x", text: "hello", chapters: [], boilerplateSkipped: false });
    const c = lib.conversations.create(d.id, "c", "");
    lib.conversations.addMessage(c.id, "user", "q", "done");
    expect(lib.documents.text(d.id, 1, 3)).toBe("el");
    lib.documents.remove(d.id);
    expect(lib.conversations.get(c.id)).toBeUndefined();
    lib.close();
  });
});

describe("documents", () => {
  it("remember where their KV store was saved, for which model, while the file exists", () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/models"));
    const d = lib.documents.add({ title: "T", author: null, sourceName: "t.txt", format: "txt", sizeBytes: 5, sha256: "y", text: "hello", chapters: [], boilerplateSkipped: false });
    expect(d.savedFor).toBeNull();
    const store = path.join(dir(), "abc.tomekv");
    fs.writeFileSync(store, "x");
    lib.documents.setSaved(d.id, store, "/models/a.gguf", 4);
    lib.documents.setState(d.id, "ready");
    lib.documents.resetCacheStates(); // a restart: the engine holds no KV, the disk still does
    expect(lib.documents.get(d.id)).toMatchObject({ state: "new", savedFor: "/models/a.gguf", savedTokens: 4 });
    expect(lib.documents.storeUsers(store)).toBe(1);
    fs.rmSync(store); // e.g. tome cache gc
    expect(lib.documents.get(d.id)).toMatchObject({ savedFor: null, savedTokens: null });
    lib.close();
  });
});

describe("crash safety", () => {
  it("a process killed while an answer streams keeps the question and the saved part of the answer", async () => {
    const d = dir();
    const f = path.join(d, "t.db");
    const lib = new Library(f, builtinDefaults("/m"));
    const doc = lib.documents.add({ title: "T", author: null, sourceName: "t.txt", format: "txt", sizeBytes: 5, sha256: "x", text: "hello", chapters: [], boilerplateSkipped: false });
    const conv = lib.conversations.create(doc.id, "c", "");
    lib.close();
    // A child writes like the app does (question, then a growing answer) and is SIGKILLed mid-way.
    const script = `
      const { Library } = require(${JSON.stringify(path.resolve("build/main/library/index.js"))});
      const { builtinDefaults } = require(${JSON.stringify(path.resolve("build/main/library/settings.js"))});
      const lib = new Library(${JSON.stringify(f)}, builtinDefaults("/m"));
      lib.conversations.addMessage(${conv.id}, "user", "What happens?", "done");
      const a = lib.conversations.addMessage(${conv.id}, "assistant", "", "streaming");
      let text = "";
      setInterval(() => { text += "word "; lib.conversations.saveContent(a.id, text); process.stdout.write("."); }, 5);
    `;
    expect(fs.existsSync(path.resolve("build/main/library/index.js")), "needs the build (npm run build; npm install runs it)").toBe(true);
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      let n = 0;
      child.stdout.on("data", (b: Buffer) => {
        n += b.length;
        if (n > 20) resolve();
      });
      // a child that cannot open the library (a stale build's older schema) ends the test, not its timeout
      child.on("exit", (code) => reject(new Error(`the writing process ended by itself (exit ${code})`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const again = new Library(f, builtinDefaults("/m"));
    const msgs = again.conversations.messages(conv.id);
    expect(msgs[0]).toMatchObject({ role: "user", content: "What happens?", status: "done" });
    expect(msgs[1].status).toBe("interrupted");
    expect(msgs[1].content).toMatch(/^(word )+$/);
    expect(msgs[1].content.length).toBeGreaterThanOrEqual(20 * 5 - 5);
    again.close();
  });
});

describe("opening a database that is not right", () => {
  it("a damaged tome.db: an error with SQLite's code that names the file and what to do; the file is left as it was", () => {
    const f = path.join(dir(), "tome.db");
    const junk = Buffer.from("this is not an SQLite database ".repeat(200));
    fs.writeFileSync(f, junk);
    let err: { code?: string; message?: string; file?: string } = {};
    try {
      new Library(f, builtinDefaults("/m"));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe("SQLITE_NOTADB");
    expect(err.file).toBe(f);
    expect(err.message).toContain(f);
    expect(err.message).toMatch(/damaged.*Move it out of the folder/);
    expect(fs.readFileSync(f).equals(junk)).toBe(true);
    expect(fs.readdirSync(path.dirname(f))).toEqual(["tome.db"]);
  });

  it("a tome.db from a newer tome: SCHEMA_TOO_NEW, naming the file", () => {
    const f = path.join(dir(), "tome.db");
    const db = openDatabase(f);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    expect(() => openDatabase(f)).toThrow(expect.objectContaining({ code: "SCHEMA_TOO_NEW", message: expect.stringContaining(f) }));
  });

  it("006 rebuilds documents for HTML books: every row of a schema-5 library kept, ids and all; foreign keys still cascade", () => {
    const f = path.join(dir(), "tome.db");
    const old = new Database(f);
    for (const m of migrations.slice(0, 5)) old.exec(m.sql);
    old.pragma("user_version = 5");
    const doc = (id: number, format: string) =>
      old
        .prepare(`INSERT INTO documents (id, title, author, source_name, format, size_bytes, sha256, text, chapters, boilerplate_skipped, tokens, tokens_used, chars_used, model_path, state, error, created_at, updated_at, kv_file, kv_model, kv_used, kv_partial)
                  VALUES (?, 'T', 'A', 's', ?, 5, 'h', 'hello', '[]', 1, 9, 8, 7, '/m.gguf', 'ready', NULL, 1, 2, 'kv', '/m.gguf', 6, 'part')`)
        .run(id, format);
    doc(3, "txt");
    doc(7, "epub");
    old.prepare("INSERT INTO conversations (id, document_id, title, created_at, updated_at) VALUES (11, 3, 'c', 1, 1), (12, 7, 'd', 1, 1)").run();
    old.prepare("INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES (21, 11, 'user', 'q', 'done', 1, 1), (22, 12, 'user', 'r', 'done', 1, 1)").run();
    old.prepare("INSERT INTO token_stats (message_id, idx, stats) VALUES (21, 0, '{}')").run();
    expect(() => doc(8, "html")).toThrow(/CHECK constraint/);
    const before = old.prepare("SELECT * FROM documents ORDER BY id").all();
    old.close();

    const db = openDatabase(f);
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    // (as 007 left them: the text in document_text, its length in units at the end)
    const after = (before as Record<string, unknown>[]).map((r) => {
      const { text, ...others } = r;
      return { ...others, text_units: (text as string).length };
    });
    expect(db.prepare("SELECT * FROM documents ORDER BY id").all()).toEqual(after);
    expect(db.prepare("SELECT document_id, start, text FROM document_text ORDER BY document_id").all()).toEqual([
      { document_id: 3, start: 0, text: "hello" },
      { document_id: 7, start: 0, text: "hello" },
    ]);
    expect(db.prepare("SELECT count(*) AS n FROM conversations").get()).toEqual({ n: 2 });
    expect(db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 2 });
    // (008: a question quotes no passage until one is chosen)
    expect(new Conversations(db).messages(11)).toMatchObject([{ id: 21, content: "q", passage: null }]);
    expect(db.prepare("SELECT count(*) AS n FROM token_stats").get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'").all()).toEqual([{ name: "documents_sha" }]);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    db.prepare(`INSERT INTO documents (title, source_name, format, size_bytes, sha256, chapters, created_at, updated_at) VALUES ('H', 'h.html', 'html', 1, 'x', '[]', 1, 1)`).run();
    // the conversations' references follow the new table: deleting a book deletes its conversations, their messages and stats
    db.prepare("DELETE FROM documents WHERE id = 3").run();
    expect(db.prepare("SELECT id FROM conversations").all()).toEqual([{ id: 12 }]);
    expect(db.prepare("SELECT document_id FROM document_text").all()).toEqual([{ document_id: 7 }]);
    expect(db.prepare("SELECT count(*) AS n FROM token_stats").get()).toEqual({ n: 0 });
    expect(() => db.prepare("INSERT INTO conversations (document_id, title, created_at, updated_at) VALUES (99, 'x', 1, 1)").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it("a rebuild that would break references is rolled back: the error names the file, nothing changes, foreign keys are on again", () => {
    const f = path.join(dir(), "tome.db");
    const db = openDatabase(f);
    db.prepare(`INSERT INTO documents (id, title, source_name, format, size_bytes, sha256, chapters, created_at, updated_at) VALUES (1, 'T', 't.txt', 'txt', 1, 'x', '[]', 1, 1)`).run();
    db.prepare("INSERT INTO conversations (id, document_id, title, created_at, updated_at) VALUES (5, 1, 'c', 1, 1)").run();
    // a faulty rebuild: the documents copied with new ids
    const faulty = {
      version: migrations.length + 1,
      name: "faulty",
      foreignKeysOff: true,
      functions: {},
      sql: "CREATE TABLE d2 (id INTEGER PRIMARY KEY, rest); INSERT INTO d2 SELECT id + 100, title FROM documents; DROP TABLE documents; ALTER TABLE d2 RENAME TO documents;",
    };
    expect(() => migrate(db, [...migrations, faulty])).toThrow(expect.objectContaining({ code: "MIGRATION_FAILED", message: expect.stringContaining(f) }));
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.prepare("SELECT id FROM documents").all()).toEqual([{ id: 1 }]);
    expect(db.prepare("SELECT id FROM conversations").all()).toEqual([{ id: 5 }]);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    db.close();
  });

  it("two processes migrating one old database: the second finds the work done (it failed on 'duplicate column name')", async () => {
    const f = path.join(dir(), "tome.db");
    // a database a migration behind the last one that is plain SQL (007 runs code of tome's)
    const last = [...migrations].reverse().find((m) => !m.run)!;
    const old = new Database(f);
    old.pragma("journal_mode = WAL");
    for (const m of migrations.slice(0, last.version - 1)) old.exec(m.sql);
    old.pragma(`user_version = ${last.version - 1}`);
    old.close();
    // Another process's start (a worker thread with its own connection): it takes the write lock,
    // tells us, and applies that migration a moment later, while this thread opens the file.
    const worker = new Worker(
      `const { parentPort, workerData: w } = require("node:worker_threads");
       const Database = require(w.sqlite);
       const db = new Database(w.file);
       db.exec("BEGIN IMMEDIATE");
       parentPort.postMessage("locked");
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec(w.sql);
       db.pragma("user_version = " + w.version);
       db.exec("COMMIT");
       db.close();`,
      { eval: true, workerData: { sqlite: require.resolve("better-sqlite3"), file: f, sql: last.sql, version: last.version } },
    );
    await new Promise((r) => worker.once("message", r));
    const db = openDatabase(f); // waits for the lock (busy_timeout), then reads the version again
    expect(schemaVersion(db)).toBe(migrations.length);
    db.close();
    await new Promise((r) => worker.once("exit", r));
  });
});

describe("import", () => {
  it("an HTML book is stored as one", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const html = "<html><head><title>A Page</title></head><body><h2>One</h2><p>First.</p><h2>Two</h2><p>Second.</p></body></html>";
    const d = await importFile(lib, "page.html", new TextEncoder().encode(html), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "html", title: "A Page", chapters: [{ title: "One", start: 0 }, { title: "Two", start: 13 }] });
    expect(lib.documents.text(d.id, 0, 100)).toBe("One\n\nFirst.\n\nTwo\n\nSecond.");
    lib.close();
  });

  it("the same bytes dropped twice at once are stored once", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const bytes = new TextEncoder().encode("Title: Twice\n\nThe same book, dropped twice before the first copy was stored.\n");
    const [a, b] = await Promise.all([importFile(lib, "a.txt", bytes, true), importFile(lib, "a copy.txt", bytes, true)]);
    expect(b.id).toBe(a.id);
    expect(lib.documents.list()).toHaveLength(1);
    lib.close();
  });
});
