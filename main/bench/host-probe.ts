// The host a bench ran on, in the two numbers that explain most of its
// retrieval figures: which CPU, and what a random read of memory costs.
// The development VM lands on different hosts between runs (AMD family 25
// model 17, a Zen 4 whose 512-bit FMAs run as two halves; family 26 model 2,
// a Zen 5), and the 128K retrieval row, bound by random reads spread over its
// indexes and cache, moves with the second number more than any other row:
// a host of 2026-12-01 read ~240 ns a chased line over 4 GB, the Zen 5 host of
// 2026-12-04 400-500 ns over 2-8 GB, and there the retrieval 128K / 4K ratio
// read 1.56-1.80x against 1.42-1.50x in the quiet hours before
// (docs/retrieval-measurements.md, session 37). The chase here spans 1 GiB
// (~3.5 s): 214-340 ns a line on that Zen 5 host.
import * as fs from "node:fs";
import * as os from "node:os";

export interface HostProbe {
  /** os.cpus()[0].model, and the x86 family and model where /proc/cpuinfo says them. */
  cpu: string;
  cpu_family?: number;
  cpu_model?: number;
  /** ns per step of a dependent chase through random 64-byte lines of a probe_bytes buffer. */
  random_read_ns: number;
  probe_bytes: number;
}

/**
 * next[i] for i in [0, n): one cycle through all n, so that a chase from any i visits every
 * element before it repeats. A random order of [0, n) (Fisher-Yates over a fixed LCG), each
 * element linked to the one after it.
 */
export function singleCycle(n: number, seed = 0x9e3779b9): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 4294967296) * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[order[i]] = order[(i + 1) % n];
  return next;
}

const LINE_INTS = 16; // 64-byte lines of int32
const MAX_SLOTS = 1 << 20;

/**
 * Mean ns per step of `steps` dependent reads through random 64-byte lines spread over a `bytes`
 * buffer: one line in each of up to 2^20 equal spans (a line at a random offset in its span), the
 * spans chained in one random cycle, so that every step lands far from the one before.
 */
export function randomReadNs(bytes: number, steps: number): number {
  const lines = Math.max(2, Math.floor(bytes / (LINE_INTS * 4)));
  const slots = Math.min(lines, MAX_SLOTS);
  const span = Math.floor(lines / slots);
  const next = singleCycle(slots);
  const line = new Int32Array(slots);
  let s = 12345;
  for (let i = 0; i < slots; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    line[i] = i * span + (s % span);
  }
  const a = new Int32Array(lines * LINE_INTS);
  for (let i = 0; i < slots; i++) a[line[i] * LINE_INTS] = line[next[i]] * LINE_INTS;
  for (let p = 0; p < a.length; p += 1024) a[p + 1] = 1; // fault every 4 KiB page in: none is timed
  let x = line[0] * LINE_INTS;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) x = a[x];
  const ns = Number(process.hrtime.bigint() - t0) / steps;
  if (x < 0) throw new Error("unreachable"); // keeps the chase live
  return ns;
}

function cpuinfoField(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}\\s*:\\s*(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The CPU and a 1 GiB random-read chase (~3.5 s here; run it before the sessions fill memory). */
export function probeHost(bytes = 1 << 30, steps = 1 << 21): HostProbe {
  const probe: HostProbe = { cpu: os.cpus()[0]?.model ?? "unknown", random_read_ns: 0, probe_bytes: bytes };
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8");
    probe.cpu_family = cpuinfoField(info, "cpu family");
    probe.cpu_model = cpuinfoField(info, "model");
  } catch {
    // not Linux: the model string alone
  }
  probe.random_read_ns = randomReadNs(bytes, steps);
  return probe;
}

/** One line for a bench's log. */
export function describeHost(h: HostProbe): string {
  const fam = h.cpu_family !== undefined ? ` (family ${h.cpu_family} model ${h.cpu_model})` : "";
  const size = h.probe_bytes >= 2 ** 30 ? `${(h.probe_bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(h.probe_bytes / 2 ** 20)} MiB`;
  return `host: ${h.cpu}${fam}, random read ${h.random_read_ns.toFixed(0)} ns a line over ${size}`;
}
