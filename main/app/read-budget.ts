// How much of a book the context holds: what stays free after it (the system
// prompt, the conversation, the answer). Shared by the reader (main/app/read.ts)
// and the app's note on how much of a book a model reads (DocStatus).

/** Room kept free after the book for the system prompt, the conversation and the answer. */
export function reserveTokens(nCtx: number, maxTokens: number): number {
  return Math.min(Math.floor(nCtx / 2), maxTokens + 256);
}

/** Kept free past the reserve (the prompt template around the book). */
export const READ_MARGIN = 32;

/** How many of a book's tokens the context holds (0 when the reserve takes it all). */
export function bookTokensThatFit(nCtx: number, maxTokens: number, bookTokens: number): number {
  return Math.max(0, Math.min(bookTokens, nCtx - reserveTokens(nCtx, maxTokens) - READ_MARGIN));
}

/**
 * Whether a saved read of `savedTokens` of the book still leaves the context the least room
 * any read keeps (the reserve of a zero answer budget): then opening the book restores it, whatever
 * Max answer tokens says today (an answer that outgrows the room stops at the context's end).
 */
export function savedReadFits(nCtx: number, savedTokens: number, bookTokens: number): boolean {
  return savedTokens > 0 && savedTokens <= bookTokensThatFit(nCtx, 0, bookTokens);
}
