// One depth x length heatmap of tome eval (main/eval/grid.ts), as SVG: the same
// cells and colours as the HTML report (main/eval/colors.ts). For screen readers,
// the picture is described (its size, its range and where its extremes are) and
// its values are in a visually hidden table, rounded as on the cells.
import { useId } from "react";
import { cellColor, cellLabel, cellText } from "../../../main/eval/colors";
import type { Heatmap } from "../../../main/eval/grid";
import { lengthLabel } from "../../../main/eval/options";

/** The hidden table's limits (a grid larger than this is cut; its caption says so, the description covers all cells). */
export const TABLE_MAX_DEPTHS = 20;
export const TABLE_MAX_LENGTHS = 12;

const depthText = (d: number | null) => (d === null ? "no depth" : `depth ${d}%`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Where a cell is, in words: "depth 50%, 2K" (or "2K" for a task without a depth). */
function place(map: Heatmap, i: number, j: number): string {
  const d = map.depths[i];
  return d === null ? lengthLabel(map.lengths[j]) : `${depthText(d)}, ${lengthLabel(map.lengths[j])}`;
}

/** One sentence or three for the screen reader: the grid's size, its range and where its lowest and highest cells are. */
export function describeHeatmap(map: Heatmap): string {
  const measured: { v: number; i: number; j: number }[] = [];
  map.cells.forEach((row, i) => row.forEach((v, j) => v !== null && measured.push({ v, i, j })));
  const total = map.depths.length * map.lengths.length;
  const size = map.depths.length === 1 && map.depths[0] === null ? plural(map.lengths.length, "length") : `${plural(map.depths.length, "depth")} by ${plural(map.lengths.length, "length")}`;
  const parts = [`${size}.`];
  if (!measured.length) parts.push("Nothing measured yet.");
  else {
    const extreme = (pick: (a: number, b: number) => boolean) => {
      const best = measured.reduce((a, b) => (pick(b.v, a.v) ? b : a));
      const ties = measured.filter((c) => c.v === best.v).length - 1;
      return `${cellLabel(map, best.v)} at ${place(map, best.i, best.j)}${ties ? ` (and ${plural(ties, "other cell")})` : ""}`;
    };
    if (measured.length === 1) parts.push(`One cell measured: ${extreme((a, b) => a > b)}.`);
    else parts.push(`Lowest ${extreme((a, b) => a < b)}; highest ${extreme((a, b) => a > b)}.`);
    if (measured.length < total) parts.push(`${plural(total - measured.length, "cell")} not measured yet.`);
  }
  const beyond = map.lengths.filter((_, j) => map.beyond[j]).map(lengthLabel);
  if (beyond.length) parts.push(`${beyond.join(", ")}: beyond the model's trained context.`);
  return parts.join(" ");
}

const CW = 54;
const CH = 24;
const LEFT = 44;
const TOP = 20;

export function EvalHeatmap({ map, title }: { map: Heatmap; title: string }) {
  const width = Math.max(180, LEFT + CW * map.lengths.length + 4, Math.ceil(title.length * 6.2) + 4); // room for the title
  const height = TOP + CH * map.depths.length + 18;
  const descId = useId();
  return (
    <figure className="heatmap" data-testid="eval-heatmap" data-task={map.task} data-mode={map.mode} data-metric={map.metric} data-kind={map.kind}>
      <svg width={width} height={height} role="img" aria-label={title} aria-describedby={descId}>
        <text x={2} y={13} className="hm-title">
          {title}
        </text>
        {map.depths.map((d, i) => (
          <g key={String(d)}>
            <text x={LEFT - 5} y={TOP + i * CH + CH / 2 + 4} textAnchor="end" className="hm-axis">
              {d === null ? "n/a" : `${d}%`}
            </text>
            {map.lengths.map((l, j) => {
              const v = map.cells[i][j];
              return (
                <g key={l}>
                  <rect x={LEFT + j * CW} y={TOP + i * CH} width={CW - 2} height={CH - 2} fill={cellColor(map, v)}>
                    <title>{`depth ${d ?? "n/a"}, ${lengthLabel(l)}: ${v ?? "not measured yet"}`}</title>
                  </rect>
                  <text x={LEFT + j * CW + (CW - 2) / 2} y={TOP + i * CH + CH / 2 + 3} textAnchor="middle" className="hm-value" fill={cellText(map, v)}>
                    {cellLabel(map, v)}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
        {map.lengths.map((l, j) => (
          <text key={l} x={LEFT + j * CW + (CW - 2) / 2} y={TOP + CH * map.depths.length + 12} textAnchor="middle" className="hm-axis">
            {lengthLabel(l)}
            {map.beyond[j] ? "*" : ""}
          </text>
        ))}
      </svg>
      {/* aria-hidden: read as the picture's description, not a second time as a paragraph */}
      <p id={descId} className="visually-hidden" aria-hidden="true" data-testid="heatmap-description">
        {describeHeatmap(map)}
      </p>
      <HeatmapTable map={map} title={title} />
    </figure>
  );
}

/** The cells' values as a table (visually hidden: the picture shows them), at most TABLE_MAX_DEPTHS x TABLE_MAX_LENGTHS. */
function HeatmapTable({ map, title }: { map: Heatmap; title: string }) {
  const rows = map.depths.slice(0, TABLE_MAX_DEPTHS);
  const cols = map.lengths.slice(0, TABLE_MAX_LENGTHS);
  const cut = [
    rows.length < map.depths.length && `the first ${rows.length} of ${map.depths.length} depths`,
    cols.length < map.lengths.length && `the first ${cols.length} of ${map.lengths.length} lengths`,
  ].filter(Boolean);
  return (
    <table className="visually-hidden" data-testid="heatmap-values">
      <caption>
        {title}: values by depth and length{cut.length ? ` (${cut.join(" and ")} only)` : ""}
      </caption>
      <thead>
        <tr>
          <th scope="col">depth</th>
          {cols.map((l, j) => (
            <th key={l} scope="col">
              {lengthLabel(l)}
              {map.beyond[j] ? " (beyond the trained context)" : ""}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((d, i) => (
          <tr key={String(d)}>
            <th scope="row">{d === null ? "no depth" : `${d}%`}</th>
            {cols.map((l, j) => {
              const v = map.cells[i][j];
              return <td key={l}>{v === null ? "not measured yet" : cellLabel(map, v)}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
