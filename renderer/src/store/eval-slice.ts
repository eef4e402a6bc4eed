// Evaluate: which view is shown (chat or evaluate), the subset of tome eval's
// grid chosen in the form, and the run in progress (rows as they arrive, the
// result when done). Rows stream in through eval.progress events; a run this
// page did not start (or started before a reload) is followed from engine.status,
// which carries its rows so far.
import type { EngineStatus, EvalMode, EvalProgress, EvalResult, EvalRow, EvalRunParams, TaskName } from "../../../main/ipc/contract";
import { parseDepth, parseLength, parseList } from "../../../main/eval/options";
import { api, messageOf } from "./api";
import type { Slice } from "./types";

/** The form as typed: lists as text ("1K,2K"), optional numbers as text ("" = engine default). */
export interface EvalSelection {
  tasks: TaskName[];
  lengths: string;
  depths: string;
  modes: EvalMode[];
  samples: number;
  sinks: string;
  window: string;
  topK: string;
  beyondTrained: boolean;
}

export interface EvalSlice {
  view: "chat" | "evaluate";
  evalSelection: EvalSelection;
  evalJobId: string | null;
  evalProgress: EvalProgress | null;
  evalRows: EvalRow[];
  evalResult: EvalResult | null;
  /** A run that failed: why (shown as an error). */
  evalError: string | null;
  /** How the last run ended when it did not fail or finish: cancelled (shown as a plain note). */
  evalNote: string | null;
  setView(v: EvalSlice["view"]): void;
  setEvalSelection(p: Partial<EvalSelection>): void;
  startEval(): Promise<boolean>;
  cancelEval(): Promise<void>;
  evalRowArrived(jobId: string, progress: EvalProgress, row: EvalRow): void;
  evalDone(jobId: string, result: EvalResult | null, error: { code: string; message: string } | null): void;
  /** Follows the evaluation the engine runs, if this page does not already. */
  followEval(engine: EngineStatus): void;
}

const optionalInt = (s: string, name: string): number | undefined => {
  if (!s.trim()) return undefined;
  if (!/^\d+$/.test(s.trim())) throw new Error(`${name} must be a whole number`);
  return Number(s);
};

/** The form -> the contract's params (throws a readable message on bad input). */
export function runParams(sel: EvalSelection): EvalRunParams {
  const p: EvalRunParams = {
    tasks: sel.tasks,
    lengths: parseList(sel.lengths, parseLength),
    depths: parseList(sel.depths, parseDepth),
    modes: sel.modes,
    samples: sel.samples,
    beyondTrained: sel.beyondTrained,
  };
  const sinks = optionalInt(sel.sinks, "sinks");
  const window = optionalInt(sel.window, "window");
  const topK = optionalInt(sel.topK, "top-k");
  if (sinks !== undefined) p.sinks = sinks;
  if (window !== undefined) p.window = window;
  if (topK !== undefined) p.topK = topK;
  return p;
}

export const evalSlice: Slice<EvalSlice> = (set, get) => ({
  view: "chat",
  evalSelection: {
    tasks: ["niah_single", "passkey"],
    lengths: "1K,2K",
    depths: "0,50,100",
    modes: ["full", "retrieval", "streaming"],
    samples: 1,
    sinks: "",
    window: "",
    topK: "",
    beyondTrained: false,
  },
  evalJobId: null,
  evalProgress: null,
  evalRows: [],
  evalResult: null,
  evalError: null,
  evalNote: null,

  setView: (view) => set({ view }),
  setEvalSelection: (p) => set((s) => ({ evalSelection: { ...s.evalSelection, ...p } })),

  startEval: async () => {
    let params: EvalRunParams;
    try {
      params = runParams(get().evalSelection);
    } catch (e) {
      set({ evalError: messageOf(e) });
      return false;
    }
    set({ evalRows: [], evalResult: null, evalError: null, evalNote: null, evalProgress: null });
    try {
      const { jobId } = await api()["eval.run"](params);
      // a very short run may have finished before this reply: then there is no job to follow
      set((s) => ({ evalJobId: s.evalResult || s.evalError || s.evalNote ? null : jobId }));
      return true;
    } catch (e) {
      set({ evalError: messageOf(e), evalJobId: null });
      return false;
    }
  },

  cancelEval: async () => {
    const jobId = get().evalJobId;
    if (!jobId) return;
    try {
      await api()["eval.cancel"]({ jobId });
    } catch (e) {
      get().notify("error", messageOf(e));
    }
  },

  evalRowArrived: (jobId, progress, row) =>
    set((s) => (s.evalJobId === null || s.evalJobId === jobId ? { evalProgress: progress, evalRows: [...s.evalRows, row] } : {})),

  evalDone: (jobId, result, error) =>
    set((s) =>
      s.evalJobId === null || s.evalJobId === jobId
        ? {
            evalJobId: null,
            evalResult: result,
            evalRows: result ? result.rows : s.evalRows,
            // a cancel is what the person asked for, not a failure
            evalError: error && error.code !== "CANCELLED" ? error.message : null,
            evalNote: error?.code === "CANCELLED" ? "Cancelled: the rows finished before it are shown." : null,
          }
        : {},
    ),

  followEval: (engine) => {
    const job = engine.job;
    if (job?.kind !== "eval" || get().evalJobId === job.id) return;
    set({
      evalJobId: job.id,
      evalRows: job.eval?.rows ?? [],
      evalProgress: job.eval?.progress ?? null,
      evalResult: null,
      evalError: null,
      evalNote: job.eval ? null : "This evaluation was started before this page was loaded; its earlier rows are not shown.",
    });
  },
});
