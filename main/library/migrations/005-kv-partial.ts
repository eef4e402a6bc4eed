// 005: the KV store a read of the book left part written (cancelled or failed),
// which is not its saved read: the next read resumes it, and removing the book
// removes it, after a restart too. Null when there is none.
export const name = "kv-partial";
export const sql = `
ALTER TABLE documents ADD COLUMN kv_partial TEXT;
`;
