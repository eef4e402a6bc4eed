// The self-contained HTML report of a tome eval run: inline CSS and SVG only.
// Sections: what was run; the plain statement about what the figures mean for
// this model; a summary table per mode and length; per task, score heatmaps
// per mode, retrieval-minus-full difference maps, agreement and KL maps; then
// agreement, KL and time per token against length per mode.
import { differenceMap, heatmap, modesOf, tasksOf } from "../grid";
import { lengthLabel } from "../options";
import { fullCannotSolve, NEAR_TIE, nearTieNote, summarize } from "../summary";
import type { EvalResult } from "../types";
import { esc, heatmapSvg, lineChartSvg, MODE_COLORS, type Series } from "./svg";

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1280px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.meta{color:#555}.note{background:#fff8e1;border-left:4px solid #f0b400;padding:10px 14px;margin:14px 0}
.note.ok{background:#eef6ee;border-color:#4a9b4a}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.maps{display:flex;flex-wrap:wrap;gap:12px 22px;align-items:flex-start}
svg .t{font-size:12px;font-weight:600;fill:#222}svg .a{font-size:11px;fill:#555}svg .v{font-size:10px}
.legend{font-size:12px;color:#555}.swatch{display:inline-block;width:90px;height:10px;vertical-align:middle;margin:0 6px}
`;

const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
const sci = (v: number | null) => (v === null ? "–" : v.toExponential(2));
const num = (v: number | null, d = 3) => (v === null ? "–" : v.toFixed(d));

export function renderReport(result: EvalResult): string {
  const rows = result.rows;
  const tasks = tasksOf(rows);
  const modes = modesOf(rows);
  const sparseModes = modes.filter((m) => m !== "full");
  const hasFull = modes.includes("full");
  const lengths = [...new Set(rows.map((r) => r.length))].sort((a, b) => a - b);
  const summary = summarize(rows);
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tome eval: ${esc(result.model)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>tome eval: ${esc(result.model)}</h1>`);
  out.push(
    `<p class="meta">Trained context ${result.n_ctx_train} tokens · ${result.chat_template ? "model's own chat template" : "no chat template in the model: tome's plain template (Question: … Answer:)"} · haystack: ${esc(result.haystack)} · seed ${result.seed} · ` +
      `sinks ${result.settings.sinks}, window ${result.settings.window}, top-k ${result.settings.top_k} · ${result.settings.threads} threads · ${rows.length} rows · lengths ${lengths.map(lengthLabel).join(", ")}</p>`,
  );
  if (fullCannotSolve(rows)) {
    out.push(
      `<p class="note" data-testid="cannot-solve"><strong>This model cannot solve these tasks.</strong> Full attention itself scores near zero, as expected of a tiny fixture model (a few hundred thousand parameters, trained on children's stories). ` +
        `The scores say nothing about retrieval attention here. The figures that mean something are <strong>retrieval's agreement with full attention</strong> (does the sparse model give the same greedy answer, token for token?) and the <strong>KL divergence</strong> of their first answer-token distributions: how closely retrieval attention reproduces full attention on the same prompt, whatever the answer.</p>`,
    );
  } else {
    out.push(`<p class="note ok">Scores are RULER's string match (share of expected strings in the answer). Agreement and KL compare each sparse mode with full attention on the same prompt.</p>`);
  }
  const unsparse = rows.filter((r) => r.mode !== "full" && !r.sparse).length;
  if (unsparse) out.push(`<p class="note">${unsparse} sparse-mode rows had a context shorter than sinks + window + 256 tokens, so the question ran with exact attention and the first-token KL is 0 by construction; answer steps ran sparse once the context was long enough (JSON: <code>sparse: false</code>, <code>sparse_steps</code>).</p>`);
  if (rows.some((r) => r.beyond_trained)) out.push(`<p class="note">Lengths marked * run beyond the model's trained context (${result.n_ctx_train} tokens), prompt and answer budget together: run with --beyond-trained, or at the trained context a word list whose length could be met within 1% only past it.</p>`);

  out.push(`<h2>Summary by mode and length</h2><table><tr><th>mode</th><th>length</th><th>n</th><th>score</th><th>agreement</th><th>first token</th><th>KL mean</th><th>KL max</th><th>recall</th><th>mass</th><th>ms/token</th><th>ran sparse</th></tr>`);
  for (const s of summary) {
    out.push(
      `<tr><td>${s.mode}</td><td>${lengthLabel(s.length)}${s.beyond ? "*" : ""}</td><td>${s.n}</td><td>${num(s.score)}</td><td>${pct(s.agree)}</td><td>${pct(s.firstTokenAgree)}${nearTieNote(s) ? ` (${nearTieNote(s)})` : ""}</td><td>${sci(s.klMean)}</td><td>${sci(s.klMax)}</td><td>${num(s.recall)}</td><td>${num(s.mass)}</td><td>${num(s.msPerToken, 2)}</td><td>${s.mode === "full" ? "–" : pct(s.sparse)}</td></tr>`,
    );
  }
  out.push(`</table>`);
  if (summary.some((s) => s.firstTokenNearTies > 0))
    out.push(`<p class="note">A near-tie: full attention's first answer token led its second by under ${NEAR_TIE} nats (JSON: <code>full_margin</code>), so the slightest change of the logits may flip the greedy choice; such a disagreement says little about the mode.</p>`);

  out.push(`<h2>Heatmaps: depth × length, per task</h2>`);
  out.push(
    `<p class="legend">score, agreement: 0<span class="swatch" style="background:linear-gradient(90deg,rgb(255,247,236),rgb(8,81,156))"></span>1 · difference (mode − full): −1<span class="swatch" style="background:linear-gradient(90deg,rgb(178,24,43),rgb(247,247,247),rgb(33,102,172))"></span>+1 · KL (nats, log): 1e-6<span class="swatch" style="background:linear-gradient(90deg,rgb(255,247,236),rgb(178,24,43))"></span>10. Cells are means over samples; "n/a" rows are tasks without a needle depth.</p>`,
  );
  for (const task of tasks) {
    out.push(`<h3>${task}</h3><div class="maps">`);
    for (const mode of modes) out.push(heatmapSvg(heatmap(rows, task, mode, "score"), `score · ${mode}`));
    if (hasFull) for (const mode of sparseModes) out.push(heatmapSvg(differenceMap(rows, task, mode, "score"), `score: ${mode} − full`));
    out.push(`</div><div class="maps">`);
    for (const mode of sparseModes) out.push(heatmapSvg(heatmap(rows, task, mode, "agree_with_full"), `answer equals full's · ${mode}`));
    for (const mode of sparseModes) out.push(heatmapSvg(heatmap(rows, task, mode, "first_token_agree"), `first token equals full's · ${mode}`));
    out.push(`</div><div class="maps">`);
    for (const mode of sparseModes) out.push(heatmapSvg(heatmap(rows, task, mode, "kl"), `KL(full ‖ ${mode}), first token`));
    out.push(`</div>`);
  }

  const series = (ms: typeof modes, pick: (s: (typeof summary)[number]) => number | null): Series[] =>
    ms.map((m) => ({ label: m, color: MODE_COLORS[m] ?? "#000", points: lengths.map((l) => ({ x: l, y: (() => { const s = summary.find((x) => x.mode === m && x.length === l); return s ? pick(s) : null; })() })) }));
  out.push(`<h2>Agreement, KL and time per token against length</h2><div class="maps">`);
  if (sparseModes.length) {
    out.push(lineChartSvg("Greedy answer equals full attention's", "share of instances", lengths, series(sparseModes, (s) => s.agree), { yMin: 0, yMax: 1 }));
    out.push(lineChartSvg("First answer token equals full's", "share of instances", lengths, series(sparseModes, (s) => s.firstTokenAgree), { yMin: 0, yMax: 1 }));
    out.push(lineChartSvg("KL(full ‖ mode), first answer token, mean", "nats (log scale)", lengths, series(sparseModes, (s) => s.klMean), { log: true }));
    out.push(lineChartSvg("Monitor: attention mass captured", "share of softmax mass", lengths, series(sparseModes, (s) => s.mass), { yMin: 0, yMax: 1 }));
  }
  out.push(lineChartSvg("Decode time per token", "ms per token", lengths, series(modes, (s) => s.msPerToken), { yMin: 0 }));
  out.push(`</div>`);
  out.push(
    `<p class="legend">Time per token is measured here with the quality monitor on (every ${result.settings.monitor_every} step${result.settings.monitor_every === 1 ? "" : "s"}: an exact top-k over sampled heads), which sparse modes pay and full attention does not; on tiny models and short contexts the sparse modes' fixed costs dominate. For speed alone see <code>tome bench decode</code>.</p>`,
  );
  out.push(
    `<h2>How to read this</h2><p>Each instance is a RULER-style synthetic task built to the stated length in this model's tokens (its prompt and answer budget, as RULER counts it, within 1%) with its needle at the stated depth, answered greedily. ` +
      `Full attention is the oracle; each sparse mode prefills the same prompt with exact attention, then answers the question with its own attention (retrieval: static sinks + window plus the keys an attention-aware index retrieves; streaming: the static set alone). ` +
      `<em>Agreement</em>: the sparse mode's greedy answer equals full attention's token for token. <em>KL</em>: KL(full ‖ mode) of the first answer-token distributions, in nats. ` +
      `<em>Recall</em> and <em>mass</em>: the engine's monitor, comparing the retrieved keys of sampled heads with the exact top-k and measuring the softmax mass the attended keys capture. Every figure is in the JSON (<code>tome eval --json</code>).</p>`,
  );
  out.push(`</body></html>`);
  return out.join("\n");
}
