// An answer's text as it streams: each chat.delta says where its text starts in the answer,
// so pieces that arrive twice, late, or while a conversation loads join into one prefix of
// the final text, and a piece that leaves a hole is told apart (the text in between is then
// fetched again, never guessed).
import type { MessageInfo } from "../../../main/ipc/contract";

/** A stretch of an answer's final text: [start, start + text.length). */
export interface Piece {
  start: number;
  text: string;
}

/** The deltas seen of the answer being written (from the first one this page received). */
export interface StreamedText extends Piece {
  messageId: number;
}

/** Two pieces of the same text as one when they touch or overlap; null when there is a gap between them. */
export function join(a: Piece, b: Piece): Piece | null {
  const [first, second] = a.start <= b.start ? [a, b] : [b, a];
  const firstEnd = first.start + first.text.length;
  if (second.start > firstEnd) return null;
  const secondEnd = second.start + second.text.length;
  return secondEnd <= firstEnd ? first : { start: first.start, text: first.text + second.text.slice(firstEnd - second.start) };
}

/** The streamed text with one more delta; after a gap it starts again from that delta (the message keeps the rest). */
export function withDelta(s: StreamedText | null, messageId: number, offset: number, text: string): StreamedText {
  const delta = { start: offset, text };
  const joined = s?.messageId === messageId ? join(s, delta) : null;
  return { messageId, ...(joined ?? delta) };
}

/**
 * The longest text known of a streaming message: its own (from the server), the copy shown
 * (both are prefixes of the final text, so the longer one holds the other), and the deltas.
 * `gap`: the deltas start past that text, so some text in between is missing.
 */
export function knownText(m: MessageInfo, shown: string | undefined, streamed: StreamedText | null): { text: string; gap: boolean } {
  const own = shown !== undefined && shown.length > m.content.length ? shown : m.content;
  if (streamed?.messageId !== m.id) return { text: own, gap: false };
  const joined = join({ start: 0, text: own }, streamed);
  return joined ? { text: joined.text, gap: false } : { text: own, gap: true };
}
