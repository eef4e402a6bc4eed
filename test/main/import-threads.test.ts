// Importing books on worker threads (the compiled entry in build/main, as the app
// runs it): the same documents as importing on this thread (the oracle), the main
// thread free while a big book is read, errors with their codes, a heap limit that
// stops a thread and not the process, one copy of a book dropped twice, and close.
import * as fs from "node:fs";
import * as path from "node:path";
import { setImmediate as turn } from "node:timers/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { ImportThreads, defaultHeapMb } from "../../main/library/import-threads";
import { importFile } from "../../main/app/import";
import { packageRoot } from "../../main/engine/native";
import { dataDir, hasData } from "../helpers/data";
import { b64, eventsOf, makeCore, tempDirsPerTest } from "./helpers/core";
import { ImportControl } from "../../main/library/import-control";

const entry = path.join(packageRoot(), "build", "main", "library", "import-thread-entry.js");
const books = path.join(dataDir ?? "", "books");
const dir = tempDirsPerTest();
const open: { close(): void }[] = [];
afterEach(() => open.splice(0).forEach((x) => x.close())); // (before the folders go: registered after)
const library = () => {
  const d = dir();
  const lib = new Library(path.join(d, "tome.db"), builtinDefaults("/m"));
  open.push(lib);
  return lib;
};
const threads = (o: ConstructorParameters<typeof ImportThreads>[0] = {}) => {
  const t = new ImportThreads({ script: entry, ...o });
  open.push(t);
  return t;
};
const bookBytes = (f: string) => new Uint8Array(fs.readFileSync(path.join(books, f)));
/** War and Peace `n` times over, its Gutenberg markers defused so the whole is kept. */
const bigText = (n: number) => {
  const one = fs.readFileSync(path.join(books, "war-and-peace_pg2600.txt"), "utf8").replace(/\*\*\* (START|END) OF/g, "xx");
  return new TextEncoder().encode(Array(n).fill(one).join("\n"));
};

beforeAll(() => {
  expect(fs.existsSync(entry), `${entry} is built by npm run build (npm install runs it)`).toBe(true);
});

describe.skipIf(!hasData)("import threads", () => {
  it("store the same documents as an import on this thread, for every format", async () => {
    const inThread = library();
    const here = library();
    const t = threads();
    for (const f of ["alice-in-wonderland_pg11.txt", "alice-in-wonderland.epub", "alice-in-wonderland_pg11.pdf", "pride-and-prejudice_pg1342.txt"]) {
      const a = await importFile(inThread, f, bookBytes(f), true, t);
      const b = await importFile(here, f, bookBytes(f), true);
      expect({ ...a, id: 0, createdAt: 0 }, f).toEqual({ ...b, id: 0, createdAt: 0 });
      expect(inThread.documents.text(a.id)).toBe(here.documents.text(b.id));
    }
  });

  it("leave the main thread turning while a big book is read and stored", async () => {
    const lib = library();
    const t = threads();
    let turns = 0;
    let done = false;
    const spin = (async () => {
      while (!done) {
        turns++;
        await turn();
      }
    })();
    const bytes = bigText(4);
    const d = await importFile(lib, "big.txt", bytes, true, t).finally(() => (done = true));
    await spin;
    expect(d.chars).toBeGreaterThan(12_000_000);
    // reading 13M characters takes about a second; on this thread the loop would turn once or twice
    expect(turns).toBeGreaterThan(50);
  });

  it("bring back the reader's errors with their codes and messages; nothing is stored", async () => {
    const lib = library();
    const t = threads();
    const damaged = new TextEncoder().encode("%PDF-1.4\n1 0 obj garbage");
    const here = await importFile(library(), "bad.pdf", damaged, true).catch((e) => e);
    await expect(importFile(lib, "bad.pdf", damaged, true, t)).rejects.toMatchObject({ code: "CORRUPT_FILE", message: here.message });
    await expect(importFile(lib, "notes.pages", new Uint8Array(10), true, t)).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    await expect(importFile(lib, "empty.txt", new Uint8Array(0), true, t)).rejects.toMatchObject({ code: "EMPTY_FILE" });
    expect(lib.documents.list()).toEqual([]);
  });

  it("stop a thread that passes its heap limit with TOO_LARGE, and go on importing", async () => {
    const lib = library();
    const t = threads({ heapMb: 32 });
    await expect(importFile(lib, "huge.txt", bigText(8), true, t)).rejects.toMatchObject({ code: "TOO_LARGE", message: expect.stringContaining("32 MiB") });
    expect(lib.documents.list()).toEqual([]);
    const d = await importFile(lib, "alice.txt", bookBytes("alice-in-wonderland_pg11.txt"), true, t);
    expect(d.title).toMatch(/Alice/);
    expect(defaultHeapMb(2 * 2 ** 30)).toBe(1024);
    expect(defaultHeapMb(64 * 2 ** 30)).toBe(4096);
  });

  it("store a book dropped twice at once one time, two threads racing", async () => {
    const lib = library();
    const t = threads({ maxRunning: 2 });
    const f = "pride-and-prejudice_pg1342.txt";
    const [a, b] = await Promise.all([importFile(lib, "a.txt", bookBytes(f), true, t), importFile(lib, "b.txt", bookBytes(f), true, t)]);
    expect(b.id).toBe(a.id);
    expect(lib.documents.list()).toHaveLength(1);
    // and once stored, found again without being read
    expect((await importFile(lib, "c.txt", bookBytes(f), true, t)).id).toBe(a.id);
  });

  it("run at most maxRunning at a time, the others waiting their turn", async () => {
    const lib = library();
    const t = threads({ maxRunning: 1 });
    let most = 0;
    const names = ["alice-in-wonderland_pg11.txt", "pride-and-prejudice_pg1342.txt", "moby-dick_pg2701.txt"];
    const all = Promise.all(names.map((f) => importFile(lib, f, bookBytes(f), true, t)));
    const watch = setInterval(() => (most = Math.max(most, t.active)), 1);
    const docs = await all.finally(() => clearInterval(watch));
    expect(most).toBe(1);
    expect(new Set(docs.map((d) => d.id)).size).toBe(3);
  });

  it("leave small bytes with their caller (copied) and move large ones", async () => {
    const lib = library();
    const t = threads();
    const small = new TextEncoder().encode("A short note to keep.\n");
    await importFile(lib, "note.txt", small, true, t);
    expect(new TextDecoder().decode(small)).toBe("A short note to keep.\n");
    const large = bookBytes("pride-and-prejudice_pg1342.txt");
    const size = large.byteLength;
    const d = await importFile(lib, "p.txt", large, true, t);
    expect(d.sizeBytes).toBe(size);
    expect(large.byteLength).toBe(0); // detached: moved to the thread
  });

  it("on close: the import under way and those waiting end CANCELLED, later ones are refused", async () => {
    const lib = library();
    const t = threads({ maxRunning: 1 });
    const running = importFile(lib, "big.txt", bigText(4), true, t);
    const waiting = importFile(lib, "alice.txt", bookBytes("alice-in-wonderland_pg11.txt"), true, t);
    await new Promise((r) => setTimeout(r, 50));
    t.close();
    await expect(running).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(waiting).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(importFile(lib, "x.txt", new TextEncoder().encode("x"), true, t)).rejects.toMatchObject({ code: "CANCELLED" });
    expect(lib.documents.list()).toEqual([]);
  });

  it("Stop: an import waiting or being read ends CANCELLED with nothing stored; the next ones go on", async () => {
    const lib = library();
    const t = threads({ maxRunning: 1 });
    const reading = new ImportControl("big.txt");
    const queued = new ImportControl("alice.txt");
    const big = importFile(lib, "big.txt", bigText(4), true, t, reading);
    const waits = importFile(lib, "alice.txt", bookBytes("alice-in-wonderland_pg11.txt"), true, t, queued);
    const after = importFile(lib, "pride.txt", bookBytes("pride-and-prejudice_pg1342.txt"), true, t);
    expect(queued.stop()).toBe(true);
    await expect(waits).rejects.toMatchObject({ code: "CANCELLED", message: "Opening 'alice.txt' was stopped." });
    await new Promise((r) => setTimeout(r, 100)); // big.txt is being read now
    expect(reading.stop()).toBe(true);
    expect(reading.stop()).toBe(false); // once
    await expect(big).rejects.toMatchObject({ code: "CANCELLED" });
    expect((await after).title).toMatch(/Pride/);
    expect(lib.documents.list().map((d) => d.sourceName)).toEqual(["pride.txt"]);
  });

  it("Stop once the book is being written: refused, and the book is added", async () => {
    const lib = library();
    const t = threads();
    const control = new ImportControl("alice.txt");
    const writing = new Promise<void>((resolve) => {
      const start = control.startWriting.bind(control);
      control.startWriting = () => {
        const ok = start();
        resolve();
        return ok;
      };
    });
    const done = importFile(lib, "alice.txt", bookBytes("alice-in-wonderland_pg11.txt"), true, t, control);
    await writing;
    expect(control.stop()).toBe(false);
    expect((await done).title).toMatch(/Alice/);
    // on this thread alike: a stop before the write ends it, none after
    const here = new ImportControl("p.txt");
    expect(here.stop()).toBe(true);
    await expect(importFile(lib, "p.txt", bookBytes("pride-and-prejudice_pg1342.txt"), true, undefined, here)).rejects.toMatchObject({ code: "CANCELLED" });
    expect(lib.documents.list()).toHaveLength(1);
  });

  it("library.cancelImport stops a page's import by its id (through the core)", async () => {
    const t = makeCore({ importThreads: threads({ maxRunning: 1 }) });
    try {
      const big = t.core.call("library.import", { name: "big.txt", dataBase64: b64(bigText(3)), importId: "import-1" });
      await expect(t.core.call("library.import", { name: "again.txt", dataBase64: b64("x"), importId: "import-1" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await new Promise((r) => setTimeout(r, 100));
      expect(await t.core.call("library.cancelImport", { importId: "import-1" })).toEqual({ cancelled: true });
      await expect(big).rejects.toMatchObject({ code: "CANCELLED" });
      expect(await t.core.call("library.cancelImport", { importId: "import-1" })).toEqual({ cancelled: false }); // over
      expect(await t.core.call("library.cancelImport", { importId: "nobody" })).toEqual({ cancelled: false });
      expect(await t.core.call("library.list", {})).toEqual([]);
      expect(eventsOf(t, "doc.updated")).toEqual([]);
      // the id is free again, and an import under it is added
      const d = await t.core.call("library.import", { name: "a.txt", dataBase64: b64("A short book to keep."), importId: "import-1" });
      expect(eventsOf(t, "doc.updated")).toEqual([d]);
    } finally {
      t.close();
    }
  });

  it("where a thread cannot load: this import and the later ones are done on this thread, and the app says so once", async () => {
    const missing = path.join(dir(), "missing.js");
    const lib = library();
    const t = threads({ script: missing, maxRunning: 1 });
    const large = bookBytes("pride-and-prejudice_pg1342.txt"); // (kept: bytes move only to a loaded thread)
    const [a, b] = await Promise.all([
      importFile(lib, "p.txt", large, true, t),
      importFile(lib, "a.txt", bookBytes("alice-in-wonderland_pg11.txt"), true, t), // waiting meanwhile
    ]);
    expect([a.title, b.title]).toEqual([expect.stringMatching(/Pride/), expect.stringMatching(/Alice/)]);
    expect(t.unavailable).toMatch(/Cannot find module/);
    expect(t.active).toBe(0);
    // through the core: the notice, once
    const c = makeCore({ importThreads: threads({ script: missing }) });
    try {
      await c.core.call("library.import", { name: "x.txt", dataBase64: b64("A short book.") });
      await c.core.call("library.import", { name: "y.txt", dataBase64: b64("Another short book.") });
      expect(eventsOf(c, "app.notice").map((n) => n.text)).toEqual([expect.stringMatching(/^Books are read by the app's main thread, as the import thread could not start \(Cannot find module/)]);
      expect(await c.core.call("library.list", {})).toHaveLength(2);
    } finally {
      c.close();
    }
  });
});
