// The app database: one SQLite file (better-sqlite3) in the data folder, in WAL
// mode with synchronous=NORMAL (a committed transaction survives a process
// crash; FULL would also survive power loss at some cost), foreign keys on.
// Schema changes are the migrations in ./migrations, applied in order inside one
// transaction each.
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { migrations } from "./migrations";

export type DB = Database.Database;

/** $TOME_SQLITE_BINDING: a better_sqlite3.node built for another runtime (Electron's ABI). */
export function openDatabase(file: string, nativeBinding = process.env.TOME_SQLITE_BINDING): DB {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

export function schemaVersion(db: DB): number {
  return db.pragma("user_version", { simple: true }) as number;
}

export function migrate(db: DB): void {
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new Error(`the app database is newer (schema ${current}) than this version of tome understands (${latest})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
