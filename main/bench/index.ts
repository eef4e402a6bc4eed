// tome bench index: recall@k versus fraction of keys scanned for the graph
// (attention-aware, built from queries), IVF (k-means over keys) and an HNSW
// built on keys alone (hnswlib-node, the reference implementation), on two
// workloads:
//   ood       the synthetic out-of-distribution generator of native/src/retrieval
//             (synthetic_workload.h documents it), run by build/native/bench_index;
//   captured  keys and prefill queries captured from a model over a book from
//             ../shared/books, one (layer, KV head): stories260K (a real model,
//             but head_dim 8) and the synthetic 'tiny' model of make-model
//             (head_dim 64, random weights); the row's `note` names the model.
// bench_index (native) writes the graph / ivf / flat / graph_keys rows and dumps
// the workload with its exact truth; the hnsw_keys rows come from hnsw.ts over
// that dump, so every index is scored on the same keys, test queries and truth.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, packageRoot } from "../engine/native";
import { hnswRows, readWorkloadDump } from "./hnsw";
import { describeHost, probeHost } from "./host-probe";
import { syntheticModel } from "./synthetic";
import { requireTestData } from "./test-data";

export interface IndexRow {
  index: string;
  workload: "ood" | "captured";
  n_keys: number;
  k: number;
  recall: number;
  scanned_frac: number;
  search_us: number;
  param?: string;
  build_s?: number;
  note?: string;             // captured: which model
  scanned_method?: string;   // hnsw_keys: how scanned_frac was counted (hnsw.ts)
  replay_agree?: number;
}

function benchBinary(): string {
  const p = path.join(packageRoot(), "build", "native", "bench_index");
  if (!fs.existsSync(p)) throw Object.assign(new Error(`${p} not built; run npm run build`), { code: "BENCH_MISSING" });
  return p;
}

function runNative(args: string[]): Record<string, unknown>[] {
  const r = spawnSync(benchBinary(), args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw nativeFailure(r);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A failed bench_index run as one line: how it ended and the last line it wrote on stderr. */
export function nativeFailure(r: ReturnType<typeof spawnSync>): Error {
  const how = r.error ? r.error.message : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
  const last = String(r.stderr ?? "").trim().split("\n").pop();
  return Object.assign(new Error(`bench_index ${how}${last ? `: ${last}` : ""}`), { code: "BENCH_FAILED" });
}

function toRows(lines: Record<string, unknown>[], workload: IndexRow["workload"]): IndexRow[] {
  return lines
    .filter((l) => typeof l.index === "string" && typeof l.recall === "number")
    .map((l) => ({
      index: String(l.index),
      workload,
      n_keys: Number(l.n_keys),
      k: Number(l.k),
      recall: Number(l.recall),
      scanned_frac: Number(l.scanned_frac),
      search_us: Number(l.search_us),
      build_s: Number(l.build_s),
      param: l.ef !== undefined ? `ef=${l.ef}` : l.nprobe !== undefined ? `nprobe=${l.nprobe}` : undefined,
    }));
}

/** Keys and queries of one (layer, KV head) of a model over a book, written for bench_index --file. */
export async function captureWorkload(modelPath: string, file: string, nTokens: number): Promise<void> {
  const addon = loadAddon();
  const model = new addon.Model(modelPath);
  const text = fs.readFileSync(path.join(requireTestData(), "books", "alice-in-wonderland_pg11.txt"), "utf8");
  const tokens = Array.from(model.tokenize(text, true, false)).slice(0, nTokens);
  const session = new addon.Session(model, { ctx: tokens.length + 8, threads: 2, attention: "retrieval", querySample: 1 });
  await session.eval(Int32Array.from(tokens));
  const info = model.info();
  const { keys, queries, dim } = session.exportQK(info.nLayer - 1, 0);
  session.close();
  const header = Buffer.alloc(16);
  header.writeUInt32LE(dim, 0);
  header.writeUInt32LE(keys.length / dim, 4);
  header.writeUInt32LE(queries.length / dim, 8);
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(keys.buffer), Buffer.from(queries.buffer)]));
}

/** bench_index rows plus the hnsw_keys rows over the same dumped workload. */
function runWorkload(args: string[], workload: IndexRow["workload"], quick: boolean, log: (s: string) => void, note?: string): IndexRow[] {
  const dump = path.join(os.tmpdir(), `tome-workload-${process.pid}.bin`);
  try {
    const rows = toRows(runNative([...args, "--dump-workload", dump, ...(quick ? ["--quick"] : [])]), workload);
    rows.push(...hnswRows(readWorkloadDump(dump), workload, quick, log));
    return note ? rows.map((r) => ({ ...r, note })) : rows;
  } finally {
    fs.rmSync(dump, { force: true });
  }
}

export async function benchIndex(o: { json: boolean; quick: boolean; threads?: number }) {
  const threads = String(o.threads ?? os.cpus().length);
  const rows: IndexRow[] = [];
  const log = (s: string) => process.stderr.write(s + "\n");
  const t0 = performance.now();
  const host = probeHost();
  log(describeHost(host));
  log("index: ood workload, 128K keys");
  rows.push(...runWorkload(["--workload", "ood", "--n", "131072", "--threads", threads, "--keys-graph"], "ood", o.quick, log));
  if (!o.quick) {
    // stories260K is trained but its head_dim is 8 (a low-dimensional search);
    // the synthetic tiny model has head_dim 64 but random weights, so its queries
    // are not trained attention queries. Neither alone is the paper's setting,
    // so both are run. 16K tokens of Alice in both; k = 100 as on OOD.
    const models: [string, string][] = [
      ["stories260K", path.join(requireTestData(), "models", "stories260K.gguf")],
      ["synthetic llama tiny q8_0 (make-model, random weights)", await syntheticModel("llama", "tiny", "q8_0")],
    ];
    for (const [name, modelPath] of models) {
      const file = path.join(os.tmpdir(), `tome-captured-${process.pid}.bin`);
      try {
        log(`index: captured workload (${name} over Alice)`);
        await captureWorkload(modelPath, file, 16384);
        rows.push(...runWorkload(["--file", file, "--threads", threads, "--keys-graph"], "captured", false, log, name));
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
  }
  for (const r of rows)
    log(`  ${r.workload} ${r.index} ${r.param ?? ""}: recall@${r.k} ${r.recall.toFixed(3)} scanning ${(100 * r.scanned_frac).toFixed(2)}% ${r.search_us.toFixed(0)} us${r.note ? ` (${r.note})` : ""}`);
  log(goalLine(rows));
  log(`index: ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
  return { suite: "index", host, rows };
}

/** The issue's goal, checked on the OOD rows: graph >= 0.95 scanning <= 2%; key-only indexes need >= 30% for 0.95. */
function goalLine(rows: IndexRow[]): string {
  const ood = rows.filter((r) => r.workload === "ood" && r.n_keys >= 131072 && r.k === 100);
  const least = (index: string) => {
    const ok = ood.filter((r) => r.index === index && r.recall >= 0.95).sort((a, b) => a.scanned_frac - b.scanned_frac)[0];
    if (ok) return { ok: true, frac: ok.scanned_frac, text: `${index} reaches 0.95 scanning ${(100 * ok.scanned_frac).toFixed(1)}%` };
    const best = ood.filter((r) => r.index === index).sort((a, b) => b.recall - a.recall)[0];
    return { ok: false, frac: 1, text: best ? `${index} never reaches 0.95 (best ${best.recall.toFixed(3)} at ${(100 * best.scanned_frac).toFixed(1)}%)` : `${index}: no rows` };
  };
  const g = least("graph"), keyOnly = ["ivf", "hnsw_keys"].map(least), extra = least("graph_keys");
  // A key-only index that never reaches 0.95 only shows it needs more than its best row scanned.
  const verdict = !g.ok || g.frac > 0.02 || keyOnly.some((x) => x.ok && x.frac < 0.3) ? "does not hold"
    : keyOnly.every((x) => x.ok) ? "HOLDS" : "holds for graph; a key-only index never reached 0.95";
  return `goal (ood, 128K, recall@100): ${verdict}: ${[g, ...keyOnly, extra].map((x) => x.text).join("; ")}`;
}
