// Live numbers: memory (pushed every second), and per-token stats of the answer
// being streamed (for the tokens/s readout and the latency chart). Another book
// selected puts the answer's numbers away: they are not this book's.
import type { MemoryStats, TokenStats } from "../../../main/ipc/contract";
import type { Slice } from "./types";

export interface StatsSlice {
  memory: MemoryStats | null;
  answerId: number | null;
  tokenStats: TokenStats[];
  /** The answer put away last: the tokens it still streams are not shown. */
  hiddenAnswerId: number | null;
  setMemory(m: MemoryStats): void;
  startAnswer(messageId: number): void;
  addTokenStats(t: TokenStats): void;
  clearAnswer(): void;
}

export const statsSlice: Slice<StatsSlice> = (set) => ({
  memory: null,
  answerId: null,
  tokenStats: [],
  hiddenAnswerId: null,
  setMemory: (memory) => set({ memory }),
  startAnswer: (answerId) => set({ answerId, tokenStats: [] }),
  addTokenStats: (t) =>
    set((s) =>
      t.messageId === s.hiddenAnswerId ? {} : t.messageId === s.answerId ? { tokenStats: [...s.tokenStats, t] } : { answerId: t.messageId, tokenStats: [t] },
    ),
  clearAnswer: () => set((s) => ({ answerId: null, tokenStats: [], hiddenAnswerId: s.answerId ?? s.hiddenAnswerId })),
});
