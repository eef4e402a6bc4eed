// 003: where a document's KV store was last written (the file and the model it
// belongs to), so that after a restart, a model reload or reading another book
// the library can say the book opens from disk without being read again.
export const name = "kv-saved";
export const sql = `
ALTER TABLE documents ADD COLUMN kv_file  TEXT;
ALTER TABLE documents ADD COLUMN kv_model TEXT;
`;
