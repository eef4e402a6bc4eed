// Progress of a long prefill on stderr (a 22K-token book takes minutes on a
// laptop): one line rewritten in place on a terminal, a line at every tenth
// otherwise (a log keeps each line). A prefill that ends within `delayMs` shows
// nothing: a bar that flashes past is noise.

export interface ProgressOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Clears the line rewritten in place, so the next line starts clean. */
  end(): void;
}

/**
 * The time left in ms, given the first report's `done` (where the read started: a store may
 * hold the opening), the latest `done` and the ms since the first report; null when it cannot
 * tell yet. Without one, the rate in tokens gives it.
 */
export type TimeLeft = (first: number, done: number, total: number, ms: number) => number | null;

export function prefillProgress(
  out: ProgressOutput = process.stderr,
  now: () => number = () => performance.now(),
  delayMs = 1000,
  timeLeft?: TimeLeft,
): Progress {
  const t0 = now();
  let first: { done: number; at: number } | undefined; // the rate is measured from the first report on
  let lastTenth = -1;
  let inPlace = false;
  return {
    update(done, total) {
      const at = now();
      first ??= { done, at };
      const leftMs = timeLeft?.(first.done, done, total, at - first.at);
      if (at - t0 < delayMs || total <= 0) return;
      const line = progressLine(done, total, at - t0, rate(first, done, at), leftMs);
      if (out.isTTY) {
        out.write(`\r${line}\x1b[K`);
        inPlace = true;
        return;
      }
      const tenth = Math.floor((10 * done) / total);
      if (tenth > lastTenth) out.write(line + "\n");
      lastTenth = tenth;
    },
    end() {
      if (inPlace) out.write("\r\x1b[K");
      inPlace = false;
    },
  };
}

/** Tokens per second since the first report, or undefined before a second one. */
function rate(first: { done: number; at: number }, done: number, at: number): number | undefined {
  const ms = at - first.at;
  return ms > 0 && done > first.done ? ((done - first.done) * 1000) / ms : undefined;
}

/** leftMs: the time left as estimated (TimeLeft), else (undefined, null) by the rate. */
export function progressLine(done: number, total: number, elapsedMs: number, tokensPerS?: number, leftMs?: number | null): string {
  const pct = Math.floor((100 * done) / total);
  let line = `tome: prefill ${done}/${total} tokens (${pct}%), ${(elapsedMs / 1000).toFixed(0)} s`;
  if (tokensPerS !== undefined) {
    line += `, ${tokensPerS.toFixed(0)} tokens/s`;
    const left = leftMs != null ? leftMs / 1000 : (total - done) / tokensPerS;
    if (done < total) line += `, about ${Math.ceil(left)} s left`;
  }
  return line;
}
