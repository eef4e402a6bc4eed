// tome bench store: the KV store on a synthetic smol-shape model (make-model,
// SmolLM-135M shapes, Q8_0) over a book from ../shared/books, in retrieval mode
// with the default settings. Each case runs in its own process (store-case.ts):
//   prefill  prefill the book with the store attached (every chunk committed),
//            then build and store the indexes: seconds, ms per token, peak RSS;
//            with layer_major, one prefillDocument() call (layer by layer, each
//            layer's K/V to the store and its index built), with no budget
//            (ram_budget_frac 1) and under budgets (each layer's rows out of
//            RAM once stored): the peak RSS of a prefill larger than RAM
//   reopen   a new process opens the store and evaluates the first token of a
//            question: seconds from open to logits (no prefill, no build)
//   budget   decode under a RAM budget of the host tier (fraction of its
//            unlimited size; 1 = no budget), peak RSS of the decode phase
//   short    a book under fullBelow (full attention), read as the app reads it,
//            without and with its store: the host tier's RAM and the RSS after
//            the first token of a question (with a store its prefill queries
//            are there, not in RAM, until a longer conversation builds the index)
// Rows: {"case","ctx","ram_budget_frac","seconds","ms_per_token","rss_bytes","store_bytes",...}.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_FULL_BELOW, loadAddon, type SessionOptions } from "../engine/native";
import { syntheticModel, benchDir } from "./synthetic";
import { requireTestData } from "./test-data";
import type { StoreCaseArgs } from "./store-case";
import type { BenchOptions } from "../cli/commands/bench";

export interface StoreRow {
  case: "prefill" | "reopen" | "budget" | "short";
  ctx: number;
  ram_budget_frac: number | null;
  eviction?: string;
  seconds?: number;
  ms_per_token?: number;
  rss_bytes?: number;
  store_bytes?: number;
  [k: string]: unknown;
}

function runCase(args: StoreCaseArgs): Record<string, unknown> {
  // the arguments (a document of tens of thousands of tokens) go in a file: argv is limited to 128 KiB an argument
  const argsFile = path.join(path.dirname(args.store), "case-args.json");
  fs.writeFileSync(argsFile, JSON.stringify(args));
  const r = spawnSync(process.execPath, [path.join(__dirname, "store-case.js"), argsFile], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.error) return { error: `case ${args.case} could not run: ${r.error.message}` };
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    return { error: `case ${args.case} failed (exit ${r.status}): ${r.stderr.trim().slice(-500)}` };
  }
}

export async function benchStore(o: BenchOptions) {
  const wants = (c: string) => !o.cases || o.cases.includes(c);
  const threads = o.threads ?? os.cpus().length;
  const ctx = o.quick ? 4096 : 32768;
  const data = requireTestData();
  const modelPath = await syntheticModel("llama", "smol", "q8_0");
  const model = new (loadAddon().Model)(modelPath);
  const text = fs.readFileSync(path.join(data, "books", "war-and-peace_pg2600.txt"), "utf8").replace(/\r\n/g, "\n");
  const tokens = Array.from(model.tokenize(text, true, false)).slice(0, ctx);
  const dir = fs.mkdtempSync(path.join(benchDir(), "store-"));
  const store = path.join(dir, "book.tomekv");
  const session: SessionOptions = { ctx: ctx + 1024, threads, attention: "retrieval" };
  const base = { model: modelPath, store, tokens, session };
  const rows: StoreRow[] = [];
  const say = (r: StoreRow) => {
    rows.push(r);
    if (!o.json) process.stderr.write(`tome bench store: ${JSON.stringify(r)}\n`);
  };
  try {
    if (wants("short")) {
      // (quick: the quick book; else the longest the default fullBelow keeps on full attention)
      const n = o.quick ? ctx : DEFAULT_FULL_BELOW - 1024;
      const short = { ...base, tokens: tokens.slice(0, n), session: { ...session, ctx: n + 1024, fullBelow: DEFAULT_FULL_BELOW } };
      for (const withStore of [false, true]) {
        const r = runCase({ ...short, store: path.join(dir, "short.tomekv"), case: "short", withStore });
        say({ case: "short", ctx: n, ram_budget_frac: null, ...r });
      }
      if (o.cases?.every((c) => c === "short")) return { suite: "store", rows };
    }
    const p = runCase({ ...base, case: "prefill" });
    say({ case: "prefill", ctx, ram_budget_frac: null, ms_per_token: (Number(p.seconds) * 1000) / ctx, ...p });
    // (the layer-major release does not depend on the budget's size; below the resident
    // indexes, about two thirds of the host tier here, each layer's indexes page out as built)
    for (const frac of wants("layer-major") ? [1, 0.7, 0.35] : []) {
      const lm = path.join(dir, "layer-major.tomekv");
      const budget = frac < 1 ? { ramBudgetFrac: frac } : {};
      const q = runCase({ ...base, store: lm, session: { ...session, ...budget }, case: "prefill", layerMajor: true });
      const rssShare = Number(q.rss_bytes) / Number(p.rss_bytes);
      say({ case: "prefill", ctx, ram_budget_frac: frac, ms_per_token: (Number(q.seconds) * 1000) / ctx, rss_vs_token_major: rssShare, ...q });
      fs.rmSync(lm, { force: true });
      for (const ext of ["-wal", "-shm"]) fs.rmSync(lm + ext, { force: true });
    }
    if (wants("reopen")) {
      const r = runCase({ ...base, case: "reopen" });
      say({ case: "reopen", ctx, ram_budget_frac: null, speedup_vs_prefill: Number(p.seconds) / Number(r.seconds), ...r });
    }
    // decode at each budget from a fresh copy of the store (decoding appends nothing unless flushed,
    // but the copy keeps every case's start identical)
    // (resident, the indexes are 60-70% of the host tier; below that their keys and adjacency
    // are paged out, and below ~20% at 32K their navigation codes too; what stays, degrees,
    // anchor queries and the tables, is ~7% of it at 32K, ~30% at 4K: the floor of any budget,
    // so the quick run stops at 35%)
    const decode = o.quick ? 64 : 160;
    const fracs: [number, "lru" | "lfu"][] = o.quick
      ? [[1, "lfu"], [0.9, "lfu"], [0.5, "lfu"], [0.5, "lru"], [0.35, "lfu"]]
      : [[1, "lfu"], [0.9, "lfu"], [0.7, "lfu"], [0.5, "lfu"], [0.25, "lfu"], [0.25, "lru"], [0.1, "lfu"]];
    for (const [frac, eviction] of wants("budget") ? fracs : []) {
      const copy = path.join(dir, "copy.tomekv");
      fs.copyFileSync(store, copy);
      const budget = frac < 1 ? { ramBudgetFrac: frac, eviction } : {};
      const b = runCase({ ...base, store: copy, session: { ...session, ...budget }, case: "budget", decode });
      const res = b.residency as
        | { indexBytes: number; budgetBytes: number; indexesPaged: boolean; codesPaged: boolean }
        | undefined;
      // the indexes' share of the host tier (paged out: their floor and record caches)
      const indexShare = res && res.budgetBytes > 0 ? (res.indexBytes / res.budgetBytes) * frac : undefined;
      say({ case: "budget", ctx, ram_budget_frac: frac, eviction: frac < 1 ? eviction : undefined, index_share: indexShare,
            indexes_paged: res?.indexesPaged, codes_paged: res?.codesPaged, ...b });
      fs.rmSync(copy, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { suite: "store", rows };
}
