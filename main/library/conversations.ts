// Conversations and their messages. A question is stored before its answer
// starts; the answer row is created at once with status 'streaming' and its text
// is saved as it grows (throttled by the caller), so a crash loses at most the
// last fraction of a second. On open, answers left 'streaming' become 'interrupted'.
import type { AnswerStats, ConversationInfo, Highlight, MessageInfo, MessageStatus, QuotedPassage, Role, TokenStats } from "../ipc/contract";
import type { DB } from "./db";

interface ConvRow {
  id: number;
  document_id: number;
  title: string;
  system_prompt: string;
  created_at: number;
  updated_at: number;
}
interface MsgRow {
  id: number;
  conversation_id: number;
  role: Role;
  content: string;
  status: MessageStatus;
  stats: string | null;
  highlights: string | null;
  passage: string | null;
  created_at: number;
}

const conv = (r: ConvRow): ConversationInfo => ({
  id: r.id,
  documentId: r.document_id,
  title: r.title,
  systemPrompt: r.system_prompt,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const msg = (r: MsgRow): MessageInfo => ({
  id: r.id,
  conversationId: r.conversation_id,
  role: r.role,
  content: r.content,
  status: r.status,
  createdAt: r.created_at,
  stats: r.stats ? (JSON.parse(r.stats) as AnswerStats) : null,
  highlights: r.highlights ? (JSON.parse(r.highlights) as Highlight[]) : [],
  passage: r.passage ? (JSON.parse(r.passage) as QuotedPassage) : null,
});

export class Conversations {
  constructor(private db: DB) {}

  /** Answers that were streaming when the process ended. */
  markInterrupted(): number {
    return this.db.prepare(`UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'`).run().changes;
  }

  create(documentId: number, title: string, systemPrompt: string): ConversationInfo {
    const now = Date.now();
    const r = this.db
      .prepare(`INSERT INTO conversations (document_id, title, system_prompt, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`)
      .run(documentId, title, systemPrompt, now, now);
    return this.get(Number(r.lastInsertRowid))!;
  }

  get(id: number): ConversationInfo | undefined {
    const r = this.db.prepare(`SELECT * FROM conversations WHERE id = ?`).get(id) as ConvRow | undefined;
    return r && conv(r);
  }

  list(documentId: number): ConversationInfo[] {
    return (this.db.prepare(`SELECT * FROM conversations WHERE document_id = ? ORDER BY updated_at DESC, id DESC`).all(documentId) as ConvRow[]).map(conv);
  }

  update(id: number, fields: { title?: string; systemPrompt?: string }): ConversationInfo | undefined {
    const c = this.get(id);
    if (!c) return undefined;
    this.db
      .prepare(`UPDATE conversations SET title = ?, system_prompt = ?, updated_at = ? WHERE id = ?`)
      .run(fields.title ?? c.title, fields.systemPrompt ?? c.systemPrompt, Date.now(), id);
    return this.get(id);
  }

  remove(id: number): boolean {
    return this.db.prepare(`DELETE FROM conversations WHERE id = ?`).run(id).changes > 0;
  }

  messages(conversationId: number): MessageInfo[] {
    return (this.db.prepare(`SELECT * FROM messages WHERE conversation_id = ? ORDER BY id`).all(conversationId) as MsgRow[]).map(msg);
  }

  message(id: number): MessageInfo | undefined {
    const r = this.db.prepare(`SELECT * FROM messages WHERE id = ?`).get(id) as MsgRow | undefined;
    return r && msg(r);
  }

  /** `replacing`: messages deleted in the same transaction (an edited question and its answer). */
  addMessage(conversationId: number, role: Role, content: string, status: MessageStatus, passage: QuotedPassage | null = null, replacing: number[] = []): MessageInfo {
    const now = Date.now();
    const r = this.db.transaction(() => {
      for (const id of replacing) this.db.prepare(`DELETE FROM messages WHERE id = ? AND conversation_id = ?`).run(id, conversationId);
      const ins = this.db
        .prepare(`INSERT INTO messages (conversation_id, role, content, status, passage, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(conversationId, role, content, status, passage && JSON.stringify(passage), now, now);
      this.db.prepare(`UPDATE conversations SET updated_at = ? WHERE id = ?`).run(now, conversationId);
      return ins;
    })();
    return this.message(Number(r.lastInsertRowid))!;
  }

  /** Saves a growing answer's text (called throttled while streaming). */
  saveContent(id: number, content: string): void {
    this.db.prepare(`UPDATE messages SET content = ?, updated_at = ? WHERE id = ?`).run(content, Date.now(), id);
  }

  finish(id: number, f: { content: string; status: MessageStatus; stats: AnswerStats | null; highlights: Highlight[] }): MessageInfo {
    this.db
      .prepare(`UPDATE messages SET content = ?, status = ?, stats = ?, highlights = ?, updated_at = ? WHERE id = ?`)
      .run(f.content, f.status, f.stats ? JSON.stringify(f.stats) : null, JSON.stringify(f.highlights), Date.now(), id);
    return this.message(id)!;
  }

  removeMessage(id: number): void {
    this.db.prepare(`DELETE FROM messages WHERE id = ?`).run(id);
  }

  saveTokenStats(messageId: number, stats: TokenStats[]): void {
    const ins = this.db.prepare(`INSERT OR REPLACE INTO token_stats (message_id, idx, stats) VALUES (?, ?, ?)`);
    this.db.transaction(() => {
      for (const s of stats) ins.run(messageId, s.index, JSON.stringify(s));
    })();
  }

  tokenStats(messageId: number): TokenStats[] {
    return (this.db.prepare(`SELECT stats FROM token_stats WHERE message_id = ? ORDER BY idx`).all(messageId) as { stats: string }[]).map(
      (r) => JSON.parse(r.stats) as TokenStats,
    );
  }
}
