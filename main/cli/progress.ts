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

export function prefillProgress(
  out: ProgressOutput = process.stderr,
  now: () => number = () => performance.now(),
  delayMs = 1000,
): Progress {
  const t0 = now();
  let first: { done: number; at: number } | undefined; // the rate is measured from the first report on
  let lastTenth = -1;
  let inPlace = false;
  return {
    update(done, total) {
      const at = now();
      first ??= { done, at };
      if (at - t0 < delayMs || total <= 0) return;
      const line = progressLine(done, total, at - t0, rate(first, done, at));
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

export function progressLine(done: number, total: number, elapsedMs: number, tokensPerS?: number): string {
  const pct = Math.floor((100 * done) / total);
  let line = `tome: prefill ${done}/${total} tokens (${pct}%), ${(elapsedMs / 1000).toFixed(0)} s`;
  if (tokensPerS !== undefined) {
    line += `, ${tokensPerS.toFixed(0)} tokens/s`;
    if (done < total) line += `, about ${Math.ceil((total - done) / tokensPerS)} s left`;
  }
  return line;
}
