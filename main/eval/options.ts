// Parsing of tome eval's list options, shared by the CLI and the app's
// Evaluate request: lengths ("4K,16K,2048"), depths ("0,25,50,75,100"), task
// and mode names. Errors are plain messages; callers wrap them.
import { EVAL_MODES, TASKS, type EvalMode, type TaskName } from "./types";

/** The longest context the engine holds (kMaxCtx in native/src/addon/session_wrap.cpp). */
export const MAX_LENGTH = 1 << 24;

/** "4K" = 4096, "1.5K" = 1536, "128k" = 131072, "2000" = 2000; 64 to MAX_LENGTH tokens. */
export function parseLength(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kK])?$/.exec(s.trim());
  if (!m) throw new Error(`bad length '${s}' (use e.g. 4K, 16K or 2048)`);
  const n = Math.round(Number(m[1]) * (m[2] ? 1024 : 1));
  if (n < 64) throw new Error(`length ${n} is too short (at least 64 tokens)`);
  if (n > MAX_LENGTH) throw new Error(`length ${s.trim()} is more than the engine's context limit (${MAX_LENGTH} tokens)`);
  return n;
}

export function parseList<T>(s: string, one: (x: string) => T): T[] {
  const out = s.split(",").map((x) => x.trim()).filter(Boolean).map(one);
  if (!out.length) throw new Error("empty list");
  return [...new Set(out)];
}

export function parseDepth(s: string): number {
  const n = Number(s);
  if (!/^\d+(\.\d+)?$/.test(s.trim()) || n > 100) throw new Error(`bad depth '${s}' (percent, 0 to 100)`);
  return n;
}

export function parseTask(s: string): TaskName {
  if (!(TASKS as readonly string[]).includes(s)) throw new Error(`unknown task '${s}' (tasks: ${TASKS.join(", ")})`);
  return s as TaskName;
}

export function parseMode(s: string): EvalMode {
  if (!(EVAL_MODES as readonly string[]).includes(s)) throw new Error(`unknown mode '${s}' (modes: ${EVAL_MODES.join(", ")})`);
  return s as EvalMode;
}

/** The lengths run by default: the standard RULER lengths up to the trained context, or the trained context itself. */
export function defaultLengths(nCtxTrain: number): number[] {
  const std = [4096, 8192, 16384, 32768, 65536, 131072].filter((l) => l <= nCtxTrain);
  return std.length ? std : [nCtxTrain];
}

export const lengthLabel = (n: number) => (n % 1024 === 0 ? `${n / 1024}K` : String(n));
