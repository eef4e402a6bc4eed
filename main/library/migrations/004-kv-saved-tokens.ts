// 004: how many of the book's tokens its saved KV store holds (the read's cut to
// the context, which depended on the answer budget when it was made), so that
// opening the book restores that read instead of reading it again under other
// settings. Null for stores recorded before this column: those open as before.
export const name = "kv-saved-tokens";
export const sql = `
ALTER TABLE documents ADD COLUMN kv_used INTEGER;
`;
