// 002: per-token stats history of each answer (timings by phase, retrieval numbers),
// so the latency chart of an old answer can be shown again.
export const name = "token-stats";
export const sql = `
CREATE TABLE token_stats (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  stats      TEXT    NOT NULL,                     -- JSON TokenStats
  PRIMARY KEY (message_id, idx)
) WITHOUT ROWID;
`;
