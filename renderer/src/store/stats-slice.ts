// Live numbers: memory (pushed every second), and per-token stats of the answer
// being streamed (for the tokens/s readout and the latency chart).
import type { MemoryStats, TokenStats } from "../../../main/ipc/contract";
import type { Slice } from "./types";

export interface StatsSlice {
  memory: MemoryStats | null;
  answerId: number | null;
  tokenStats: TokenStats[];
  setMemory(m: MemoryStats): void;
  startAnswer(messageId: number): void;
  addTokenStats(t: TokenStats): void;
}

export const statsSlice: Slice<StatsSlice> = (set) => ({
  memory: null,
  answerId: null,
  tokenStats: [],
  setMemory: (memory) => set({ memory }),
  startAnswer: (answerId) => set({ answerId, tokenStats: [] }),
  addTokenStats: (t) =>
    set((s) => (t.messageId === s.answerId ? { tokenStats: [...s.tokenStats, t] } : { answerId: t.messageId, tokenStats: [t] })),
});
