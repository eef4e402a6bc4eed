// Live numbers: memory (pushed every second, and when a job ends), and per-token
// stats of the answer being streamed (for the tokens/s readout and the latency
// chart). An answer's numbers are its book's: they are shown while that book is
// selected, and kept (still growing) while another one is.
import type { MemoryStats, TokenStats } from "../../../main/ipc/contract";
import type { Slice, Store } from "./types";

export interface StatsSlice {
  memory: MemoryStats | null;
  answerId: number | null;
  /** The book of that answer. */
  answerDocId: number | null;
  tokenStats: TokenStats[];
  setMemory(m: MemoryStats): void;
  /** A new answer of the selected book (its tokens follow). */
  startAnswer(messageId: number): void;
  addTokenStats(t: TokenStats): void;
}

const NONE: TokenStats[] = [];

/** The per-token stats the panels show: the last answer's, if it is about the selected book. */
export function shownTokenStats(s: Store): TokenStats[] {
  return s.answerDocId !== null && s.answerDocId === s.selectedDocId ? s.tokenStats : NONE;
}

export const statsSlice: Slice<StatsSlice> = (set, get) => ({
  memory: null,
  answerId: null,
  answerDocId: null,
  tokenStats: [],
  setMemory: (memory) => set({ memory }),
  startAnswer: (answerId) => set({ answerId, answerDocId: get().selectedDocId, tokenStats: [] }),
  addTokenStats: (t) =>
    set((s) => (t.messageId === s.answerId ? { tokenStats: [...s.tokenStats, t], answerDocId: t.documentId } : { answerId: t.messageId, answerDocId: t.documentId, tokenStats: [t] })),
});
