// 007: a book's text moves from documents.text to document_text, in pieces of at
// most 65,536 UTF-16 code units keyed by their offset (../text-pieces.ts), and its
// length is counted in units (documents.text_units).
// - Before, the length was SQLite's length(text), in code points, not the units
//   chapters and the reader count; and listing the books read every one of them
//   whole (length() walks the value, and so does reading any column stored after
//   it: 0.3 s for a 60M-character book, on each list and each update).
// - documents loses its CHECK on format: each new format (html in 006, docx here)
//   needed the table rebuilt; the formats are the app's (DocFormat), which alone
//   writes them.
// documents is rebuilt as in 006 (foreign keys off; the conversations' and
// document_text's REFERENCES documents name the renamed table after it). The
// pieces are cut in JavaScript (run), which SQLite cannot do in UTF-16 units.
import type { DB } from "../db";
import { textPieces } from "../text-pieces";

export const name = "document-text";
export const foreignKeysOff = true;
export const sql = `
CREATE TABLE documents_new (
  id                  INTEGER PRIMARY KEY,
  title               TEXT    NOT NULL,
  author              TEXT,
  source_name         TEXT    NOT NULL,
  format              TEXT    NOT NULL,
  size_bytes          INTEGER NOT NULL,
  sha256              TEXT    NOT NULL,
  text_units          INTEGER NOT NULL DEFAULT 0,
  chapters            TEXT    NOT NULL,
  boilerplate_skipped INTEGER NOT NULL DEFAULT 0,
  tokens              INTEGER,
  tokens_used         INTEGER,
  chars_used          INTEGER,
  model_path          TEXT,
  state               TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new','reading','ready','error')),
  error               TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  kv_file             TEXT,
  kv_model            TEXT,
  kv_used             INTEGER,
  kv_partial          TEXT
);
INSERT INTO documents_new
  SELECT id, title, author, source_name, format, size_bytes, sha256, 0, chapters, boilerplate_skipped,
         tokens, tokens_used, chars_used, model_path, state, error, created_at, updated_at,
         kv_file, kv_model, kv_used, kv_partial
  FROM documents;
CREATE TABLE document_text (
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  start       INTEGER NOT NULL,
  text        TEXT    NOT NULL,
  PRIMARY KEY (document_id, start)
);
`;

export function run(db: DB): void {
  const ids = db.prepare("SELECT id FROM documents").pluck().all() as number[];
  const read = db.prepare("SELECT text FROM documents WHERE id = ?").pluck();
  const units = db.prepare("UPDATE documents_new SET text_units = ? WHERE id = ?");
  const piece = db.prepare("INSERT INTO document_text (document_id, start, text) VALUES (?, ?, ?)");
  for (const id of ids) {
    const text = read.get(id) as string; // one book at a time in memory
    units.run(text.length, id);
    for (const p of textPieces(text)) piece.run(id, p.start, p.text);
  }
  db.exec(`
    DROP TABLE documents;
    ALTER TABLE documents_new RENAME TO documents;
    CREATE INDEX documents_sha ON documents (sha256);
  `);
}
