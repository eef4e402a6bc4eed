// Colour scales shared by the report and the app: sequential for shares in
// [0, 1] (score, agreement, recall, mass), diverging for differences in
// [-1, 1], and a log scale for KL (1e-6 .. 10 nats). Returns CSS colours.
import type { Heatmap } from "./grid";

function lerp(a: number[], b: number[], t: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const WHITE = [247, 247, 247];
const BLUE = [33, 102, 172];
const RED = [178, 24, 43];
const LOW = [255, 247, 236];
const HIGH = [8, 81, 156];

/** 0 -> pale, 1 -> deep blue. */
export const shareColor = (v: number) => lerp(LOW, HIGH, Math.max(0, Math.min(1, v)));

/** -1 -> red, 0 -> white, +1 -> blue. */
export const diffColor = (v: number) => (v < 0 ? lerp(WHITE, RED, Math.min(1, -v)) : lerp(WHITE, BLUE, Math.min(1, v)));

/** KL on a log scale: 1e-6 nats or less -> pale (agrees), 10 nats -> deep red. */
export const klColor = (v: number) => lerp(LOW, RED, Math.max(0, Math.min(1, (Math.log10(Math.max(v, 1e-6)) + 6) / 7)));

export function cellColor(h: Heatmap, v: number | null): string {
  if (v === null) return "#e5e5e5";
  if (h.kind === "diff") return diffColor(v);
  if (h.metric === "kl") return klColor(v);
  return shareColor(v);
}

/** Text on a cell: dark on light colours, white on dark ones. */
export function cellText(h: Heatmap, v: number | null): string {
  if (v === null) return "#555";
  if (h.kind === "diff") return Math.abs(v) > 0.6 ? "#fff" : "#222";
  if (h.metric === "kl") return Math.log10(Math.max(v, 1e-6)) > -1.5 ? "#fff" : "#222";
  return v > 0.55 ? "#fff" : "#222";
}

export function cellLabel(h: Heatmap, v: number | null): string {
  if (v === null) return "–";
  if (h.metric === "kl" && v === 0) return "0";
  if (h.metric === "kl") return v < 1e-3 ? v.toExponential(0) : v.toPrecision(2);
  if (h.kind === "diff") return (v > 0 ? "+" : "") + v.toFixed(2);
  return v.toFixed(2);
}
