// Number formatting for the panels, and the engine's activity in words.
import type { EngineActivity } from "../../main/ipc/contract";

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${u[i]}`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(n < 10 ? 1 : 0)} ms`;
}

export function int(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

export function rate(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : `${n.toFixed(n < 10 ? 1 : 0)} tok/s`;
}

/** What the engine is doing, in words ("Send waits: the engine is running an evaluation"). */
export const DOING: Record<Exclude<EngineActivity, "idle">, string> = {
  loading: "loading a model",
  reading: "reading a book",
  answering: "answering",
  evaluating: "running an evaluation",
};
