// The Evaluate view: choose a subset of tome eval's grid (tasks, lengths,
// depths, modes, samples, retrieval settings), run it on the loaded model with
// progress and cancel, and see the heatmaps fill in as rows arrive.
import { useStore } from "../store";
import { EVAL_MODES, TASKS, type EvalMode, type EvalProgress, type TaskName } from "../../../main/eval/types";
import { DOING } from "../format";
import { EvalResults } from "./EvalResults";

function toggle<T>(xs: T[], x: T): T[] {
  return xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x];
}

export function Evaluate() {
  const sel = useStore((s) => s.evalSelection);
  const setSel = useStore((s) => s.setEvalSelection);
  const start = useStore((s) => s.startEval);
  const cancel = useStore((s) => s.cancelEval);
  const jobId = useStore((s) => s.evalJobId);
  const progress = useStore((s) => s.evalProgress);
  const rows = useStore((s) => s.evalRows);
  const error = useStore((s) => s.evalError);
  const note = useStore((s) => s.evalNote);
  const model = useStore((s) => s.engine?.model ?? null);
  const activity = useStore((s) => s.engine?.activity ?? "idle");
  const cancelling = useStore((s) => s.engine?.job?.kind === "eval" && s.engine.job.id === s.evalJobId && s.engine.job.cancelling);
  const running = jobId !== null;
  return (
    <main className="evaluate" data-testid="evaluate-view">
      <h2>Evaluate retrieval attention on {model ? model.name : "the loaded model"}</h2>
      <p className="muted small">
        RULER-style synthetic tasks built to each length in this model's tokens, answered with full attention (the reference) and each chosen mode. Agreement: the
        greedy answer equals full attention's. KL: of the first answer token. The same figures as <code>tome eval</code>.
      </p>
      <form
        className="eval-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <fieldset>
          <legend>Tasks</legend>
          {TASKS.map((t: TaskName) => (
            <label key={t}>
              <input type="checkbox" data-testid={`eval-task-${t}`} checked={sel.tasks.includes(t)} onChange={() => setSel({ tasks: toggle(sel.tasks, t) })} /> {t}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Modes</legend>
          {EVAL_MODES.map((m: EvalMode) => (
            <label key={m}>
              <input type="checkbox" data-testid={`eval-mode-${m}`} checked={sel.modes.includes(m)} onChange={() => setSel({ modes: toggle(sel.modes, m) })} /> {m}
            </label>
          ))}
        </fieldset>
        <fieldset className="eval-grid">
          <legend>Grid</legend>
          <label>
            lengths <input data-testid="eval-lengths" value={sel.lengths} onChange={(e) => setSel({ lengths: e.target.value })} placeholder="1K,2K" />
          </label>
          <label>
            depths % <input data-testid="eval-depths" value={sel.depths} onChange={(e) => setSel({ depths: e.target.value })} placeholder="0,25,50,75,100" />
          </label>
          <label>
            samples{" "}
            <input type="number" min={1} max={20} data-testid="eval-samples" value={sel.samples} onChange={(e) => setSel({ samples: Math.max(1, Number(e.target.value) || 1) })} />
          </label>
          <label>
            sinks <input data-testid="eval-sinks" value={sel.sinks} onChange={(e) => setSel({ sinks: e.target.value })} placeholder="128" size={5} />
          </label>
          <label>
            window <input data-testid="eval-window" value={sel.window} onChange={(e) => setSel({ window: e.target.value })} placeholder="512" size={5} />
          </label>
          <label>
            top-k <input data-testid="eval-topk" value={sel.topK} onChange={(e) => setSel({ topK: e.target.value })} placeholder="100" size={5} />
          </label>
          <label>
            <input type="checkbox" checked={sel.beyondTrained} onChange={() => setSel({ beyondTrained: !sel.beyondTrained })} /> allow lengths beyond the trained context
            {model ? ` (${model.nCtxTrain})` : ""}
          </label>
        </fieldset>
        <div className="eval-actions">
          {running ? (
            <button type="button" className="stop" data-testid="eval-cancel" disabled={cancelling} onClick={() => void cancel()}>
              {cancelling ? "cancelling…" : "Cancel"}
            </button>
          ) : (
            <button type="submit" data-testid="eval-run" disabled={!model || activity !== "idle"}>
              Run
            </button>
          )}
          {!model ? (
            <span className="muted">Load a model first.</span>
          ) : (
            !running &&
            activity !== "idle" && (
              <span className="muted" data-testid="eval-waits">
                Run waits: the engine is {DOING[activity]}.
              </span>
            )
          )}
        </div>
      </form>
      {(running || progress) && (
        <div className="progress" data-testid="eval-progress">
          <progress max={progress?.total || 1} value={progress?.done ?? 0} />
          <span className="muted small">{progressLine(progress, running, { cancelled: note !== null, failed: error !== null })}</span>
        </div>
      )}
      {note && (
        <p className="note" data-testid="eval-note">
          {note}
        </p>
      )}
      {error && (
        <p className="error" data-testid="eval-error">
          {error}
        </p>
      )}
      <EvalResults rows={rows} />
    </main>
  );
}

/** Where the run is: the case running now, or once it ended, how far it got and how it ended. */
function progressLine(p: EvalProgress | null, running: boolean, end: { cancelled: boolean; failed: boolean }): string {
  if (!p) return running ? "building the first instances…" : "";
  const count = `${p.done} / ${p.total}`;
  if (running) return `${count} · ${p.task} ${p.length} tokens${p.depth === null ? "" : ` depth ${p.depth}%`} · ${p.mode}`;
  return `${count} · ${p.done >= p.total ? "done" : end.cancelled ? "cancelled" : end.failed ? "stopped by an error" : "stopped"}`;
}
