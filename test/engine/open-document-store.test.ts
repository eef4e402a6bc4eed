// openDocument (tome run --doc) when the document's store cannot be used as it is
// (the addon, in process, stories260K):
//   - a store written by another format version (an older tome) is made again, not
//     refused on every run (STORE_MISMATCH used to fail each `tome run --doc` of the book);
//   - a store SQLite finds damaged (a page of its kv table overwritten, below the blocks'
//     checksums) is made again: the failed attach leaves the session empty and unbound;
//   - a store another tome process holds (STORE_BUSY: the desktop app, `tome serve`) is
//     left alone and the document read without it, as the README says;
//   - a session asking for other sinks and window runs with the store's (its indexes were
//     built with them) instead of reading the document again, and its stats say so.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { listCaches, loadAddon, openDocument, type NativeSession } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-open-doc-store-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = { ctx: 1024, threads: 2, batch: 64, attention: "retrieval" as const, sinks: 16, window: 64, topK: 32 };
const doc = Array.from({ length: 600 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));

function session(asked: Partial<typeof options> = {}): NativeSession {
  const addon = loadAddon();
  return new addon.Session(new addon.Model(modelPath("stories260K.gguf")), { ...options, ...asked });
}

/** openDocument on a fresh session, closed afterwards; what it said and the logits of one more token. */
async function openOnce(cacheDir: string) {
  const s = session();
  try {
    const opened = await openDocument(s, cacheDir, doc);
    expect(s.nPast()).toBe(doc.length);
    const logits = Float32Array.from(await s.eval(Int32Array.from([42])));
    return { opened, logits, bound: s.storeInfo() !== null };
  } finally {
    s.close();
  }
}

/** Runs sql on a closed store (no tome session holds it). */
function edit(file: string, fn: (db: Database.Database) => void) {
  const db = new Database(file, { fileMustExist: true });
  try {
    fn(db);
  } finally {
    db.close();
  }
}

describe.skipIf(!hasData)("openDocument with a store it cannot use as it is", () => {
  let plain: Float32Array;
  it("reference: the document without a store", async () => {
    const s = session();
    await s.prefill(Int32Array.from(doc));
    await s.buildIndex();
    plain = Float32Array.from(await s.eval(Int32Array.from([42])));
    s.close();
  });

  it("a store of another format version (an older tome) is made again", async () => {
    const cacheDir = path.join(dir, "version");
    const first = await openOnce(cacheDir);
    expect(first.opened.prefilled).toBe(doc.length);
    edit(first.opened.file, (db) => db.prepare("UPDATE meta SET value = '0' WHERE key = 'version'").run());
    const again = await openOnce(cacheDir);
    expect(again.opened.storeOff).toBeUndefined();
    expect(again.bound).toBe(true);
    expect(again.opened.file).toBe(first.opened.file);
    expect(again.opened.restored).toBe(0);
    expect(again.opened.prefilled).toBe(doc.length);
    expect(Buffer.from(again.logits.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    expect(loadAddon().inspectStore(first.opened.file).version).toBe("1");
    const third = await openOnce(cacheDir);
    expect(third.opened.prefilled).toBe(0);
    expect(Buffer.from(third.logits.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
  });

  it("a store SQLite finds damaged is made again (the failed attach leaves the session unbound)", async () => {
    const cacheDir = path.join(dir, "damaged");
    const first = await openOnce(cacheDir);
    let root = 0;
    let page = 0;
    edit(first.opened.file, (db) => {
      root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'kv'").get() as { rootpage: number }).rootpage;
      page = db.pragma("page_size", { simple: true }) as number;
    });
    expect(root).toBeGreaterThan(1);
    const fd = fs.openSync(first.opened.file, "r+");
    fs.writeSync(fd, Buffer.alloc(page, 0x5a), 0, page, (root - 1) * page);
    fs.closeSync(fd);
    const again = await openOnce(cacheDir);
    expect(again.opened.storeOff).toBeUndefined();
    expect(again.bound).toBe(true);
    expect(again.opened.restored).toBe(0);
    expect(again.opened.prefilled).toBe(doc.length);
    expect(Buffer.from(again.logits.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    const third = await openOnce(cacheDir);
    expect(third.opened.prefilled).toBe(0);
  });

  it("a store another tome process holds is left alone: the document is read without it", async () => {
    const cacheDir = path.join(dir, "busy");
    const first = await openOnce(cacheDir);
    // held, as the desktop app holds the book it reads (here: another session of this process)
    const holder = session();
    try {
      expect(await holder.attachStore(first.opened.file)).toBeGreaterThanOrEqual(doc.length);
      const other = await openOnce(cacheDir);
      expect(other.opened.storeOff).toMatch(/in use/);
      expect(other.bound).toBe(false);
      expect(other.opened.restored).toBe(0);
      expect(other.opened.prefilled).toBe(doc.length);
      expect(Buffer.from(other.logits.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
      expect(holder.storeInfo()?.nTokens).toBeGreaterThanOrEqual(doc.length);
    } finally {
      holder.close();
    }
    expect((await openOnce(cacheDir)).opened.prefilled).toBe(0);
  });

  it("a session asking for other sinks and window keeps the store's and reads nothing again", async () => {
    const cacheDir = path.join(dir, "settings");
    expect((await openOnce(cacheDir)).opened.prefilled).toBe(doc.length);
    const s = session({ sinks: 8, window: 128 });
    try {
      const opened = await openDocument(s, cacheDir, doc);
      expect(opened.prefilled).toBe(0);
      expect(opened.restored).toBeGreaterThanOrEqual(doc.length);
      const logits = Float32Array.from(await s.eval(Int32Array.from([42])));
      const st = s.lastStats();
      expect([st.sinks, st.window]).toEqual([options.sinks, options.window]);
      expect(st.sparse).toBe(true);
      expect(Buffer.from(logits.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    } finally {
      s.close();
    }
    // a session without a store runs with what it asked for
    const plainSession = session({ sinks: 8, window: 128 });
    try {
      await plainSession.eval(Int32Array.from([1, 42]));
      expect([plainSession.lastStats().sinks, plainSession.lastStats().window]).toEqual([8, 128]);
    } finally {
      plainSession.close();
    }
  });
});

// A book under fullBelow is read onto full attention: no index, its queries stored with
// its KV. Reopened, the question that carries its context past the threshold builds the
// index from the stored queries: the same bits as a session that never left memory.
describe.skipIf(!hasData)("a short book under fullBelow in its store", () => {
  const under = { ...options, fullBelow: 600 }; // the book's index would hold 520 keys
  const q1 = Array.from({ length: 100 }, (_, i) => 3 + ((i * 104729) % 500)); // past the threshold after it
  const q2 = [410, 444, 269, 300, 301];
  const open = () => new (loadAddon().Session)(new (loadAddon().Model)(modelPath("stories260K.gguf")), under);
  /** q1, then q2 (whose evaluation builds the index): q2's logits, with its stats. */
  async function ask(s: NativeSession) {
    await s.eval(Int32Array.from(q1));
    expect(s.lastStats().sparse).toBe(false);
    const logits = Float32Array.from(await s.eval(Int32Array.from(q2)));
    const st = s.lastStats();
    expect(st.sparse).toBe(true);
    expect(st.ms.indexBuild).toBeGreaterThan(0);
    return logits;
  }

  it("is stored without an index and, reopened, indexed from its stored queries once it grows", async () => {
    const cacheDir = path.join(dir, "full-below");
    const plain = open();
    let want: Float32Array;
    try {
      await plain.prefill(Int32Array.from(doc));
      await plain.buildIndex();
      expect(plain.lastStats().sparse).toBe(false);
      want = await ask(plain);
    } finally {
      plain.close();
    }
    const first = open();
    try {
      expect((await openDocument(first, cacheDir, doc)).prefilled).toBe(doc.length);
      expect(first.lastStats().sparse).toBe(false);
    } finally {
      first.close();
    }
    const entries = listCaches(cacheDir);
    expect(entries.length).toBe(1);
    expect(entries[0].indexComplete).toBe(false);
    const again = open();
    try {
      const opened = await openDocument(again, cacheDir, doc);
      expect(opened.prefilled).toBe(0);
      const got = await ask(again);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    } finally {
      again.close();
    }
  });
});
