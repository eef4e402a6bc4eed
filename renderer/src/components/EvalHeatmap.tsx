// One depth x length heatmap of tome eval (main/eval/grid.ts), as SVG: the same
// cells and colours as the HTML report (main/eval/colors.ts).
import { cellColor, cellLabel, cellText } from "../../../main/eval/colors";
import type { Heatmap } from "../../../main/eval/grid";
import { lengthLabel } from "../../../main/eval/options";

const CW = 54;
const CH = 24;
const LEFT = 44;
const TOP = 20;

export function EvalHeatmap({ map, title }: { map: Heatmap; title: string }) {
  const width = Math.max(180, LEFT + CW * map.lengths.length + 4, Math.ceil(title.length * 6.2) + 4); // room for the title
  const height = TOP + CH * map.depths.length + 18;
  return (
    <figure className="heatmap" data-testid="eval-heatmap" data-task={map.task} data-mode={map.mode} data-metric={map.metric} data-kind={map.kind}>
      <svg width={width} height={height} role="img" aria-label={title}>
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
    </figure>
  );
}
