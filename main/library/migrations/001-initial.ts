// 001: documents (plain text + structure), conversations, messages, settings.
// Text offsets everywhere are UTF-16 code units into documents.text.
export const name = "initial";
export const sql = `
CREATE TABLE documents (
  id                  INTEGER PRIMARY KEY,
  title               TEXT    NOT NULL,
  author              TEXT,
  source_name         TEXT    NOT NULL,
  format              TEXT    NOT NULL CHECK (format IN ('txt','md','epub','pdf')),
  size_bytes          INTEGER NOT NULL,
  sha256              TEXT    NOT NULL,
  text                TEXT    NOT NULL,
  chapters            TEXT    NOT NULL,            -- JSON [{title, start}]
  boilerplate_skipped INTEGER NOT NULL DEFAULT 0,
  tokens              INTEGER,                     -- whole book in the last model's tokens
  tokens_used         INTEGER,                     -- how many fit the context
  chars_used          INTEGER,
  model_path          TEXT,                        -- model the counts above belong to
  state               TEXT    NOT NULL DEFAULT 'new' CHECK (state IN ('new','reading','ready','error')),
  error               TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX documents_sha ON documents (sha256);

CREATE TABLE conversations (
  id            INTEGER PRIMARY KEY,
  document_id   INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  title         TEXT    NOT NULL,
  system_prompt TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX conversations_doc ON conversations (document_id, updated_at);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role            TEXT    NOT NULL CHECK (role IN ('user','assistant')),
  content         TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('done','streaming','stopped','error','interrupted')),
  stats           TEXT,                            -- JSON AnswerStats
  highlights      TEXT,                            -- JSON [Highlight]
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX messages_conv ON messages (conversation_id, id);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL                              -- JSON
);
`;
