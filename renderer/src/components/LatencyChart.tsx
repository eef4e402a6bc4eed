// Per-token latency of the current answer by phase (matmul, attention, other),
// drawn with uPlot at the width of its panel. Without a canvas (tests, very old
// browsers) it falls back to the last numbers as text.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { TokenStats } from "../../../main/ipc/contract";

function hasCanvas(): boolean {
  try {
    return !!document.createElement("canvas").getContext("2d");
  } catch {
    return false;
  }
}

export function LatencyChart({ stats }: { stats: TokenStats[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const canvas = useRef<boolean>(hasCanvas());

  useEffect(() => {
    const el = box.current;
    if (!canvas.current || !el) return;
    const u = new uPlot(
      {
        width: el.clientWidth || 300,
        height: 140,
        // a key to the lines, not live values: "Value: --" for each series until hovered says nothing
        legend: { show: true, live: false },
        scales: { x: { time: false } },
        axes: [{ label: "token" }, { label: "ms" }],
        series: [
          { label: "token" },
          { label: "matmul", stroke: "#4c78a8", width: 1.5 },
          { label: "attention", stroke: "#f58518", width: 1.5 },
          { label: "other", stroke: "#54a24b", width: 1.5 },
          { label: "total", stroke: "#888", width: 1, dash: [4, 4] },
        ],
      },
      [[], [], [], [], []],
      el,
    );
    plot.current = u;
    // The panel's width follows the window's (0 while the panels are folded: kept as it was).
    const fit = () => {
      if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height: 140 });
    };
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(fit);
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([
      stats.map((s) => s.index),
      stats.map((s) => s.phaseMs.matmul),
      stats.map((s) => s.phaseMs.attention),
      stats.map((s) => s.phaseMs.other),
      stats.map((s) => s.totalMs),
    ]);
  }, [stats]);

  const last = stats[stats.length - 1];
  return (
    <div data-testid="latency-chart" className="latency-chart">
      <div ref={box} />
      {!canvas.current && last && (
        <p className="muted small">
          last token: {last.totalMs.toFixed(1)} ms (matmul {last.phaseMs.matmul.toFixed(1)}, attention {last.phaseMs.attention.toFixed(1)}, other{" "}
          {last.phaseMs.other.toFixed(1)})
        </p>
      )}
    </div>
  );
}
