// Fuzz: 500+ mutated or truncated GGUF files through inspect and model load,
// in process (the addon) and through the CLI. Every outcome is either success
// or an Error with a code and a message: zero crashes.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot } from "../../main/engine";
import { hasData, modelPath, vocabPath } from "../helpers/data";
import { mutate } from "../helpers/mutate";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-fuzz-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function headerSize(file: string): number {
  return loadAddon().inspectGguf(file).dataOffset;
}

describe.skipIf(!hasData)("fuzzed GGUF files", () => {
  const sources = [modelPath("stories260K.gguf"), modelPath("tinystories-656k-q8_0.gguf"), vocabPath("ggml-vocab-gpt-2.gguf")];

  it("in process: 540 mutations through inspectGguf, Model and Tokenizer", () => {
    const addon = loadAddon();
    const outcomes = { ok: 0, rejected: 0 };
    const codes = new Map<string, number>();
    let seed = 1;
    for (const src of sources) {
      const bytes = fs.readFileSync(src);
      const header = headerSize(src);
      for (let i = 0; i < 180; i++, seed++) {
        const file = path.join(dir, `m${seed}.gguf`);
        fs.writeFileSync(file, mutate(bytes, header, seed));
        for (const load of [
          () => addon.inspectGguf(file),
          () => new addon.Tokenizer(file),
          () => (src.includes("vocab") ? undefined : new addon.Model(file)),
        ]) {
          try {
            load();
            outcomes.ok++;
          } catch (e) {
            const err = e as Error & { code?: string };
            expect(typeof err.code, `seed ${seed}: ${err.message}`).toBe("string");
            expect(err.message.length).toBeGreaterThan(0);
            codes.set(err.code!, (codes.get(err.code!) ?? 0) + 1);
            outcomes.rejected++;
          }
        }
        fs.unlinkSync(file);
      }
    }
    console.log("fuzz outcomes", outcomes, Object.fromEntries(codes));
    expect(outcomes.rejected).toBeGreaterThan(100);
  });

  it("through the CLI: tome inspect exits 0 or 1 with a one-line reason", () => {
    const bin = path.join(packageRoot(), "bin", "tome.js");
    const bytes = fs.readFileSync(sources[0]);
    const header = headerSize(sources[0]);
    for (let seed = 1000; seed < 1030; seed++) {
      const file = path.join(dir, `c${seed}.gguf`);
      fs.writeFileSync(file, mutate(bytes, header, seed));
      const r = spawnSync(process.execPath, [bin, "inspect", file], { encoding: "utf8" });
      expect([0, 1], `seed ${seed}: ${r.stderr}`).toContain(r.status);
      if (r.status === 1) expect(r.stderr.trim().split("\n")).toHaveLength(1);
      fs.unlinkSync(file);
    }
  });
});
