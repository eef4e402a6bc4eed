// @vitest-environment happy-dom
// The Evaluate view's results for those who do not see them, and in a small
// window: each heatmap (a picture, role=img) is described (its size, lowest and
// highest cells and where they are) and carries its values in a visually hidden
// table, rounded as on the cells and cut to a stated size for large grids; the
// summary table scrolls sideways in its own box (focusable, named) so its right
// columns stay reachable at 800x600. The app's stylesheet is loaded so computed
// styles are the real ones; the pixel check needs a browser.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import { EvalResults } from "../../renderer/src/components/EvalResults";
import { EvalHeatmap, TABLE_MAX_DEPTHS, TABLE_MAX_LENGTHS } from "../../renderer/src/components/EvalHeatmap";
import type { EvalRow } from "../../main/ipc/contract";
import type { Heatmap } from "../../main/eval/grid";
import { evalRow } from "./eval-row";

const css = fs.readFileSync(path.resolve(__dirname, "..", "..", "renderer", "src", "styles.css"), "utf8");
let style: HTMLStyleElement;
beforeEach(() => {
  style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
});
afterEach(() => {
  cleanup();
  style.remove();
});

const row = evalRow;

// full: depth 0 -> 0.25 (1K), 1 (2K); depth 50 -> 0.5 (1K), nothing at 2K. retrieval at one cell.
const ROWS: EvalRow[] = [
  row({ depth: 0, length: 1024, score: 0.25 }),
  row({ depth: 0, length: 2048, score: 1, beyond_trained: true }),
  row({ depth: 50, length: 1024, score: 0.5 }),
  row({ depth: 0, length: 1024, mode: "retrieval", score: 0.25, agree_with_full: 1, first_token_agree: 1, kl: 2e-4, recall: 0.99, mass: 0.95, sparse: true }),
];

/** The text an element's aria-describedby points at. */
function description(el: Element): string {
  const ids = el.getAttribute("aria-describedby");
  expect(ids, "aria-describedby").toBeTruthy();
  return ids!
    .split(/\s+/)
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ");
}

const cellTexts = (table: HTMLElement) =>
  within(table)
    .getAllByRole("row")
    .map((r) => Array.from(r.children).map((c) => c.textContent));

describe("heatmaps for screen readers", () => {
  it("describe their range and where the extremes are, and hold their values in a hidden table", () => {
    render(<EvalResults rows={ROWS} />);
    const pics = screen.getAllByRole("img");
    expect(pics.length).toBe(screen.getAllByTestId("eval-heatmap").length);
    for (const pic of pics) expect(description(pic)).toMatch(/\S/); // every one has a description

    const full = screen.getByRole("img", { name: "score · full" });
    expect(description(full)).toBe(
      "2 depths by 2 lengths. Lowest 0.25 at depth 0%, 1K; highest 1.00 at depth 0%, 2K. 1 cell not measured yet. 2K: beyond the model's trained context.",
    );
    // read once, as the picture's description (not a second time as a paragraph)
    expect(document.getElementById(full.getAttribute("aria-describedby")!)!.getAttribute("aria-hidden")).toBe("true");
    const table = screen.getByRole("table", { name: /^score · full: values by depth and length$/ });
    expect(table.classList.contains("visually-hidden")).toBe(true);
    expect(getComputedStyle(table).position).toBe("absolute"); // out of sight, still in the accessibility tree
    expect(cellTexts(table)).toEqual([
      ["depth", "1K", "2K (beyond the trained context)"],
      ["0%", "0.25", "1.00"],
      ["50%", "0.50", "not measured yet"],
    ]);
    // rows and columns are headers: each value is read with its depth and length
    expect(within(table).getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["0%", "50%"]);
    expect(within(table).getAllByRole("columnheader")).toHaveLength(3);
  });

  it("round as the cells do: KL in nats, differences signed", () => {
    render(<EvalResults rows={ROWS} />);
    const kl = screen.getByRole("table", { name: /^KL\(full ‖ retrieval\): values/ });
    expect(cellTexts(kl)[1]).toEqual(["0%", "2e-4", "not measured yet"]);
    expect(description(screen.getByRole("img", { name: "KL(full ‖ retrieval)" }))).toMatch(/One cell measured: 2e-4 at depth 0%, 1K\./);
    const diff = screen.getByRole("table", { name: /^score: retrieval − full: values/ });
    expect(cellTexts(diff)[1]).toEqual(["0%", "0.00", "not measured yet"]);
  });

  it("say when nothing is measured yet, and name ties", () => {
    const map: Heatmap = { task: "passkey", mode: "full", metric: "score", kind: "value", lengths: [1024, 2048], depths: [null], cells: [[1, 1]], beyond: [false, false] };
    const { unmount } = render(<EvalHeatmap map={map} title="score · full" />);
    expect(description(screen.getByRole("img"))).toBe("2 lengths. Lowest 1.00 at 1K (and 1 other cell); highest 1.00 at 1K (and 1 other cell).");
    expect(cellTexts(screen.getByRole("table"))).toEqual([
      ["depth", "1K", "2K"],
      ["no depth", "1.00", "1.00"],
    ]);
    unmount();
    render(<EvalHeatmap map={{ ...map, cells: [[null, null]] }} title="score · full" />);
    expect(description(screen.getByRole("img"))).toBe("2 lengths. Nothing measured yet.");
  });

  it("cut a large grid's table to a stated size; the description still covers every cell", () => {
    const depths = Array.from({ length: 30 }, (_, i) => i * 3);
    const lengths = Array.from({ length: 15 }, (_, j) => 1024 * (j + 1));
    const cells = depths.map((_, i) => lengths.map((_, j) => (i === 29 && j === 14 ? 0.99 : 0.1 + (i + j) / 1000)));
    const map: Heatmap = { task: "niah_single", mode: "full", metric: "score", kind: "value", lengths, depths, cells, beyond: lengths.map(() => false) };
    render(<EvalHeatmap map={map} title="score · full" />);
    const table = screen.getByRole("table");
    expect(table.querySelector("caption")!.textContent).toBe(
      `score · full: values by depth and length (the first ${TABLE_MAX_DEPTHS} of 30 depths and the first ${TABLE_MAX_LENGTHS} of 15 lengths only)`,
    );
    const rows = cellTexts(table);
    expect(rows).toHaveLength(1 + TABLE_MAX_DEPTHS);
    for (const r of rows) expect(r).toHaveLength(1 + TABLE_MAX_LENGTHS);
    expect(description(screen.getByRole("img"))).toBe("30 depths by 15 lengths. Lowest 0.10 at depth 0%, 1K; highest 0.99 at depth 87%, 15K.");
  });
});

describe("summary table in a small window", () => {
  it("scrolls sideways in its own focusable, named box instead of being cut off", () => {
    render(<EvalResults rows={ROWS} />);
    const table = screen.getByTestId("eval-summary");
    const box = table.parentElement!;
    expect(box.classList.contains("eval-results")).toBe(false); // a box of its own around the table
    expect(["auto", "scroll"]).toContain(getComputedStyle(box).overflowX);
    expect(getComputedStyle(box).maxWidth).toBe("100%");
    // reachable from the keyboard (arrow keys scroll it) and named for screen readers
    expect(box.tabIndex).toBe(0);
    expect(screen.getByRole("region", { name: "Summary by mode and length" })).toBe(box);
    // figures do not break across lines (5.19e-3 broke at its minus in a narrow window)
    const kl = within(table).getAllByRole("cell").find((c) => c.textContent === "2.00e-4")!;
    expect(getComputedStyle(kl).whiteSpace).toBe("nowrap");
    // the whole table is still there, every column of every row
    expect(within(table).getAllByRole("columnheader")).toHaveLength(10);
    for (const r of within(table).getAllByRole("row").slice(1)) expect(within(r).getAllByRole("cell")).toHaveLength(10);
  });
});
