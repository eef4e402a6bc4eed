// 007: a book's text moves to its own table, and its length is counted in UTF-16
// code units (../text-units.ts).
//   documents.text_units         the length in units, what JavaScript's length, the
//                                chapters' starts and the reader's offsets count;
//                                SQLite's length(text) counted code points
//   document_texts               one row per book: the unit offsets of its astral
//                                characters (NULL: none), then the text, last
// Before, a documents row held the text, and listing the books read every one of
// them: length(text) walks the whole value, and so does reading any column stored
// after it (0.3 s for a 60M-character book, on every list and every update). The
// rows stored before get their two new values from the SQL functions registered
// for this migration.
import { textUnitFunctions } from "../text-units";

export const name = "document-texts";
export const functions = textUnitFunctions;
export const sql = `
CREATE TABLE document_texts (
  document_id    INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  astral_offsets BLOB,
  text           TEXT NOT NULL
);
INSERT INTO document_texts (document_id, astral_offsets, text)
  SELECT id, tome_astral_offsets(text), text FROM documents;
ALTER TABLE documents ADD COLUMN text_units INTEGER NOT NULL DEFAULT 0;
UPDATE documents SET text_units = tome_utf16_units(text);
ALTER TABLE documents DROP COLUMN text;
`;
