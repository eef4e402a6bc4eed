// File paths handed to the addon may not hold a NUL byte. The C library stops at
// the first one, so "<dir>/victim\0.gguf" named <dir>/victim: writeGguf replaced
// it, attachStore wrote a KV store's tables into it, and Model, Tokenizer and
// inspectGguf read a file other than the one the caller had checked. Node's fs
// refuses such paths for the same reason; the addon now does too
// (ERR_INVALID_ARG), and the file before the NUL is left as it was.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { hasData, modelPath, vocabPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-paths-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe("path arguments with a NUL byte", () => {
  const addon = loadAddon();

  it("writeGguf leaves the file before the NUL alone", () => {
    const victim = path.join(dir, "victim-w");
    fs.writeFileSync(victim, "precious");
    const entries = [{ key: "general.name", type: "string" as const, value: "x" }];
    expect(code(() => addon.writeGguf(entries, `${victim}\0.gguf`))).toBe("ERR_INVALID_ARG");
    expect(fs.readFileSync(victim, "utf8")).toBe("precious");
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("victim-w"))).toEqual(["victim-w"]);
  });

  it("readers refuse it instead of opening another file", () => {
    const real = path.join(dir, "real.gguf");
    addon.writeGguf([{ key: "general.name", type: "string", value: "x" }], real);
    expect(addon.inspectGguf(real).metadata["general.name"]).toBe("x");
    expect(code(() => addon.inspectGguf(`${real}\0.other`))).toBe("ERR_INVALID_ARG");
    expect(code(() => addon.inspectStore(`${real}\0.kv`))).toBe("ERR_INVALID_ARG");
  });

  it.skipIf(!hasData)("Model, Tokenizer, attachStore and writeSyntheticModel refuse it", async () => {
    const model = modelPath("stories260K.gguf");
    expect(code(() => new addon.Model(`${model}\0.gguf`))).toBe("ERR_INVALID_ARG");
    expect(code(() => new addon.Tokenizer(`${model}\0.gguf`))).toBe("ERR_INVALID_ARG");

    const victim = path.join(dir, "victim-s");
    fs.writeFileSync(victim, "");  // an empty file opens as an empty SQLite database
    const session = new addon.Session(new addon.Model(model), { ctx: 64 });
    expect(await rejection(session.attachStore(`${victim}\0.kv`))).toBe("ERR_INVALID_ARG");
    expect(session.storeInfo()).toBeNull();
    session.close();
    expect(fs.statSync(victim).size).toBe(0);

    const out = path.join(dir, "victim-m");
    fs.writeFileSync(out, "precious");
    const options = { arch: "llama" as const, shape: "tiny", type: "f32", seed: 1 };
    expect(await rejection(addon.writeSyntheticModel({ ...options, vocab: vocabPath("ggml-vocab-gpt-2.gguf"), out: `${out}\0.gguf` }))).toBe(
      "ERR_INVALID_ARG",
    );
    expect(await rejection(addon.writeSyntheticModel({ ...options, vocab: `${vocabPath("ggml-vocab-gpt-2.gguf")}\0x`, out }))).toBe(
      "ERR_INVALID_ARG",
    );
    expect(fs.readFileSync(out, "utf8")).toBe("precious");
  });
});
