// Inline SVG for the report: a depth x length heatmap, and a line chart of one
// figure against length per mode. Strings only, no DOM, no external assets.
import { cellColor, cellLabel, cellText } from "../colors";
import type { Heatmap } from "../grid";
import { lengthLabel } from "../options";

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const CELL_W = 50;
const CELL_H = 26;
const LEFT = 56;
const TOP = 26;

export function heatmapSvg(h: Heatmap, title: string): string {
  const w = Math.max(200, LEFT + CELL_W * h.lengths.length + 8, Math.ceil(title.length * 6.8) + 8); // room for the title
  const hh = TOP + CELL_H * h.depths.length + 34;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${hh}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="4" y="15" class="t">${esc(title)}</text>`);
  h.depths.forEach((d, i) => {
    const y = TOP + i * CELL_H;
    parts.push(`<text x="${LEFT - 6}" y="${y + CELL_H / 2 + 4}" text-anchor="end" class="a">${d === null ? "n/a" : `${d}%`}</text>`);
    h.lengths.forEach((_, j) => {
      const v = h.cells[i][j];
      const x = LEFT + j * CELL_W;
      parts.push(`<rect x="${x}" y="${y}" width="${CELL_W - 2}" height="${CELL_H - 2}" fill="${cellColor(h, v)}"><title>${esc(`${title}, depth ${d ?? "n/a"}, ${lengthLabel(h.lengths[j])}: ${v ?? "no data"}`)}</title></rect>`);
      parts.push(`<text x="${x + (CELL_W - 2) / 2}" y="${y + CELL_H / 2 + 3}" text-anchor="middle" class="v" fill="${cellText(h, v)}">${cellLabel(h, v)}</text>`);
    });
  });
  const yAxis = TOP + CELL_H * h.depths.length + 14;
  h.lengths.forEach((l, j) =>
    parts.push(`<text x="${LEFT + j * CELL_W + (CELL_W - 2) / 2}" y="${yAxis}" text-anchor="middle" class="a">${lengthLabel(l)}${h.beyond[j] ? "*" : ""}</text>`),
  );
  parts.push(`<text x="4" y="${yAxis + 16}" class="a">depth ↓ · length (tokens) →</text>`);
  parts.push("</svg>");
  return parts.join("");
}

/** The next of 1, 2, 2.5, 5 x 10^k at or above v (v > 0). */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= v - 1e-12)!;
}

export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number | null }[];
}

/** Lines over length (x, categorical), y linear or log10. */
export function lineChartSvg(title: string, yLabel: string, xs: number[], series: Series[], o: { log?: boolean; yMin?: number; yMax?: number } = {}): string {
  const W = 420, H = 230, L = 62, R = 110, T = 28, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const f = (v: number) => (o.log ? Math.log10(Math.max(v, 1e-9)) : v);
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = o.yMin ?? (ys.length ? Math.min(...ys.map(f)) : 0);
  let hi = o.yMax ?? (ys.length ? Math.max(...ys.map(f)) : 1);
  if (o.log) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  if (!o.log && o.yMax === undefined) hi = niceCeil(hi);
  const px = (i: number) => L + (xs.length === 1 ? pw / 2 : (pw * i) / (xs.length - 1));
  const py = (v: number) => T + ph - (ph * (f(v) - lo)) / (hi - lo);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${L}" y="16" class="t">${esc(title)}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`);
  const ticks = o.log ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) : [0, 0.25, 0.5, 0.75, 1].map((t) => lo + t * (hi - lo));
  for (const t of ticks) {
    const y = T + ph - (ph * (t - lo)) / (hi - lo);
    parts.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${L - 5}" y="${y + 4}" text-anchor="end" class="a">${o.log ? `1e${t}` : Number(t.toPrecision(3))}</text>`);
  }
  xs.forEach((x, i) => parts.push(`<text x="${px(i)}" y="${T + ph + 15}" text-anchor="middle" class="a">${lengthLabel(x)}</text>`));
  parts.push(`<text x="${L + pw / 2}" y="${H - 6}" text-anchor="middle" class="a">length (tokens)</text>`);
  parts.push(`<text x="14" y="${T + ph / 2}" text-anchor="middle" class="a" transform="rotate(-90 14 ${T + ph / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const pts = s.points.map((p, i) => (p.y === null || !Number.isFinite(p.y) ? null : [px(i), py(p.y)])).filter((p): p is number[] => p !== null);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => p.join(",")).join(" ")}"/>`);
    for (const [x, y] of pts) parts.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.color}"/>`);
    parts.push(`<rect x="${L + pw + 12}" y="${T + k * 18}" width="12" height="12" fill="${s.color}"/>`);
    parts.push(`<text x="${L + pw + 28}" y="${T + k * 18 + 10}" class="a">${esc(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

export const MODE_COLORS: Record<string, string> = { full: "#444444", retrieval: "#1f77b4", streaming: "#ff7f0e", flat: "#2ca02c", ivf: "#9467bd" };
