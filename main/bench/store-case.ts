// One case of `tome bench store`, in its own process so that its peak RSS is
// its own: prints one JSON line. Invoked by store.ts as
//   node store-case.js ARGS.json      ({"case":"prefill"|"reopen"|"budget"|"short", ...})
// The Linux peak-RSS counter (VmHWM) is reset through /proc/self/clear_refs
// where a case measures one phase only (decode under a budget).
import * as fs from "node:fs";
import { storeBytesOnDisk } from "../engine/kv-cache";
import { loadAddon, type SessionOptions } from "../engine/native";

export interface StoreCaseArgs {
  case: "prefill" | "reopen" | "budget" | "short";
  model: string;
  store: string;
  tokens: number[];      // the document
  session: SessionOptions;
  decode?: number;       // budget: tokens to decode
  layerMajor?: boolean;  // prefill: the document in one layer-major prefillDocument() (index built with it)
  withStore?: boolean;   // short: the book read with its store attached
}

function status(field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

function resetPeak(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

const argmax = (a: Float32Array) => a.reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);

async function main() {
  const a = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as StoreCaseArgs;
  const addon = loadAddon();
  const model = new addon.Model(a.model);
  const weights = model.info().weightBytes;
  const session = new addon.Session(model, a.session);
  const out: Record<string, unknown> = { weights_bytes: weights };
  const t0 = performance.now();
  if (a.case === "prefill" && a.layerMajor) {
    // each layer to the store, its index built, and (under a budget) its rows out of RAM
    await session.attachStore(a.store, { doc: "bench", model: "smol" });
    await session.prefillDocument(Int32Array.from(a.tokens));
    out.layer_major = true;
    out.sparse = session.lastStats().sparse;
    out.residency = session.residency();
    out.seconds = (performance.now() - t0) / 1000;
  } else if (a.case === "prefill") {
    await session.attachStore(a.store, { doc: "bench", model: "smol" });
    for (let at = 0; at < a.tokens.length; at += 2048)
      await session.prefill(Int32Array.from(a.tokens.slice(at, at + 2048)));
    const tIndex = performance.now();
    await session.buildIndex();
    out.prefill_seconds = (tIndex - t0) / 1000;
    out.index_seconds = (performance.now() - tIndex) / 1000;
    out.seconds = (performance.now() - t0) / 1000;
  } else if (a.case === "short") {
    // a book under fullBelow, read as the app reads it: it stays on full attention, its
    // prefill queries kept for the index a longer conversation will need (in RAM, or in the store)
    if (a.withStore) await session.attachStore(a.store, { doc: "bench", model: "smol" });
    session.sealPrefix(a.tokens.length);
    await session.prefillDocument(Int32Array.from(a.tokens));
    await session.eval(Int32Array.of(a.tokens[a.tokens.length - 1])); // the first token of a question
    out.with_store = a.withStore === true;
    out.sparse = session.lastStats().sparse;
    out.host_ram_bytes = session.hostRamBytes();
    out.seconds = (performance.now() - t0) / 1000;
  } else if (a.case === "reopen") {
    const restored = await session.attachStore(a.store);
    await session.eval(Int32Array.of(a.tokens[a.tokens.length - 1])); // the first token of a question
    out.restored = restored;
    out.seconds = (performance.now() - t0) / 1000;
  } else {
    await session.attachStore(a.store);
    out.rss_at_open_bytes = status("VmRSS");        // what the reopen left resident
    out.rss_open_peak_bytes = status("VmHWM");      // the most the reopen held at once
    out.peak_reset = resetPeak();
    let logits = await session.eval(Int32Array.of(a.tokens[a.tokens.length - 1]));
    const stepLogits = new Float32Array(logits.length); // every step's logits, one array, as the app decodes
    // two halves: the first reads back rows a lazy reopen left in the store (cold), the
    // second is the row cache's steady state; ms_per_token is the whole run
    const n = a.decode ?? 32, half = Math.floor(n / 2);
    const t1 = performance.now();
    for (let i = 0; i < half; i++) logits = await session.evalInto(Int32Array.of(argmax(logits)), stepLogits);
    const t2 = performance.now();
    for (let i = half; i < n; i++) logits = await session.evalInto(Int32Array.of(argmax(logits)), stepLogits);
    const t3 = performance.now();
    out.ms_per_token = (t3 - t1) / n;
    out.ms_per_token_first_half = (t2 - t1) / Math.max(1, half);
    out.ms_per_token_second_half = (t3 - t2) / Math.max(1, n - half);
    out.residency = session.residency();
    out.seconds = (performance.now() - t0) / 1000;
  }
  out.rss_bytes = status("VmHWM");
  out.rss_now_bytes = status("VmRSS");
  out.store_bytes = storeBytesOnDisk(a.store);
  out.kv_reserved_bytes = session.kvBytes();
  session.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: `${(e as { code?: string }).code ?? "ERROR"}: ${(e as Error).message}` }) + "\n");
  process.exitCode = 1;
});
