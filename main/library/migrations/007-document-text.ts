// 007: a book's text moves from documents.text to document_text, in pieces of at
// most 65,536 UTF-16 code units keyed by their offset (../text-pieces.ts), and its
// length is counted in units (documents.text_units). Before, the length was SQLite's
// length(text), in code points, not the units chapters and the reader count; and
// listing the books read every one of them whole (length() walks the value, and so
// does reading any column stored after it: 0.3 s for a 60M-character book, on each
// list and each update). The pieces are cut in JavaScript (run), which SQLite cannot
// do in units; the old column is then dropped.
import type { DB } from "../db";
import { textPieces } from "../text-pieces";

export const name = "document-text";
export const sql = `
CREATE TABLE document_text (
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  start       INTEGER NOT NULL,
  text        TEXT    NOT NULL,
  PRIMARY KEY (document_id, start)
);
ALTER TABLE documents ADD COLUMN text_units INTEGER NOT NULL DEFAULT 0;
`;

export function run(db: DB): void {
  const ids = db.prepare("SELECT id FROM documents").pluck().all() as number[];
  const read = db.prepare("SELECT text FROM documents WHERE id = ?").pluck();
  const units = db.prepare("UPDATE documents SET text_units = ? WHERE id = ?");
  const piece = db.prepare("INSERT INTO document_text (document_id, start, text) VALUES (?, ?, ?)");
  for (const id of ids) {
    const text = read.get(id) as string; // one book at a time in memory
    units.run(text.length, id);
    for (const p of textPieces(text)) piece.run(id, p.start, p.text);
  }
  db.exec("ALTER TABLE documents DROP COLUMN text");
}
