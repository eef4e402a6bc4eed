// tome inspect M.gguf [--ctx N] [--json]: metadata, tensor types and the RAM
// needed for weights + KV at that context. Exits non-zero with a one-line
// reason on a bad file.
import { loadAddon, type GgufSummary } from "../../engine";
import { fileTypeName, tensorTypeCounts } from "../../engine/file-type";
import { estimateMemory } from "../../engine/memory";
import { intArg, parse, UsageError } from "../args";
import { namedFileError } from "../errors";
import { checkReadableFile } from "../files";
import { MAX_CTX } from "../limits";

export const usage = "tome inspect M.gguf [--ctx N] [--json]";

export const flags = `  M.gguf                 the model file
  --ctx N                the RAM for weights + KV cache at a context of N tokens, at
                         most ${MAX_CTX} (the engine's limit); by default at the context
                         a session takes (the model's trained one, within that limit)
  --json                 print one JSON object (metadata, tensors, memory)
  -h, --help             this help`;

export async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ctx: { type: "string" }, json: { type: "boolean" } }, true);
  if (positionals.length !== 1) throw new UsageError("inspect takes one GGUF path");
  const ctx = values.ctx === undefined ? undefined : intArg(values.ctx, "ctx", 0, 1, MAX_CTX);
  const summary = inspectFile(positionals[0]);
  const mem = estimateMemory(summary, ctx);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, memory: mem }, null, 2) + "\n");
    return 0;
  }
  const md = summary.metadata;
  const line = (k: string, v: unknown) => process.stdout.write(`${k.padEnd(28)} ${v}\n`);
  line("file", positionals[0]);
  line("gguf version", summary.version);
  line("size", `${summary.fileSize} bytes`);
  for (const [k, v] of Object.entries(md)) {
    if (typeof v === "object") line(k, `[${v.elementType} x ${v.length}] ${JSON.stringify(v.head).slice(0, 60)}...`);
    else if (k === "general.file_type" && fileTypeName(v)) line(k, `${v} (${fileTypeName(v)})`);
    else line(k, typeof v === "string" && v.length > 80 ? JSON.stringify(v.slice(0, 77) + "...") : JSON.stringify(v));
  }
  line("tensors", `${summary.tensors.length} (${tensorTypeCounts(summary.tensors)})`);
  const unsupported = summary.tensors.filter((t) => !t.supported);
  if (unsupported.length) line("unsupported", unsupported.map((t) => `${t.name}:${t.type}`).join(", "));
  if (mem) {
    line("context", mem.ctx);
    line("weights", `${mem.weightBytes} bytes`);
    line("kv cache (f16)", `${mem.kvBytes} bytes`);
    if (mem.kvBytesInRam < mem.kvBytes) line("kv in RAM with a store", `${mem.kvBytesInRam} bytes (sliding-window layers: their window)`);
    line("total", `${mem.totalBytes} bytes`);
  }
  return 0;
}

/** The GGUF's summary; errors name the file: "'x.gguf': GGUF_TRUNCATED: ...". */
function inspectFile(file: string): GgufSummary {
  checkReadableFile("", file);
  try {
    return loadAddon().inspectGguf(file);
  } catch (e) {
    throw namedFileError("", file, e);
  }
}
