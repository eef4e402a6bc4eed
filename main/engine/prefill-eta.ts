// Time left of a prefill from its progress so far. A stretch of the read takes
//   ms = alpha * (matmul + kappa * attention)
// of its work (prefill-work.ts): alpha, the host's ms per matmul FLOP, from the
// latest quarter of the time (a host's speed moves), and kappa, attention's cost
// per FLOP over the matmuls', fitted by least squares (relative errors) over the stretches once
// their attention shares are far enough apart to tell it, else KAPPA_PRIOR.
// Measured (prefill of 256-token chunks): ~1.1 on a 2-core Xeon (smol, Q8_0), ~2.2
// from the README's Zen 4 figures (5 ns a key and head at head dim 64, 107-129 GFLOP/s
// of Q8_0 matmul a thread). A rate from tokens alone says a 128K-token book's read
// ends after about a quarter of the time it takes, once a tenth is read (1b shape).
import { prefillWork, type ModelShape, type PrefillWork } from "./prefill-work";

export const KAPPA_PRIOR = 1.5;
const KAPPA_MIN = 0.25;
const KAPPA_MAX = 8;
/** How far apart (attention FLOPs per matmul FLOP) the stretches' shares must be for the fit to be trusted whole. */
const SPREAD_TRUSTED = 1;

interface Sample {
  ms: number;
  matmul: number;
  attention: number;
}

export class PrefillEta {
  private samples: Sample[] = [{ ms: 0, matmul: 0, attention: 0 }];

  constructor(private total: PrefillWork) {}

  /** Progress: `ms` since the read began, `done` its work so far (both only grow). */
  add(ms: number, done: PrefillWork) {
    const last = this.samples[this.samples.length - 1];
    if (ms <= last.ms || done.matmul + done.attention <= last.matmul + last.attention) return;
    this.samples.push({ ms, matmul: done.matmul, attention: done.attention });
  }

  /** Attention's cost per FLOP relative to the matmuls', as measured so far. */
  kappa(): number {
    const steps = this.stretches();
    // the first stretch also pays for the weights' first reads from disk: left out once others can tell
    const fitted = steps.length >= 3 ? steps.slice(1) : steps;
    let smm = 0, sma = 0, saa = 0, stm = 0, sta = 0;
    let lo = Infinity, hi = -Infinity;
    for (const s of fitted) {
      // relative errors (each stretch weighted by 1 / ms^2): a host's noise is a share of
      // a stretch's time, and the long stretches late in a read would otherwise outweigh
      // the short early ones that tell the matmuls' cost
      const w = 1 / (s.ms * s.ms);
      smm += w * s.matmul * s.matmul;
      sma += w * s.matmul * s.attention;
      saa += w * s.attention * s.attention;
      stm += w * s.ms * s.matmul;
      sta += w * s.ms * s.attention;
      if (s.matmul > 0) {
        lo = Math.min(lo, s.attention / s.matmul);
        hi = Math.max(hi, s.attention / s.matmul);
      }
    }
    const det = smm * saa - sma * sma;
    const trust = fitted.length >= 2 && hi > lo ? Math.min(1, (hi - lo) / SPREAD_TRUSTED) : 0;
    if (trust === 0 || !(det > 0)) return KAPPA_PRIOR;
    const alpha = (stm * saa - sta * sma) / det;
    const beta = (sta * smm - stm * sma) / det;
    if (!(alpha > 0) || !(beta > 0)) return KAPPA_PRIOR;
    const fit = Math.min(KAPPA_MAX, Math.max(KAPPA_MIN, beta / alpha));
    return trust * fit + (1 - trust) * KAPPA_PRIOR;
  }

  /** Milliseconds left, or null before any progress. */
  etaMs(): number | null {
    const last = this.samples[this.samples.length - 1];
    if (this.samples.length < 2) return null;
    const kappa = this.kappa();
    // the rate of the latest quarter of the time (at least the last stretch)
    let from = this.samples.length - 2;
    while (from > 0 && last.ms - this.samples[from - 1].ms <= last.ms / 4) from--;
    const start = this.samples[from];
    const work = last.matmul - start.matmul + kappa * (last.attention - start.attention);
    if (!(work > 0)) return null;
    const msPerWork = (last.ms - start.ms) / work;
    const left = Math.max(0, this.total.matmul - last.matmul) + kappa * Math.max(0, this.total.attention - last.attention);
    return left * msPerWork;
  }

  /** The work and time of each stretch between two progress reports. */
  private stretches(): Sample[] {
    const out: Sample[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1], b = this.samples[i];
      out.push({ ms: b.ms - a.ms, matmul: b.matmul - a.matmul, attention: b.attention - a.attention });
    }
    return out;
  }
}

/**
 * The time left of a read of positions [from, to) (null until it can tell) as it reports
 * `at`, `ms` after it began: `at` is a position, but within a layer-major part [from,
 * layerMajorTo), where every layer takes all the positions in turn, the share of the part's
 * (layer, chunk) steps done, scaled to the part: that share of its work is done.
 */
export function readTimeLeft(m: ModelShape, from: number, to: number, layerMajorTo = from): (at: number, ms: number) => number | null {
  const eta = new PrefillEta(prefillWork(m, from, to));
  const layerMajor = prefillWork(m, from, layerMajorTo);
  return (at, ms) => {
    const position = Math.min(to, Math.max(from, at));
    if (position >= layerMajorTo) eta.add(ms, prefillWork(m, from, position));
    else {
      const share = (position - from) / (layerMajorTo - from);
      eta.add(ms, { matmul: layerMajor.matmul * share, attention: layerMajor.attention * share });
    }
    return eta.etaMs();
  };
}
