// tome bench index: recall@k versus fraction of keys scanned for the graph
// (attention-aware, built from queries), IVF (k-means over keys) and an HNSW
// built on keys alone (hnswlib-node, the reference implementation), on two
// workloads:
//   ood       the synthetic out-of-distribution generator of native/src/retrieval
//             (synthetic_workload.h documents it), run by build/native/bench_index;
//   captured  keys and prefill queries captured from a real model (stories260K
//             over a book from ../shared/books), one (layer, KV head).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, packageRoot } from "../engine/native";
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
}

function benchBinary(): string {
  const p = path.join(packageRoot(), "build", "native", "bench_index");
  if (!fs.existsSync(p)) throw Object.assign(new Error(`${p} not built; run npm run build`), { code: "BENCH_MISSING" });
  return p;
}

function runNative(args: string[]): Record<string, unknown>[] {
  const r = spawnSync(benchBinary(), args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bench_index failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
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
      param: l.ef !== undefined ? `ef=${l.ef}` : l.nprobe !== undefined ? `nprobe=${l.nprobe}` : undefined,
    }));
}

/** Keys and queries of one (layer, KV head) of stories260K over a book, written for bench_index --file. */
async function captureWorkload(file: string, nTokens: number): Promise<void> {
  const addon = loadAddon();
  const model = new addon.Model(path.join(requireTestData(), "models", "stories260K.gguf"));
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

export async function benchIndex(o: { json: boolean; quick: boolean; threads?: number }) {
  const threads = String(o.threads ?? os.cpus().length);
  const rows: IndexRow[] = [];
  const log = (s: string) => process.stderr.write(s + "\n");
  log("index: ood workload, 128K keys");
  rows.push(...toRows(runNative(["--workload", "ood", "--n", "131072", "--threads", threads, "--keys-graph", ...(o.quick ? ["--quick"] : [])]), "ood"));
  if (!o.quick) {
    const file = path.join(os.tmpdir(), `tome-captured-${process.pid}.bin`);
    try {
      log("index: captured workload (stories260K over Alice)");
      await captureWorkload(file, 16384);
      rows.push(...toRows(runNative(["--file", file, "--threads", threads, "--keys-graph", "--k", "32"]), "captured"));
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  for (const r of rows) log(`  ${r.workload} ${r.index} ${r.param ?? ""}: recall@${r.k} ${r.recall.toFixed(3)} scanning ${(100 * r.scanned_frac).toFixed(2)}%`);
  return { suite: "index", rows };
}
