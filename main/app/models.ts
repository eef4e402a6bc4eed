// Model files: the ones in the models folder, recent ones, the one given on the
// command line. A path coming from the UI is only accepted when it is one of
// these (or inside the models folder): the UI cannot make the engine open an
// arbitrary file.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppError } from "../ipc/errors";
import type { MemoryNeed, ModelDetails, ModelEntry, Settings } from "../ipc/contract";
import type { GgufSummary } from "../engine/native";
import { fileTypeName, tensorTypeCounts } from "../engine/file-type";
import { estimateMemory, estimateRetrievalHost } from "../engine/memory";

function entry(p: string, source: ModelEntry["source"]): ModelEntry | null {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? { path: p, name: path.basename(p), sizeBytes: st.size, source } : null;
  } catch {
    return null;
  }
}

export function listModels(settings: Settings, cliModel: string | null): ModelEntry[] {
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const add = (e: ModelEntry | null) => {
    if (e && !seen.has(e.path)) {
      seen.add(e.path);
      out.push(e);
    }
  };
  if (cliModel) add(entry(cliModel, "cli"));
  for (const p of settings.recentModels) add(entry(p, "recent"));
  try {
    for (const f of fs.readdirSync(settings.modelsDir).sort()) {
      if (f.toLowerCase().endsWith(".gguf")) add(entry(path.join(settings.modelsDir, f), "models-dir"));
    }
  } catch {
    /* no models folder yet */
  }
  return out;
}

/** The real path of an allowed model file, or BAD_REQUEST. */
export function allowedModelPath(p: string, settings: Settings, cliModel: string | null): string {
  if (!path.isAbsolute(p) || !p.toLowerCase().endsWith(".gguf")) {
    throw new AppError("BAD_REQUEST", "A model must be an absolute path to a .gguf file.");
  }
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new AppError("NOT_FOUND", `Model file not found: ${p}`);
  }
  const known = [cliModel, ...settings.recentModels].filter((x): x is string => !!x).map((x) => safeReal(x));
  let dir = "";
  try {
    dir = fs.realpathSync(settings.modelsDir);
  } catch {
    /* none */
  }
  const inDir = dir !== "" && real.startsWith(dir + path.sep);
  if (!inDir && !known.includes(real)) {
    throw new AppError("BAD_REQUEST", "That model is not in the models folder or the recent models; open it with the dialog or put it in the models folder.");
  }
  if (!fs.statSync(real).isFile()) throw new AppError("BAD_REQUEST", "A model must be a file.");
  return real;
}

function safeReal(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

const SHOWN_KEYS = /^(general\.(name|architecture|basename|size_label|quantization_version|file_type|license)|tokenizer\.ggml\.(model|pre)|[a-z0-9_]+\.(context_length|embedding_length|block_count|attention\.head_count(_kv)?|rope\.freq_base|vocab_size|expert_count|expert_used_count))$/;

export function modelDetails(
  p: string,
  summary: GgufSummary,
  settings: Settings,
): ModelDetails {
  const md = summary.metadata;
  const arch = typeof md["general.architecture"] === "string" ? (md["general.architecture"] as string) : "unknown";
  const metadata: ModelDetails["metadata"] = {};
  for (const [k, v] of Object.entries(md)) if (SHOWN_KEYS.test(k) && typeof v !== "object") metadata[k] = v;
  const fileType = fileTypeName(md["general.file_type"]);
  if (fileType) metadata["general.file_type"] = `${fileType} (${md["general.file_type"]})`;
  metadata["tensors"] = summary.tensors.length;
  if (summary.tensors.length > 0) metadata["tensor types"] = tensorTypeCounts(summary.tensors);
  const ctxLen = md[`${arch}.context_length`];
  const contextLength = typeof ctxLen === "number" ? ctxLen : null;
  const ctx = Math.min(settings.ctx, contextLength ?? settings.ctx);
  let memory: MemoryNeed | null = null;
  const estimate = estimateMemory(summary, ctx);
  if (estimate) {
    const perToken = estimate.kvBytes / ctx;
    // in RAM beside the book's KV store (Gemma 3's local layers keep their window only)
    const kvBytes = estimate.kvBytesInRam;
    const a = settings.attention;
    const deviceKv = perToken * Math.min(ctx, a.sinks + a.window + a.topK);
    const host = estimateRetrievalHost(summary, ctx, a.sinks, a.window);
    memory = {
      ctx,
      weightBytes: estimate.weightBytes,
      kvBytes,
      totalBytes: estimate.weightBytes + kvBytes,
      retrieval: {
        deviceKvBytes: deviceKv,
        hostKvBytes: kvBytes - deviceKv + 0,
        totalDeviceBytes: estimate.weightBytes + deviceKv,
        indexBytes: host?.indexBytes ?? 0,
        // (the app reads every book with its KV store: one layer's queries in RAM at a time)
        readQueryBytes: host?.readQueryLayerBytes ?? 0,
      },
    };
  }
  return {
    path: p,
    name: path.basename(p),
    sizeBytes: summary.fileSize,
    arch,
    contextLength,
    hasChatTemplate: typeof md["tokenizer.chat_template"] === "string",
    metadata,
    memory,
    warning: memory ? fitWarning(memory, settings) : null,
  };
}

/**
 * What the chosen mode holds in RAM at most: weights and K/V, and in retrieval mode the graph
 * indexes and, while a book is read (until its indexes are built), its sampled queries.
 */
export function memoryAtPeak(memory: MemoryNeed, settings: Settings): number {
  if (settings.attention.mode !== "retrieval") return memory.totalBytes;
  return memory.totalBytes + memory.retrieval.indexBytes + memory.retrieval.readQueryBytes;
}

export function fitWarning(memory: MemoryNeed, settings: Settings): string | null {
  const budget = settings.ramBudgetMB > 0 ? settings.ramBudgetMB * 2 ** 20 : 0;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (budget && memory.totalBytes > budget) return `Needs ${gib(memory.totalBytes)} (weights + KV), over the RAM budget of ${gib(budget)}. Lower the context or use retrieval attention.`;
  const peak = memoryAtPeak(memory, settings);
  const what = settings.attention.mode === "retrieval" ? " (weights, KV, indexes and a read's queries)" : "";
  if (peak > os.totalmem() * 0.9) return `Needs ${gib(peak)}${what}, more than this machine's ${gib(os.totalmem())} of memory.`;
  return null;
}
