// Evaluation in the app: tome eval's runner in the engine host on the loaded
// model (sessions of its own, so the book the engine holds stays ready). Rows
// stream to the UI as eval.progress events; the end (result or error) as
// eval.done. One engine job at a time, like reading and answering; cancel
// stops it between decode steps.
import * as os from "node:os";
import type { EvalProgress, EvalRow, EvalRunParams } from "../ipc/contract";
import { AppError } from "../ipc/errors";
import type { EvalOptions } from "../eval/types";
import type { AppCore } from "./core";

export function evalOptions(p: EvalRunParams, threads: number): EvalOptions {
  return {
    tasks: [...new Set(p.tasks)],
    lengths: [...new Set(p.lengths)].sort((a, b) => a - b),
    depths: [...new Set(p.depths)],
    modes: [...new Set(p.modes)],
    haystack: "noise",
    samples: p.samples,
    seed: p.seed ?? 1,
    threads,
    beyondTrained: p.beyondTrained ?? false,
    sinks: p.sinks,
    window: p.window,
    topK: p.topK,
    monitorEvery: 1,
    monitorHeads: 4,
  };
}

export class EvalJobs {
  /** The running evaluation's figures so far (engine.status carries them to a page loaded mid-run). */
  private current: { jobId: string; progress: EvalProgress | null; rows: EvalRow[] } | null = null;

  constructor(private core: AppCore) {}

  sofar(jobId: string): { progress: EvalProgress | null; rows: EvalRow[] } | null {
    return this.current?.jobId === jobId ? { progress: this.current.progress, rows: [...this.current.rows] } : null;
  }

  /** Checks what can be checked before starting (empty choices, lengths beyond the trained context). */
  check(p: EvalRunParams) {
    const model = this.core.requireModel();
    if (!p.tasks.length || !p.lengths.length || !p.modes.length) throw new AppError("BAD_REQUEST", "Choose at least one task, length and mode.");
    if (p.tasks.length && !p.depths.length) throw new AppError("BAD_REQUEST", "Choose at least one depth.");
    const over = p.lengths.filter((l) => l > model.info.nCtxTrain);
    if (over.length && !p.beyondTrained) {
      throw new AppError("BAD_REQUEST", `Lengths ${over.join(", ")} exceed the model's trained context (${model.info.nCtxTrain}); allow lengths beyond it to run them.`);
    }
  }

  async run(jobId: string, p: EvalRunParams): Promise<void> {
    const core = this.core;
    core.state.job = { id: jobId, kind: "eval", documentId: null };
    const current = { jobId, progress: null as EvalProgress | null, rows: [] as EvalRow[] };
    this.current = current;
    core.setActivity("evaluating");
    const off = core.onJobEvents(jobId, (e) => {
      if (e.event !== "eval") return;
      current.progress = e.progress;
      current.rows.push(e.row);
      core.emit("eval.progress", { jobId, progress: e.progress, row: e.row });
    });
    try {
      const threads = core.lib.settings.get().threads || os.cpus().length;
      const result = await core.engine.call("eval", { jobId, options: evalOptions(p, threads) });
      core.emit("eval.done", { jobId, result, error: null });
    } catch (e) {
      const err = e as AppError;
      core.emit("eval.done", { jobId, result: null, error: { code: err.code ?? "INTERNAL", message: err.message } });
    } finally {
      off();
      if (this.current === current) this.current = null;
      core.endJob(jobId);
      core.setActivity("idle");
    }
  }
}
