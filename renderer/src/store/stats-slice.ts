// Live numbers: memory (pushed every second, and when a job ends), and per-token
// stats of the answer being streamed (for the tokens/s readout and the latency
// chart). An answer's numbers are its book's: they are shown while that book is
// selected, and kept (still growing) while another one is.
import type { MemoryStats, TokenStats } from "../../../main/ipc/contract";
import type { Slice, Store } from "./types";
import { api } from "./api";

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
  /**
   * A page loaded mid-answer: that answer's stats so far (stats.tokens), joined with those its
   * events brought meanwhile, so the chart and the count start at its first token.
   */
  loadAnswerStats(): Promise<void>;
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
  loadAnswerStats: async () => {
    let earlier: TokenStats[];
    try {
      earlier = await api()["stats.tokens"]({});
    } catch {
      return; // the figures stay those of the events (the answer's later tokens)
    }
    if (!earlier.length) return;
    const id = earlier[0].messageId;
    set((s) => {
      if (s.answerId !== null && s.answerId !== id) return {}; // another answer since
      const seen = new Set(s.tokenStats.map((t) => t.index));
      const joined = [...earlier.filter((t) => !seen.has(t.index)), ...s.tokenStats].sort((a, b) => a.index - b.index);
      return { answerId: id, answerDocId: earlier[0].documentId, tokenStats: joined };
    });
  },
});
