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
const MIN_WIDTH = 400;
const MIN_HEIGHT = 300;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Reads the saved state; anything unreadable or implausible gives the default.
 * `displays`: the work areas of the displays there are now, the primary first
 * (a window without a position opens centred on it).
 */
export function loadWindowState(file: string, displays: Rect[]): WindowState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return { ...DEFAULT_STATE };
  }
  // "null", a number, an array: valid JSON, but no state.
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ...DEFAULT_STATE };
  const s = raw as Record<string, unknown>;
  const out: WindowState = {
    width: clampInt(s.width, MIN_WIDTH, 10000, DEFAULT_STATE.width),
    height: clampInt(s.height, MIN_HEIGHT, 10000, DEFAULT_STATE.height),
    maximized: s.maximized === true,
  };
  // Keep the position only if the window's top-left area is on a display we have now.
  const x = s.x, y = s.y;
  const home =
    typeof x === "number" && typeof y === "number" && Number.isInteger(x) && Number.isInteger(y)
      ? displays.find((d) => inside(d, x + 40, y + 20))
      : undefined;
  // Never larger than the display it opens on (the state may come from a bigger
  // monitor since unplugged), and wholly on it.
  const area = home ?? displays[0];
  if (area) {
    out.width = Math.max(MIN_WIDTH, Math.min(out.width, area.width));
    out.height = Math.max(MIN_HEIGHT, Math.min(out.height, area.height));
  }
  if (home) {
    out.x = Math.max(home.x, Math.min(x as number, home.x + home.width - out.width));
    out.y = Math.max(home.y, Math.min(y as number, home.y + home.height - out.height));
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
