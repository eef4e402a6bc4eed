// Window position and size, remembered between runs in <userData>/window-state.json.
// Pure functions (no Electron import) so they are tested in Node.
import * as fs from "node:fs";

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_STATE: WindowState = { width: 1400, height: 900, maximized: false };

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Reads the saved state; anything unreadable or implausible gives the default. */
export function loadWindowState(file: string, displays: Rect[]): WindowState {
  let s: Partial<WindowState>;
  try {
    s = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<WindowState>;
  } catch {
    return { ...DEFAULT_STATE };
  }
  const width = clampInt(s.width, 400, 10000, DEFAULT_STATE.width);
  const height = clampInt(s.height, 300, 10000, DEFAULT_STATE.height);
  const out: WindowState = { width, height, maximized: s.maximized === true };
  // Keep the position only if the window's top-left area is on a display we have now.
  if (Number.isInteger(s.x) && Number.isInteger(s.y) && displays.some((d) => inside(d, s.x! + 40, s.y! + 20))) {
    out.x = s.x;
    out.y = s.y;
  }
  return out;
}

export function saveWindowState(file: string, s: WindowState): void {
  try {
    fs.writeFileSync(file + ".tmp", JSON.stringify(s));
    fs.renameSync(file + ".tmp", file);
  } catch {
    /* not worth failing the quit for */
  }
}

function clampInt(v: unknown, min: number, max: number, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.round(Math.min(max, Math.max(min, v))) : dflt;
}
function inside(r: Rect, x: number, y: number): boolean {
  return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
}
