// The app database: one SQLite file (better-sqlite3) in the data folder, in WAL
// mode with synchronous=NORMAL (a committed transaction survives a process
// crash; FULL would also survive power loss at some cost), foreign keys on.
// Schema changes are the migrations in ./migrations, applied in order inside one
// transaction each.
import * as fs from "node:fs";
import * as path from "node:path";
import { devOverride } from "../engine/packaged";
import Database from "better-sqlite3";
import { migrations, type Migration } from "./migrations";

export type DB = Database.Database;

/**
 * The app database could not be opened. `code` is SQLite's (SQLITE_NOTADB, SQLITE_CORRUPT,
 * SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_FULL, ...) or SCHEMA_TOO_NEW; the message names
 * the file and what to do, for the start-up error dialog. The file itself is left as it was.
 */
export class LibraryOpenError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "LibraryOpenError";
  }
}

/** $TOME_SQLITE_BINDING: a better_sqlite3.node built for another runtime (Electron's ABI); not in a packaged app. */
export function openDatabase(file: string, nativeBinding = devOverride("TOME_SQLITE_BINDING")): DB {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: DB | undefined;
  try {
    db = new Database(file, nativeBinding ? { nativeBinding } : {});
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
    return db;
  } catch (e) {
    if (db?.open) db.close();
    throw openError(file, e);
  }
}

/** SQLite's terse message ("file is not a database") made one a person can act on. */
function openError(file: string, e: unknown): Error {
  const err = e as { code?: string; message?: string };
  if (e instanceof LibraryOpenError || typeof err.code !== "string") return e as Error;
  const code = err.code;
  const what = `tome's library database ${file}`;
  const is = (c: string) => code === c || code.startsWith(`${c}_`); // and its extended codes
  let advice: string;
  if (is("SQLITE_NOTADB") || is("SQLITE_CORRUPT"))
    advice = `is damaged (${err.message}). Move it out of the folder (with any ${path.basename(file)}-wal and -shm beside it) to start with an empty library; the damaged file can still be recovered with the sqlite3 tool's .recover.`;
  else if (is("SQLITE_FULL")) advice = `cannot be written: the disk is full (${err.message}). Free some space and start tome again.`;
  else if (is("SQLITE_BUSY") || is("SQLITE_LOCKED")) advice = `is locked by another program (${err.message}). Close it and start tome again.`;
  else advice = `cannot be opened (${err.message}): check that its folder exists and that you may read and write it.`;
  return new LibraryOpenError(code, `${what} ${advice}`, file);
}

export function schemaVersion(db: DB): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Applies the migrations `db` lacks (`list`: the app's; a test's own list to test this function). */
export function migrate(db: DB, list: Migration[] = migrations): void {
  const latest = list.length;
  const tooNew = (current: number) =>
    new LibraryOpenError(
      "SCHEMA_TOO_NEW",
      `tome's library database ${db.name} is newer (schema ${current}) than this version of tome understands (${latest}): it was written by a later tome. Start that version, or move the file out of the folder to start with an empty library.`,
      db.name,
    );
  const current = schemaVersion(db);
  if (current > latest) throw tooNew(current);
  for (const m of list) {
    if (m.version <= current) continue;
    // A table rebuild runs with foreign keys off, set outside its transaction (inside one the
    // pragma does nothing): dropping a referenced table with them on deletes every row that
    // references it (ON DELETE CASCADE). The rebuild must then leave no reference broken that
    // was not broken before; if it did, it is rolled back.
    if (m.foreignKeysOff) db.pragma("foreign_keys = OFF");
    try {
      // The version is read again under the write lock (IMMEDIATE): two processes on one data
      // folder (the app and `tome serve`) both starting after an upgrade would otherwise both
      // apply the migration, and the second fail on it ("duplicate column name").
      db.transaction(() => {
        const now = schemaVersion(db);
        if (now > latest) throw tooNew(now);
        if (m.version <= now) return;
        const broken = m.foreignKeysOff ? brokenReferences(db) : 0;
        db.exec(m.sql);
        m.run?.(db);
        if (m.foreignKeysOff && brokenReferences(db) > broken)
          throw new LibraryOpenError("MIGRATION_FAILED", `tome could not upgrade its library database ${db.name} (migration ${m.version}, ${m.name}, broke references between its tables); the file is left as it was.`, db.name);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (m.foreignKeysOff) db.pragma("foreign_keys = ON");
    }
  }
}

/** Rows whose foreign key names no row (PRAGMA foreign_key_check), counted. */
function brokenReferences(db: DB): number {
  return (db.pragma("foreign_key_check") as unknown[]).length;
}
