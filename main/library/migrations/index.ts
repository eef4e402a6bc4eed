// The ordered list of schema migrations. One file each; a migration's version is
// its position (1-based) and is recorded in PRAGMA user_version. Never edit a
// shipped migration: add the next file.
import * as m001 from "./001-initial";
import * as m002 from "./002-token-stats";
import * as m003 from "./003-kv-saved";
import * as m004 from "./004-kv-saved-tokens";
import * as m005 from "./005-kv-partial";
import * as m006 from "./006-html-format";
import * as m007 from "./007-document-text";
import * as m008 from "./008-message-passage";
import type { DB } from "../db";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Applied with foreign keys off: it rebuilds a table that others reference (see db.ts's migrate). */
  foreignKeysOff: boolean;
  /** What SQL cannot do, run after `sql` in the same transaction. */
  run?: (db: DB) => void;
}

interface MigrationFile {
  name: string;
  sql: string;
  foreignKeysOff?: boolean;
  run?: Migration["run"];
}

const files: MigrationFile[] = [m001, m002, m003, m004, m005, m006, m007, m008];
export const migrations: Migration[] = files.map((m, i) => ({
  version: i + 1,
  name: m.name,
  sql: m.sql,
  foreignKeysOff: m.foreignKeysOff ?? false,
  run: m.run,
}));
