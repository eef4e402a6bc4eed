// 006: HTML books (format 'html'). SQLite cannot change a CHECK constraint in
// place, so documents is rebuilt: a new table with every column of 001-005 in
// their order, the rows copied with their ids, the old table dropped and the new
// one renamed (SQLite's documented procedure for a table change ALTER TABLE lacks).
// It runs with foreign keys off (foreignKeysOff): dropping the old table with them
// on would delete every conversation (ON DELETE CASCADE). The conversations'
// REFERENCES documents name the renamed table after it as they did the old one.
export const name = "html-format";
export const foreignKeysOff = true;
export const sql = `
CREATE TABLE documents_new (
  id                  INTEGER PRIMARY KEY,
  title               TEXT    NOT NULL,
  author              TEXT,
  source_name         TEXT    NOT NULL,
  format              TEXT    NOT NULL CHECK (format IN ('txt','md','epub','pdf','html')),
  size_bytes          INTEGER NOT NULL,
  sha256              TEXT    NOT NULL,
  text                TEXT    NOT NULL,
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
  SELECT id, title, author, source_name, format, size_bytes, sha256, text, chapters, boilerplate_skipped,
         tokens, tokens_used, chars_used, model_path, state, error, created_at, updated_at,
         kv_file, kv_model, kv_used, kv_partial
  FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_sha ON documents (sha256);
`;
