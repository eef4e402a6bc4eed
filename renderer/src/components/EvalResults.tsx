// What an evaluation shows: the summary per mode and length (agreement, KL,
// recall, mass, ms per token), the note when full attention itself cannot solve
// the tasks, and per task the score heatmaps per mode, the mode-minus-full
// difference maps, and agreement and KL maps.
import type { EvalRow } from "../../../main/ipc/contract";
import { differenceMap, heatmap, modesOf, tasksOf } from "../../../main/eval/grid";
import { lengthLabel } from "../../../main/eval/options";
import { fullCannotSolve, NEAR_TIE, nearTieNote, summarize } from "../../../main/eval/summary";
import { EvalHeatmap } from "./EvalHeatmap";

const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
const sci = (v: number | null) => (v === null ? "–" : v.toExponential(2));
const fix = (v: number | null, d = 3) => (v === null ? "–" : v.toFixed(d));

export function EvalResults({ rows }: { rows: EvalRow[] }) {
  if (!rows.length) return null;
  const modes = modesOf(rows);
  const sparse = modes.filter((m) => m !== "full");
  return (
    <div className="eval-results">
      {fullCannotSolve(rows) && (
        <p className="note" data-testid="eval-cannot-solve">
          Full attention scores near zero: this model cannot solve these tasks, so the scores say nothing about retrieval. The figures that mean something are retrieval's
          agreement with full attention and the KL divergence of their first answer tokens.
        </p>
      )}
      {/* scrolls sideways in its own box when the window is narrow (800x600): its bar right under the table, not at the view's bottom */}
      <div className="table-scroll" role="region" aria-label="Summary by mode and length" tabIndex={0} data-testid="eval-summary-scroll">
        <table className="eval-summary small" data-testid="eval-summary">
          <thead>
            <tr>
              <th>mode</th>
              <th>length</th>
              <th>n</th>
              <th>score</th>
              <th>agreement</th>
              <th>first token</th>
              <th>KL mean</th>
              <th>recall</th>
              <th>mass</th>
              <th>ms/token</th>
            </tr>
          </thead>
          <tbody>
            {summarize(rows).map((s) => (
              <tr key={`${s.mode}-${s.length}`}>
                <td>{s.mode}</td>
                <td>
                  {lengthLabel(s.length)}
                  {s.beyond ? "*" : ""}
                </td>
                <td>{s.n}</td>
                <td>{fix(s.score)}</td>
                <td>{pct(s.agree)}</td>
                <td title={nearTieNote(s) ? `full attention's first token led its second by under ${NEAR_TIE} nats` : undefined}>
                  {pct(s.firstTokenAgree)}
                  {nearTieNote(s) ? (
                    <>
                      {" "}
                      <span className="near-tie">({nearTieNote(s)})</span>
                    </>
                  ) : (
                    ""
                  )}
                </td>
                <td>{sci(s.klMean)}</td>
                <td>{fix(s.recall)}</td>
                <td>{fix(s.mass)}</td>
                <td>{fix(s.msPerToken, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {tasksOf(rows).map((task) => (
        <section key={task} className="eval-task">
          <h4>{task}</h4>
          <div className="heatmaps">
            {modes.map((m) => (
              <EvalHeatmap key={`s-${m}`} map={heatmap(rows, task, m, "score")} title={`score · ${m}`} />
            ))}
            {modes.includes("full") &&
              sparse.map((m) => <EvalHeatmap key={`d-${m}`} map={differenceMap(rows, task, m, "score")} title={`score: ${m} − full`} />)}
            {sparse.map((m) => (
              <EvalHeatmap key={`a-${m}`} map={heatmap(rows, task, m, "agree_with_full")} title={`agreement · ${m}`} />
            ))}
            {sparse.map((m) => (
              <EvalHeatmap key={`k-${m}`} map={heatmap(rows, task, m, "kl")} title={`KL(full ‖ ${m})`} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
