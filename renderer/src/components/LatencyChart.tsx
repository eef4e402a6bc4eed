// Per-token latency of the current answer by phase (matmul, attention, other),
// drawn with uPlot at the width of its panel. The y scale stops above the usual
// tokens, so a few slow ones (a page fault, another process) do not flatten the
// rest: those are cut at the top and marked. Without a canvas (tests, very old
// browsers) it falls back to the last numbers as text.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { TokenStats } from "../../../main/ipc/contract";

/** The chart's height in px, axes included (the key sits below it). */
const HEIGHT = 170;
/** Token numbers are whole: ticks only at whole steps (uPlot would put 106.2 between 106 and 107). */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
const SPIKE_COLOUR = "#d62728";

function hasCanvas(): boolean {
  try {
    return !!document.createElement("canvas").getContext("2d");
  } catch {
    return false;
  }
}

/**
 * The top of the y scale (ms): all of it, unless the slowest tokens lie far above the rest; then
 * half again the 95th percentile of the totals, and the tokens above it are spikes. With fewer
 * than 21 tokens the percentile is the maximum: nothing is cut.
 */
export function latencyTop(totals: number[]): number {
  if (!totals.length) return 1;
  const sorted = [...totals].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1];
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))];
  const top = max <= p95 * 1.5 ? max * 1.1 : p95 * 1.5;
  return top > 0 ? top : 1;
}

/** The x scale: the tokens' range; one token alone gets a token either side (a zero-width range has no ticks). */
export function tokenRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  return min === max ? [min - 1, max + 1] : [min, max];
}

/** The series uPlot draws: x, the three phases, the total, and a mark at the top edge for each spike. */
export function chartData(stats: TokenStats[], top: number): (number | null)[][] {
  return [
    stats.map((s) => s.index),
    stats.map((s) => s.phaseMs.matmul),
    stats.map((s) => s.phaseMs.attention),
    stats.map((s) => s.phaseMs.other),
    stats.map((s) => s.totalMs),
    stats.map((s) => (s.totalMs > top ? top * 0.96 : null)),
  ];
}

function chartOptions(width: number, top: { current: number }): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    // a key to the lines, not live values: "Value: --" for each series until hovered says nothing
    legend: { show: true, live: false },
    scales: {
      x: { time: false, range: (_u, min, max) => tokenRange(min, max) },
      y: { range: () => [0, top.current] },
    },
    // no axis titles: the panel's heading names both, and the plot keeps their height
    axes: [{ size: 28, incrs: WHOLE_STEPS }, { size: 44 }],
    series: [
      { label: "token" },
      { label: "matmul", stroke: "#4c78a8", width: 1.5 },
      { label: "attention", stroke: "#f58518", width: 1.5 },
      { label: "other", stroke: "#54a24b", width: 1.5 },
      { label: "total", stroke: "#888", width: 1, dash: [4, 4] },
      { label: "cut off", stroke: SPIKE_COLOUR, paths: () => null, points: { show: true, size: 7, fill: SPIKE_COLOUR } },
    ],
  };
}

export function LatencyChart({ stats }: { stats: TokenStats[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const canvas = useRef<boolean>(hasCanvas());
  const top = useRef(1);

  useEffect(() => {
    const el = box.current;
    if (!canvas.current || !el) return;
    const u = new uPlot(chartOptions(el.clientWidth || 300, top), [[], [], [], [], [], []], el);
    plot.current = u;
    // The panel's width follows the window's (0 while the panels are folded: kept as it was).
    const fit = () => {
      if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height: HEIGHT });
    };
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(fit);
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  top.current = latencyTop(stats.map((s) => s.totalMs));
  useEffect(() => {
    plot.current?.setData(chartData(stats, top.current) as uPlot.AlignedData);
  }, [stats]);

  const last = stats[stats.length - 1];
  const spikes = stats.filter((s) => s.totalMs > top.current);
  return (
    <div data-testid="latency-chart" className="latency-chart">
      {/* no tokens: no plot (an emptied one would keep the last answer's axes) */}
      <div ref={box} hidden={!stats.length} />
      {!stats.length && <p className="muted small">Per-token figures appear with the next answer.</p>}
      {spikes.length > 0 && (
        <p className="muted small" data-testid="latency-spikes">
          {spikes.length} slow {spikes.length === 1 ? "token" : "tokens"} (up to {Math.max(...spikes.map((s) => s.totalMs)).toFixed(1)} ms) cut off at{" "}
          {top.current.toFixed(1)} ms, marked in red
        </p>
      )}
      {!canvas.current && last && (
        <p className="muted small">
          last token: {last.totalMs.toFixed(1)} ms (matmul {last.phaseMs.matmul.toFixed(1)}, attention {last.phaseMs.attention.toFixed(1)}, other{" "}
          {last.phaseMs.other.toFixed(1)})
        </p>
      )}
    </div>
  );
}
