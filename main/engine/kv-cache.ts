// Document KV caches on disk: one store file per (document tokens, model,
// tokenizer, settings), named by a hash of them, in a cache folder
// ($TOME_CACHE_DIR, else the platform's cache folder, app/paths.ts). A document read once is reopened
// without prefill; a conversation on it continues where it stopped.
//   openDocument()  binds a session to the document's store and brings the
//                   context to exactly the document (restored, resumed or prefilled;
//                   without the store when another process holds it or the disk refuses it)
//   listCaches / removeCache / gcCaches   management (`tome cache`)
//   removeStore / storeBytesOnDisk        a store file with SQLite's files beside it
//   moveStores                            stores kept under the data folder, to the cache folder
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultDataDir, defaultKvCacheDir, kvCacheDirIn } from "../app/paths";
import { isTomeError, loadAddon, type NativeSession, type StoreIdentity } from "./native";

export const STORE_EXT = ".tomekv";
/** SQLite keeps a write-ahead log and a shared-memory index beside each store. */
const SIDE_FILES = ["", "-wal", "-shm"];

/** The CLI's KV cache folder when none is named: $TOME_CACHE_DIR, else the platform's (stores moved there, moveStores). */
export function defaultCacheDir(env = process.env): string {
  if (env.TOME_CACHE_DIR) return env.TOME_CACHE_DIR;
  return moveStores(kvCacheDirIn(defaultDataDir(process.platform, env)), defaultKvCacheDir(process.platform, env));
}

/**
 * Moves the stores of folder `from` (where tome kept them, under its data folder) to `to`,
 * each renamed with SQLite's files beside it (a store a session holds keeps its file, at its
 * new name) and reported to onMoved (the app's library records its books' stores). Returns
 * the folder to use: `to`, or `from` when its stores cannot be renamed there (another file
 * system), where they stay.
 */
export function moveStores(from: string, to: string, onMoved: (from: string, to: string) => void = () => {}): string {
  if (path.resolve(from) === path.resolve(to)) return to;
  let names: string[];
  try {
    names = fs.readdirSync(from).filter((n) => n.endsWith(STORE_EXT));
  } catch {
    return to; // none there
  }
  try {
    if (names.length) fs.mkdirSync(to, { recursive: true });
  } catch {
    return from; // the cache folder cannot be made: the stores stay, and are used, where they are
  }
  for (const name of names) {
    const a = path.join(from, name);
    const b = path.join(to, name);
    if (fs.existsSync(b)) continue; // made there since: the old one is left to its gc
    try {
      fs.renameSync(a, b);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EXDEV") return from;
      continue;
    }
    // its log goes with it (a stale one beside it would be replayed into it)
    for (const side of SIDE_FILES.slice(1)) {
      fs.rmSync(b + side, { force: true });
      if (fs.existsSync(a + side)) fs.renameSync(a + side, b + side);
    }
    onMoved(a, b);
  }
  return to;
}

/** The store file of a document's tokens under a session's identity. */
export function storeFileFor(dir: string, id: StoreIdentity, docTokens: ArrayLike<number>): string {
  const h = createHash("sha256");
  h.update(`${id.modelFp}\n${id.tokenizerFp}\n${id.settings}\n`);
  h.update(Buffer.from(Int32Array.from(docTokens).buffer));
  return path.join(dir, h.digest("hex").slice(0, 32) + STORE_EXT);
}

export function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * The static set a session runs with when it is not the one asked for: a document's store
 * built its indexes with its own sinks and window, which a session of the same mode adopts
 * rather than reading the document again (engine: Session::adopt_store_index_settings).
 * undefined when the session runs with what was asked (or either side is unknown).
 */
export function adoptedStaticSet(
  ran: { sinks?: number; window?: number } | undefined,
  asked: { sinks?: number; window?: number },
): { sinks: number; window: number } | undefined {
  if (ran?.sinks === undefined || ran.window === undefined || asked.sinks === undefined || asked.window === undefined) return undefined;
  return ran.sinks === asked.sinks && ran.window === asked.window ? undefined : { sinks: ran.sinks, window: ran.window };
}

export interface OpenedDocument {
  file: string;
  /** Positions the store gave back (may include an earlier conversation). */
  restored: number;
  /** Document tokens prefilled now (0 when the store had them all). */
  prefilled: number;
  prefillMs: number;
  indexMs: number;
  /**
   * Set when the document was read without its store, and why: the store is held by another
   * tome process (STORE_BUSY: the desktop app, `tome serve`), or the disk or folder refused it.
   */
  storeOff?: string;
}

/**
 * Codes of a store at a document's name that can never serve this session: written by
 * another format version (an older tome), or damaged below its blocks' checksums (a page
 * SQLite cannot read). The name is a hash of the session's identity and the document, so
 * such a file is nobody else's: it is deleted and the store made again.
 */
const STORE_REMADE = new Set(["STORE_MISMATCH", "STORE_CORRUPT"]);

const isStoreError = (e: unknown): e is Error & { code: string } => isTomeError(e) && e.code.startsWith("STORE_");

/**
 * Attaches session (empty) to the store at file; one of STORE_REMADE is removed and the
 * store made again. What it restored; any other failure is thrown (an attach refused leaves
 * the session empty and unbound). Shared by openDocument and the app's engine host.
 */
export async function attachOrRemake(session: NativeSession, file: string, labels: Record<string, string>): Promise<number> {
  try {
    return await session.attachStore(file, labels);
  } catch (e) {
    if (!isStoreError(e) || !STORE_REMADE.has(e.code)) throw e;
    removeStore(file);
    return await session.attachStore(file, labels);
  }
}

/**
 * Binds session to the store at file: what it restored, or why it read without it. Every
 * store error left after attachOrRemake (busy, full, read-only, I/O, refused again) and a file
 * that cannot be deleted: read without it, as the app's engine does.
 */
async function bindStore(session: NativeSession, file: string, labels: Record<string, string>): Promise<{ restored: number; off?: string }> {
  try {
    return { restored: await attachOrRemake(session, file, labels) };
  } catch (e) {
    if (!isStoreError(e) && typeof (e as NodeJS.ErrnoException)?.errno !== "number") throw e;
    return { restored: 0, off: (e as Error).message };
  }
}

/**
 * Binds session (empty) to the document's store in dir and leaves the context at exactly
 * docTokens, indexed: what the store holds is reused, the rest prefilled (committed chunk
 * by chunk, so an interrupted prefill resumes), then the retrieval index is built.
 * opts.layerMajor (under a RAM budget): the rest in one layer-major prefillDocument() call,
 * whose index is built layer by layer; an interrupted one resumes from the last commit.
 */
export async function openDocument(
  session: NativeSession,
  dir: string,
  docTokens: number[],
  labels: Record<string, string> = {},
  onProgress?: (done: number, total: number) => void,
  opts: { layerMajor?: boolean } = {},
): Promise<OpenedDocument> {
  fs.mkdirSync(dir, { recursive: true });
  const file = storeFileFor(dir, session.storeIdentity(), docTokens);
  // a store that cannot be used: made again (another format, damaged) or left aside (another
  // tome process holds it, the disk refuses it); the document is then read without it
  const { restored, off: storeOff } = await bindStore(session, file, labels);
  const keep = commonPrefix(session.tokens(), docTokens);
  if (keep < session.nPast()) session.truncate(keep);
  // the document is final: a Gemma 3 store keeps one window of its local layers' rows, not all
  session.sealPrefix(docTokens.length);
  const t0 = performance.now();
  const chunk = 4096; // progress granularity; the engine commits every batch anyway
  if (keep < docTokens.length) onProgress?.(keep, docTokens.length); // where the read starts
  if (opts.layerMajor && keep < docTokens.length) {
    // one call: layer by layer, each layer to the store (and, under a RAM budget, out of RAM),
    // the index built per layer; the tokens are committed once all layers are stored
    // its (layer, chunk) steps reported as token-equivalents of the part, as the app's host does
    const part = docTokens.length - keep;
    await session.prefillDocument(Int32Array.from(docTokens.slice(keep)), {
      onProgress: onProgress ? (d, t) => onProgress(keep + Math.floor((d / t) * part), docTokens.length) : undefined,
    });
    onProgress?.(docTokens.length, docTokens.length);
  }
  for (let at = opts.layerMajor ? docTokens.length : keep; at < docTokens.length; at += chunk) {
    await session.prefill(Int32Array.from(docTokens.slice(at, Math.min(docTokens.length, at + chunk))));
    onProgress?.(Math.min(docTokens.length, at + chunk), docTokens.length);
  }
  const prefillMs = performance.now() - t0;
  const indexMs = await session.buildIndex();
  return { file, restored, prefilled: docTokens.length - keep, prefillMs, indexMs, ...(storeOff !== undefined ? { storeOff } : {}) };
}

export interface CacheEntry {
  file: string;
  bytes: number;
  doc?: string;
  model?: string;
  modelFp?: string;
  settings?: string;
  tokens: number;
  indexComplete: boolean;
  lastUsedMs: number;
  /** Set when the file could not be read as a store (it is still listed, so it can be removed). */
  error?: string;
  /** A tome session holds it (this process or another): not to be removed. */
  inUse?: boolean;
}

/** Bytes of a store on disk, its write-ahead log and shared-memory index included. */
export function storeBytesOnDisk(file: string): number {
  let total = 0;
  for (const s of SIDE_FILES) total += fs.statSync(file + s, { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

/**
 * Deletes a store file and SQLite's files beside it (any name; removeCache checks it is a
 * cache) unless a tome session holds it, decided under the store's own lock (a listing's
 * "not in use" may be stale by the time it deletes: a session opening the store in between
 * wrote its book into a deleted file). False when a session holds it.
 */
export function removeStore(file: string): boolean {
  return loadAddon().removeStoreIfUnused(file) !== "in_use";
}

/** A file's modification time, or now when it went since it was listed. */
const mtimeMs = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();

/** The stores in dir; those in `held` (this process's own, open) are listed without being read (a store is locked while open). */
export function listCaches(dir: string, held: readonly string[] = []): CacheEntry[] {
  if (!fs.existsSync(dir)) return [];
  const addon = loadAddon();
  const out: CacheEntry[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith(STORE_EXT)) continue;
    const file = path.join(dir, name);
    const bytes = storeBytesOnDisk(file);
    if (held.includes(file)) {
      out.push({ file, bytes, tokens: 0, indexComplete: false, lastUsedMs: Date.now(), inUse: true });
      continue;
    }
    try {
      const m = addon.inspectStore(file);
      out.push({
        file,
        bytes,
        doc: m["label.doc"],
        model: m["label.model"],
        modelFp: m.model_fp,
        settings: m.settings,
        tokens: Number(m.n_tokens ?? 0),
        indexComplete: m.index_complete === "1",
        lastUsedMs: Number(m.last_used_ms ?? mtimeMs(file)),
      });
    } catch (e) {
      if (!fs.existsSync(file)) continue; // removed since the folder was read (another tome's gc)
      const inUse = isTomeError(e) && e.code === "STORE_BUSY";
      out.push({ file, bytes, tokens: 0, indexComplete: false, lastUsedMs: mtimeMs(file), error: String((e as Error).message), ...(inUse ? { inUse } : {}) });
    }
  }
  return out;
}

/** Deletes a store and its side files unless a session holds it (false then). */
export function removeCache(file: string): boolean {
  if (!file.endsWith(STORE_EXT)) throw new Error(`not a tome KV store: ${file}`);
  return removeStore(file);
}

/**
 * Removes least-recently-used stores until the folder holds at most maxBytes; returns what
 * went. Stores in use (`keep`, this process's own; any other session holds) are counted but
 * never removed.
 */
export function gcCaches(dir: string, maxBytes: number, keep: readonly string[] = []): CacheEntry[] {
  const entries = listCaches(dir, keep).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  let total = entries.reduce((s, e) => s + e.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of entries) {
    if (total <= maxBytes) break;
    if (e.inUse || !removeCache(e.file)) continue;
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}

/** "10G", "512M", "2000000", "1.5GiB" -> bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: '${text}' (e.g. 10G, 512M, 2000000)`);
  const scale = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * scale);
}
