// Numbers handed to the addon's writers (writeGguf entries, writeSyntheticModel's
// seed) must be whole numbers in their type's range: a C++ cast of NaN, 1e12 or
// -1 to an integer is undefined behaviour (on x86 INT_MIN or a huge seed, written
// as if asked for). They are refused with ERR_INVALID_ARG, naming the field.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { hasData, vocabPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-numbers-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("numbers the writers take", () => {
  const addon = loadAddon();

  it("writeGguf: i32 and i32[] values are whole numbers in int32's range; good ones are written as given", () => {
    const out = path.join(dir, "n.gguf");
    for (const bad of [NaN, 1e12, -3e9, 2.5, Infinity]) {
      for (const entry of [
        { key: "x.one", type: "i32" as const, value: bad },
        { key: "x.many", type: "i32[]" as const, value: [1, bad, 3] },
      ]) {
        let err: { code?: string; message?: string } | null = null;
        try {
          addon.writeGguf([entry], out);
        } catch (e) {
          err = e as { code?: string; message?: string };
        }
        expect(err?.code, `${entry.type} ${bad}`).toBe("ERR_INVALID_ARG");
        expect(err?.message).toContain(entry.key);
      }
    }
    addon.writeGguf([{ key: "x.many", type: "i32[]", value: [-2147483648, 0, 2147483647] }], out);
    const md = addon.inspectGguf(out).metadata["x.many"] as { length: number; head: number[] };
    expect(md.head).toEqual([-2147483648, 0, 2147483647]);
  });

  it.skipIf(!hasData)("writeSyntheticModel: the seed is a whole number in [0, 2^53]", async () => {
    const options = { arch: "llama" as const, shape: "tiny", type: "f32", vocab: vocabPath("ggml-vocab-llama-spm.gguf"), out: path.join(dir, "s.gguf") };
    for (const seed of [NaN, -1, 2.5, 2 ** 60]) {
      let code: string | undefined;
      try {
        await addon.writeSyntheticModel({ ...options, seed });
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code, `seed ${seed}`).toBe("ERR_INVALID_ARG");
    }
    expect(fs.existsSync(options.out)).toBe(false);
    await addon.writeSyntheticModel({ ...options, seed: 7 });
    expect(fs.statSync(options.out).size).toBeGreaterThan(0);
  });
});
