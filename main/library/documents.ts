// Documents in the app database: the plain text of a book with its structure,
// its cache state for the loaded model, and where its KV store was last saved.
import * as fs from "node:fs";
import type { Chapter, DocFormat, DocState, DocumentInfo } from "../ipc/contract";
import type { DB } from "./db";
import { PIECE_UNITS, textPieces } from "./text-pieces";

export interface NewDocument {
  title: string;
  author: string | null;
  sourceName: string;
  format: DocFormat;
  sizeBytes: number;
  sha256: string;
  text: string;
  chapters: Chapter[];
  boilerplateSkipped: boolean;
}

interface Row {
  id: number;
  title: string;
  author: string | null;
  source_name: string;
  format: DocFormat;
  size_bytes: number;
  chars: number;
  chapters: string;
  boilerplate_skipped: number;
  tokens: number | null;
  tokens_used: number | null;
  chars_used: number | null;
  state: DocState;
  error: string | null;
  created_at: number;
  kv_file: string | null;
  kv_model: string | null;
  kv_used: number | null;
}

const COLUMNS = `id, title, author, source_name, format, size_bytes, text_units AS chars, chapters,
  boilerplate_skipped, tokens, tokens_used, chars_used, state, error, created_at, kv_file, kv_model, kv_used`;

function toInfo(r: Row): DocumentInfo {
  return {
    id: r.id,
    title: r.title,
    author: r.author,
    sourceName: r.source_name,
    format: r.format,
    sizeBytes: r.size_bytes,
    chars: r.chars,
    chapters: JSON.parse(r.chapters) as Chapter[],
    boilerplateSkipped: r.boilerplate_skipped !== 0,
    tokens: r.tokens,
    tokensUsed: r.tokens_used,
    charsUsed: r.chars_used,
    state: r.state,
    error: r.error,
    createdAt: r.created_at,
    ...saved(r),
  };
}

/** The saved read, when its store is still on disk (tome cache rm / gc, a damaged one set aside: gone). */
function saved(r: Row): Pick<DocumentInfo, "savedFor" | "savedTokens"> {
  const there = r.kv_file !== null && r.kv_model !== null && fs.existsSync(r.kv_file);
  return { savedFor: there ? r.kv_model : null, savedTokens: there ? r.kv_used : null };
}

export class Documents {
  constructor(private db: DB) {}

  add(d: NewDocument): DocumentInfo {
    const now = Date.now();
    const insert = this.db.transaction(() => {
      const r = this.db
        .prepare(
          `INSERT INTO documents (title, author, source_name, format, size_bytes, sha256, text_units, chapters,
             boilerplate_skipped, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(d.title, d.author, d.sourceName, d.format, d.sizeBytes, d.sha256, d.text.length, JSON.stringify(d.chapters),
          d.boilerplateSkipped ? 1 : 0, now, now);
      const id = Number(r.lastInsertRowid);
      const piece = this.db.prepare(`INSERT INTO document_text (document_id, start, text) VALUES (?, ?, ?)`);
      for (const p of textPieces(d.text)) piece.run(id, p.start, p.text);
      return id;
    });
    return this.get(insert())!;
  }

  get(id: number): DocumentInfo | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM documents WHERE id = ?`).get(id) as Row | undefined;
    return r && toInfo(r);
  }

  findBySha(sha256: string): DocumentInfo | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM documents WHERE sha256 = ?`).get(sha256) as Row | undefined;
    return r && toInfo(r);
  }

  list(): DocumentInfo[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM documents ORDER BY created_at DESC, id DESC`).all() as Row[]).map(toInfo);
  }

  /** The document's text, or its slice [start, end) in UTF-16 units, clamped to the text. */
  text(id: number, start = 0, end?: number): string | undefined {
    const units = this.db.prepare(`SELECT text_units FROM documents WHERE id = ?`).pluck().get(id) as number | undefined;
    if (units === undefined) return undefined;
    const s = Math.min(Math.max(0, start), units);
    const e = Math.min(Math.max(s, end ?? units), units);
    if (s === e) return "";
    // the pieces that overlap [s, e): a piece is at most PIECE_UNITS long, so none starting at or
    // before s - PIECE_UNITS reaches past s
    const pieces = this.db
      .prepare(`SELECT start, text FROM document_text WHERE document_id = ? AND start > ? AND start < ? ORDER BY start`)
      .all(id, s - PIECE_UNITS, e) as { start: number; text: string }[];
    if (pieces.length === 0) return "";
    const from = pieces[0].start;
    const joined = pieces.length === 1 ? pieces[0].text : pieces.map((p) => p.text).join("");
    return s === from && joined.length === e - s ? joined : joined.slice(s - from, e - from);
  }

  setState(id: number, state: DocState, error: string | null = null): DocumentInfo | undefined {
    this.db.prepare(`UPDATE documents SET state = ?, error = ?, updated_at = ? WHERE id = ?`).run(state, error, Date.now(), id);
    return this.get(id);
  }

  setTokens(id: number, t: { tokens: number; tokensUsed: number; charsUsed: number; modelPath: string }): void {
    this.db
      .prepare(`UPDATE documents SET tokens = ?, tokens_used = ?, chars_used = ?, model_path = ?, updated_at = ? WHERE id = ?`)
      .run(t.tokens, t.tokensUsed, t.charsUsed, t.modelPath, Date.now(), id);
  }

  /** The document's KV store is `file`, made with the model at `modelPath`, holding the book's first `tokensUsed` tokens. */
  setSaved(id: number, file: string, modelPath: string, tokensUsed: number): void {
    this.db.prepare(`UPDATE documents SET kv_file = ?, kv_model = ?, kv_used = ? WHERE id = ?`).run(file, modelPath, tokensUsed, id);
  }

  /** The KV store `from` is at `to` now (moved to the platform's cache folder). */
  moveSavedFile(from: string, to: string): void {
    this.db.prepare(`UPDATE documents SET kv_file = ? WHERE kv_file = ?`).run(to, from);
    this.db.prepare(`UPDATE documents SET kv_partial = ? WHERE kv_partial = ?`).run(to, from);
  }

  /**
   * How many documents record `file` as their KV store or as one a read of theirs left part
   * written (two books can share one: the same opening, cut to the context).
   */
  storeUsers(file: string): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM documents WHERE kv_file = ? OR kv_partial = ?`).get(file, file) as { n: number }).n;
  }

  /** The store a read of the book left part written (null: none), which the next read resumes. */
  setPartial(id: number, file: string | null): void {
    this.db.prepare(`UPDATE documents SET kv_partial = ? WHERE id = ?`).run(file, id);
  }

  partialFile(id: number): string | null {
    const r = this.db.prepare(`SELECT kv_partial FROM documents WHERE id = ?`).get(id) as { kv_partial: string | null } | undefined;
    return r?.kv_partial ?? null;
  }

  /** The document's KV store file as last recorded (whether or not it still exists). */
  savedFile(id: number): string | null {
    const r = this.db.prepare(`SELECT kv_file FROM documents WHERE id = ?`).get(id) as { kv_file: string | null } | undefined;
    return r?.kv_file ?? null;
  }

  /** After a restart or a model change no KV is in the engine: ready/reading -> new. */
  resetCacheStates(): void {
    this.db.prepare(`UPDATE documents SET state = 'new', error = NULL WHERE state IN ('ready', 'reading')`).run();
  }

  remove(id: number): boolean {
    return this.db.prepare(`DELETE FROM documents WHERE id = ?`).run(id).changes > 0;
  }
}
