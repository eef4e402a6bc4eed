// A loaded model holds its Q4_0 / IQ4_NL / MXFP4 matrices interleaved for the decode's 8-row
// tiles where llama.cpp would repack them (an AVX2 CPU), and reports their bytes; other types
// read the file's mapping. That the copies hold the same blocks, and give the same products
// bit for bit, is native (test_weight_interleave, test_cpu_interleaved_rows); the logits of
// such models against llama.cpp are synthetic-vs-llamacpp's.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { syntheticModel } from "../../main/bench/synthetic";
import { hasData } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-layout-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasData)("weight layout", () => {
  const addon = loadAddon();
  const repacks = addon.cpuFeatures().avx2 && addon.cpuFeatures().fma && addon.cpuFeatures().f16c;

  it("copies the repacked 4-bit types' matrices and no others", async () => {
    for (const type of ["q4_0", "iq4_nl", "mxfp4", "q8_0", "q4_k"] as const) {
      const file = await syntheticModel("llama", "tiny", type, dir);
      const info = new addon.Model(file).info();
      // every matrix of the type but the token embedding (read by token id); the tiny shape's
      // rows are whole groups of 8, and its output is its own
      const tensors = addon.inspectGguf(file).tensors;
      const matrices = tensors.filter((t) => t.shape.length === 2 && t.name !== "token_embd.weight");
      const copied = matrices.filter((t) => t.type === type.toUpperCase()).reduce((s, t) => s + t.bytes, 0);
      const expected = repacks && ["q4_0", "iq4_nl", "mxfp4"].includes(type) ? copied : 0;
      expect(info.tiedOutput).toBe(false);
      expect(info.interleavedBytes, type).toBe(expected);
      if (expected) expect(expected, type).toBeGreaterThan(0.5 * info.weightBytes);
    }
  });
});
