// The CLI as a user runs it: npx tome run | tokenize | inspect | make-model.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot } from "../../main/engine";
import { hasData, modelPath, vocabPath } from "../helpers/data";

const bin = path.join(packageRoot(), "bin", "tome.js");
const tome = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", input, timeout: 120_000 });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("usage", () => {
  it("unknown command and missing flags exit 2 with usage", () => {
    expect(tome(["frobnicate"]).status).toBe(2);
    const r = tome(["run", "--prompt", "x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--model is required/);
    expect(tome(["run", "--model", "m", "--prompt", "x", "-n", "abc"]).stderr).toMatch(/-n must be an integer/);
  });
  it("inspect of a missing or non-GGUF file exits 1 with one line", () => {
    const notGguf = path.join(dir, "not.gguf");
    fs.writeFileSync(notGguf, "hello, this is not a gguf file at all");
    for (const f of [path.join(dir, "missing.gguf"), notGguf]) {
      const r = tome(["inspect", f]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/GGUF_|IO_/);
    }
  });
});

describe.skipIf(!hasData)("with models", () => {
  const stories = modelPath("stories260K.gguf");

  it("run --json: prompt tokens with BOS, n tokens, text", () => {
    const r = tome(["run", "--model", stories, "--prompt", "Once upon a time", "-n", "24", "--temp", "0", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.prompt_tokens[0]).toBe(1);
    expect(out.prompt_tokens).toEqual([1, 403, 407, 261, 378]);
    expect(out.tokens).toHaveLength(24);
    expect(out.text.length).toBeGreaterThan(20);
  });

  it("the same seed gives the same text; another seed another", () => {
    const args = (seed: string) => ["run", "--model", stories, "--prompt", "Once", "-n", "48", "--temp", "1", "--seed", seed, "--json"];
    const a = JSON.parse(tome(args("5")).stdout);
    const b = JSON.parse(tome(args("5")).stdout);
    const c = JSON.parse(tome(args("6")).stdout);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it("run takes the index settings (--degree, --query-sample) and refuses values out of range", () => {
    const base = ["run", "--model", stories, "--prompt", "Once upon a time", "-n", "4", "--temp", "0", "--attention", "retrieval"];
    const ok = tome([...base, "--degree", "16", "--query-sample", "0.5", "--json"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).tokens).toHaveLength(4);
    const zero = tome([...base, "--query-sample", "0"]);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/--query-sample must be in \(0, 1\]/);
    const one = tome([...base, "--degree", "1"]);
    expect(one.status).toBe(2);
    expect(one.stderr).toMatch(/--degree/);
  });

  it("run --monitor-every --widen-below: the monitor samples each step and widens the search", () => {
    const doc = path.join(dir, "story.txt");
    fs.writeFileSync(doc, "Lily and Tom went to the park. They played with a big red ball. ".repeat(40));
    const base = ["run", "--model", stories, "--doc", doc, "--no-cache", "--prompt", " Lily", "-n", "4", "--temp", "0",
      "--attention", "retrieval", "--sinks", "16", "--window", "64", "--topk", "8", "--exact-below", "0", "--stats"];
    const r = tome([...base, "--monitor-every", "1", "--widen-below", "1", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout).stats.filter((s: { sparse: boolean }) => s.sparse);
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(s.recall).toBeGreaterThan(0);
      expect(s.mass_captured).toBeLessThan(1);
      expect(s.widened).toBe(true);
    }
    const bad = tome([...base, "--widen-below", "1.5"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--widen-below must be in \[0, 1\]/);
  });

  it("run streams text to stdout", () => {
    const r = tome(["run", "--model", stories, "--prompt", "The dog", "-n", "16", "--temp", "0"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/tok\/s/);
  });

  it("tokenize reads a JSON array on stdin, no BOS, special only with --special", () => {
    const vocab = vocabPath("ggml-vocab-llama-spm.gguf");
    const input = JSON.stringify(["Hello world", "<s>x"]);
    const plain = JSON.parse(tome(["tokenize", "--model", vocab, "--json"], input).stdout);
    const special = JSON.parse(tome(["tokenize", "--model", vocab, "--json", "--special"], input).stdout);
    const tok = new (loadAddon().Tokenizer)(vocab);
    expect(plain[0]).toEqual(Array.from(tok.tokenize("Hello world", false, false)));
    expect(plain[0][0]).not.toBe(1);
    expect(special[1]).toContain(1);
    expect(plain[1]).not.toContain(1);
    const bad = tome(["tokenize", "--model", vocab, "--json"], "{not json");
    expect(bad.status).toBe(2);
  });

  it("inspect shows metadata and memory at a context", () => {
    const r = tome(["inspect", stories, "--ctx", "1024", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.metadata["llama.block_count"]).toBe(5);
    expect(o.memory.kvBytes).toBe(2 * 5 * 4 * 8 * 1024 * 2);
    expect(o.memory.weightBytes).toBeGreaterThan(1_000_000);
    const text = tome(["inspect", stories]);
    expect(text.stdout).toMatch(/general.architecture/);
  });

  it("make-model writes a loadable model of the chosen arch and type", () => {
    const out = path.join(dir, "m.gguf");
    const r = tome(["make-model", "--arch", "qwen2", "--shape", "tiny", "--type", "q4_k", "--vocab",
      vocabPath("ggml-vocab-gpt-2.gguf"), "--out", out, "--seed", "3"]);
    expect(r.status, r.stderr).toBe(0);
    const s = loadAddon().inspectGguf(out);
    expect(s.metadata["general.architecture"]).toBe("qwen2");
    expect(s.tensors.find((t) => t.name === "blk.0.attn_q.weight")?.type).toBe("Q4_K");
    expect(s.tensors.find((t) => t.name === "blk.0.attn_q.bias")).toBeDefined();
    const run = tome(["run", "--model", out, "--prompt", "Hello", "-n", "4", "--temp", "0", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).tokens).toHaveLength(4);
  });
});
