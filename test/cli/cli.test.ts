// The CLI as a user runs it: npx tome run | tokenize | inspect | make-model.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot } from "../../main/engine";
import { ingest } from "../../main/library/ingest";
import { endParagraph, tokenizeInput } from "../../main/cli/commands/run-input";
import { dataDir, hasData, modelPath, vocabPath } from "../helpers/data";

const bin = path.join(packageRoot(), "bin", "tome.js");
const tome = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", input, timeout: 120_000 });
/** tome in the background, for a test that serves a port itself meanwhile. */
const tomeAsync = (args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stderr }));
  });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-cli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("usage", () => {
  it("unknown command and missing flags exit 2 with usage", () => {
    expect(tome(["frobnicate"]).status).toBe(2);
    const r = tome(["run", "--prompt", "x"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--model is required/);
    expect(tome(["run", "--model", "m", "--prompt", "x", "-n", "abc"]).stderr).toMatch(/^tome run: -n must be an integer/);
  });
  it("no arguments is a usage error: the overview on stderr, exit 2; --version prints the package's", () => {
    const none = tome([]);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/^usage:\n  tome run /);
    const v = tome(["--version"]);
    expect(v.status).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8"));
    expect(v.stdout).toBe(`tome ${pkg.version}\n`);
  });
  it("--help and -h on every command: its usage and one line per flag on stdout, exit 0", () => {
    for (const cmd of ["run", "tokenize", "inspect", "make-model", "bench", "eval", "cache", "serve"]) {
      const r = tome([cmd, cmd === "run" ? "--help" : "-h"]);
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: tome ${cmd}`));
      expect(r.stdout).toMatch(/-h, --help +this help/);
    }
    const run = tome(["run", "--model", "x.gguf", "-h"]).stdout;
    for (const flag of ["--temp", "--seed", "--top-k", "--doc", "--ram-budget", "--monitor-heads"])
      expect(run).toMatch(new RegExp(`^  ${flag} .+`, "m"));
    const evalHelp = tome(["eval", "--help"]).stdout;
    for (const flag of ["--lengths", "--monitor-every", "--monitor-heads", "--threads", "--from"])
      expect(evalHelp).toMatch(new RegExp(`^  ${flag} .+`, "m"));
  });
  it("the usage lines give the defaults the code uses", () => {
    const usage = (cmd: string) => tome([cmd, "--help"]).stdout.split("\n\n")[0];
    expect(usage("run")).toMatch(/\[--temp 0\.8\]/);
    expect(usage("run")).toMatch(/\[--exact-below 12288\]/);
    expect(usage("run")).toMatch(/\[--full-below 12288\]/);
    expect(usage("run")).toMatch(/\[--ef 3\*topk\]/);
    expect(usage("serve")).toMatch(/\[--port 7878\]/);
    expect(usage("eval")).toMatch(/up to the trained context/);
    expect(usage("eval")).toMatch(/--monitor-heads/);
    expect(usage("cache")).toMatch(/rm FILE\|ID\.\.\.\|--all/);
  });
  it("every run flag is checked before the model loads or the document is read", () => {
    // the model and the document do not exist: a bad flag is still what is reported
    const base = ["run", "--model", path.join(dir, "missing.gguf"), "--doc", path.join(dir, "missing.txt"), "--prompt", "x"];
    for (const [flag, value, msg] of [
      ["--temp", "abc", "--temp must be a number"],
      ["--top-p", "2", "--top-p must be in [0, 1]"],
      ["--seed", "x", "--seed must be an integer"],
      ["--topk", "9007199254740991", "--topk must be in [1, 16777216]"],
      ["-n", "16777216", "-n must be in [0, 16777215]"],
    ]) {
      const r = tome([...base, flag, value]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe(`tome run: ${msg}, got '${value}'`);
    }
  });
  it("files named by flags: one line naming the flag, the path and the problem in words", () => {
    const aFile = path.join(dir, "a-file");
    fs.writeFileSync(aFile, "x");
    const cases: [string[], number, string][] = [
      [["run", "--model", path.join(dir, "missing.gguf"), "--prompt", "x"], 1, `tome run: --model '${path.join(dir, "missing.gguf")}': no such file`],
      [["run", "--model", aFile, "--prompt", "x", "--doc", ""], 2, "tome run: --doc needs a file name"],
      [["cache", "list", "--dir", aFile], 1, `tome cache: --dir '${aFile}': not a directory`],
      [["cache", "list", "--dir", path.join(dir, "no-such-dir")], 1, `tome cache: --dir '${path.join(dir, "no-such-dir")}': no such directory`],
      [["eval", "--from", path.join(dir, "none.json"), "--report", path.join(dir, "r.html")], 1, `tome eval: --from '${path.join(dir, "none.json")}': no such file`],
      // named under its flag before the addon loads (it was the engine's "IO_OPEN: cannot open ...")
      [["make-model", "--arch", "llama", "--shape", "tiny", "--type", "f32", "--vocab", path.join(dir, "no-vocab.gguf"), "--out", path.join(dir, "m.gguf")], 1, `tome make-model: --vocab '${path.join(dir, "no-vocab.gguf")}': no such file`],
      [["make-model", "--arch", "llama", "--shape", "tiny", "--type", "f32", "--vocab", dir, "--out", path.join(dir, "m.gguf")], 1, `tome make-model: --vocab '${dir}': is a directory`],
    ];
    for (const [args, status, line] of cases) {
      const r = tome(args);
      expect(r.status, r.stderr).toBe(status);
      expect(r.stderr.split("\n")[0]).toBe(line);
      expect(r.stderr).not.toMatch(/\bE[A-Z]+: /);
    }
  });
  it("eval: bad --from JSON, --lengths past the engine's limit and a report folder that is missing fail in one line", () => {
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, "{not json");
    const from = tome(["eval", "--from", bad, "--report", path.join(dir, "r.html")]);
    expect(from.status).toBe(1);
    expect(from.stderr).toMatch(/^tome eval: --from '.*bad\.json': not JSON \(.*\)\n$/);
    const notResult = path.join(dir, "not-result.json");
    fs.writeFileSync(notResult, "[1, 2]");
    expect(tome(["eval", "--from", notResult, "--report", path.join(dir, "r.html")]).stderr).toMatch(/^tome eval: --from '.*': not a tome eval result \(.*\)\n$/);
    // under --json each has a code of its own (both were the generic ERROR)
    for (const [file, code] of [[bad, "NOT_JSON"], [notResult, "NOT_EVAL_RESULT"]]) {
      const r = tome(["eval", "--from", file, "--report", path.join(dir, "r.html"), "--json"]);
      expect(JSON.parse(r.stdout).error.code).toBe(code);
    }
    const lengths = tome(["eval", "--model", "m.gguf", "--lengths", "99999999"]);
    expect(lengths.status).toBe(2);
    expect(lengths.stderr.split("\n")[0]).toBe("tome eval: --lengths: length 99999999 is more than the engine's context limit (16777216 tokens)");
    const report = tome(["eval", "--model", "m.gguf", "--report", path.join(dir, "missing-dir", "r.html"), "--json"]);
    expect(report.status).toBe(1);
    expect(report.stderr).toBe(`tome eval: --report '${path.join(dir, "missing-dir", "r.html")}': no such directory '${path.join(dir, "missing-dir")}'\n`);
  });
  it("bench --threads takes a whole number of threads, at least 1", () => {
    for (const v of ["abc", "0"]) {
      const r = tome(["bench", "index", "--quick", "--threads", v]);
      expect(r.status).toBe(2);
      expect(r.stderr.split("\n")[0]).toMatch(/^tome bench: --threads must be/);
    }
  });
  it("bench --type sets the engine suite's weight types, and is refused elsewhere or unknown", () => {
    const other = tome(["bench", "index", "--quick", "--type", "q4_k"]);
    expect(other.status).toBe(2);
    expect(other.stderr.split("\n")[0]).toBe("tome bench: --type applies to the engine suite");
    const unknown = tome(["bench", "engine", "--quick", "--type", "q4_k,q9_9"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toMatch(/^tome bench: --type takes f32, f16, .*iq4_xs, mxfp4, q3_k_m, q4_k_m, q5_k_m$/);
  });
  it("cache: an unknown action is named once", () => {
    const r = tome(["cache", "frob"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe("tome cache: unknown action 'frob' (actions: list, rm, gc)");
  });
  it.skipIf(!fs.existsSync(path.join(packageRoot(), "build", "renderer", "index.html")))("serve on a busy port says so in one line", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await tomeAsync(["serve", "--port", String(port), "--data-dir", path.join(dir, "serve-data")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`tome serve: cannot listen on 127.0.0.1:${port}: address already in use (--port 0 takes any free port)\n`);
    } finally {
      busy.close();
    }
  });
  it("--json: a failure is also one JSON object on stdout (usage and runtime errors), the exit code and stderr unchanged", () => {
    const missing = path.join(dir, "missing.gguf");
    const cases: [string[], number, string, string][] = [
      [["run", "--model", missing, "--prompt", "x", "-n", "abc", "--json"], 2, "USAGE", "-n must be an integer, got 'abc'"],
      [["run", "--model", missing, "--prompt", "x", "--json"], 1, "ENOENT", `--model '${missing}': no such file`],
      [["inspect", missing, "--json"], 1, "ENOENT", `'${missing}': no such file`],
      [["tokenize", "--model", missing, "--json", "--bogus"], 2, "USAGE", "unknown flag '--bogus'"],
    ];
    for (const [args, status, code, message] of cases) {
      const r = tome(args);
      expect(r.status, r.stderr).toBe(status);
      expect(r.stdout).toMatch(/^[^\n]+\n$/); // one line
      expect(JSON.parse(r.stdout)).toEqual({ error: { code, message } });
      expect(r.stderr.split("\n")[0]).toBe(`tome ${args[0]}: ${message}`);
      // without --json, stdout stays empty
      const plain = tome(args.filter((a) => a !== "--json"));
      expect(plain.stdout).toBe("");
    }
    // a command that takes no --json refuses the flag on stderr alone
    const noJson = tome(["make-model", "--json"]);
    expect(noJson.status).toBe(2);
    expect(noJson.stdout).toBe("");
  });
  it("inspect of a missing or non-GGUF file exits 1 with one line", () => {
    const notGguf = path.join(dir, "not.gguf");
    fs.writeFileSync(notGguf, "hello, this is not a gguf file at all");
    for (const f of [path.join(dir, "missing.gguf"), notGguf]) {
      const r = tome(["inspect", f]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      // the file is named: "tome inspect: '/x/not.gguf': GGUF_BAD_MAGIC: ..."
      expect(r.stderr).toMatch(new RegExp(`^tome inspect: '${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}': (GGUF_|no such file)`));
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
      "--attention", "retrieval", "--sinks", "16", "--window", "64", "--topk", "8", "--exact-below", "0", "--full-below", "0", "--stats"];
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

  it("run --doc reads epub and pdf as the app does (their text, not their bytes)", async () => {
    const model = new (loadAddon().Model)(stories);
    const promptTokens = model.tokenize(" Alice", false, true).length;
    for (const book of ["alice-in-wonderland.epub", "alice-in-wonderland_pg11.pdf"]) {
      const file = path.join(dataDir!, "books", book);
      const text = (await ingest(book, fs.readFileSync(file), { skipBoilerplate: true })).text;
      const docTokens = model.tokenize(endParagraph(text), true, false).length;
      // --ctx too small: the run stops before any prefill and says how many tokens the book read as
      const r = tome(["run", "--model", stories, "--doc", file, "--no-cache", "--prompt", " Alice", "-n", "1", "--ctx", "512"]);
      expect(r.status).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe(
        `tome run: document + prompt (${docTokens + promptTokens} tokens) + -n 1 = ${docTokens + promptTokens + 1} tokens exceed --ctx 512`,
      );
    }
  });

  it("run --doc keeps plain text as it was read (BOM dropped, CRLF as LF); refuses binary, empty files and folders in one line", () => {
    const model = new (loadAddon().Model)(stories);
    const body = "Lily and Tom went to the park.\nThey played with a big red ball.\n";
    const crlf = path.join(dir, "crlf.txt");
    fs.writeFileSync(crlf, "\uFEFF" + body.replace(/\n/g, "\r\n"));
    const r = tome(["run", "--model", stories, "--doc", crlf, "--no-cache", "--prompt", " Lily", "-n", "1", "--temp", "0", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).doc_tokens).toBe(model.tokenize(body + "\n", true, false).length); // + the paragraph break

    const binary = path.join(dir, "noise.bin");
    fs.writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const empty = path.join(dir, "empty.txt");
    fs.writeFileSync(empty, "");
    const cases: [string, RegExp][] = [
      [binary, /: binary data, not text/],
      [empty, /: EMPTY_FILE: /],
      [dir, /: is a directory$/],
    ];
    for (const [doc, why] of cases) {
      const bad = tome(["run", "--model", stories, "--doc", doc, "--no-cache", "--prompt", "x", "-n", "1"]);
      expect(bad.status).toBe(1);
      const lines = bad.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith(`tome run: --doc '${doc}'`)).toBe(true);
      expect(lines[0]).toMatch(why);
    }
  });

  it("run --doc: the trained-context note comes before the prefill", () => {
    const model = new (loadAddon().Model)(stories);
    const sentence = "Lily and Tom went to the park. ";
    const perSentence = model.tokenize(sentence.repeat(10), false, false).length / 10;
    const doc = path.join(dir, "long.txt");
    fs.writeFileSync(doc, sentence.repeat(Math.ceil((model.info().nCtxTrain + 64) / perSentence)));
    const r = tome(["run", "--model", stories, "--doc", doc, "--no-cache", "--prompt", " Lily", "-n", "1", "--temp", "0"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    const noteAt = lines.findIndex((l) => /exceed the model's trained context/.test(l));
    const prefilledAt = lines.findIndex((l) => /^tome: document \d+ tokens prefilled/.test(l));
    expect(noteAt).toBeGreaterThanOrEqual(0);
    expect(noteAt).toBeLessThan(prefilledAt);
  });

  it("a sampled run names its seed (stderr, --json) and --seed repeats it; flags that do not apply are noted", () => {
    const args = ["run", "--model", stories, "--prompt", "Once", "-n", "24", "--temp", "1"];
    const first = tome([...args, "--json"]);
    expect(first.status, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(Number.isInteger(out.seed)).toBe(true);
    const again = JSON.parse(tome([...args, "--seed", String(out.seed), "--json"]).stdout);
    expect(again.tokens).toEqual(out.tokens);
    const text = tome([...args, "--seed", "42", "--sinks", "16", "--window", "64"]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/, seed 42\)\n$/);
    expect(text.stderr).toMatch(/^tome run: note: --sinks, --window do not apply to --attention full$/m);
  });

  it("a reader that stops early ends the run quietly, exit 0", async () => {
    const child = spawn(process.execPath, [bin, "run", "--model", stories, "--prompt", "Once", "-n", "4000", "--temp", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy()); // like `| head -c 20`
    const status = await new Promise((resolve) => child.on("close", resolve));
    expect(status).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
  });

  it("a model that is not a GGUF is named in the error", () => {
    const notGguf = path.join(dir, "not-a-model.gguf");
    fs.writeFileSync(notGguf, "hello, this is not a gguf file at all");
    const r = tome(["run", "--model", notGguf, "--prompt", "x"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tome run: --model '.*not-a-model\\.gguf': GGUF_BAD_MAGIC: [^\\n]+\\n$`));
  });

  it("run streams text to stdout", () => {
    const r = tome(["run", "--model", stories, "--prompt", "The dog", "-n", "16", "--temp", "0"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/tok\/s/);
  });

  it("run --doc: the prompt starts a new paragraph, not the document's last word (SentencePiece and BPE)", () => {
    const book = "They lived happily.\nTHE END";
    const spm = new (loadAddon().Model)(stories);
    const bpe = new (loadAddon().Tokenizer)(vocabPath("ggml-vocab-gpt-2.gguf"));
    for (const [tok, bos] of [[spm, [1]], [bpe, []]] as const) {
      const { docTokens, promptTokens } = tokenizeInput(tok, "Who", book);
      expect(docTokens.slice(0, bos.length)).toEqual(bos);
      const read = (ids: number[]) => ids.map((t) => tok.tokenToPiece(t, false).toString("utf8")).join("");
      // what the model reads across the seam: the blank line, then the prompt (SentencePiece gives it its word-start space)
      const seam = read([...docTokens.slice(bos.length), ...promptTokens]);
      expect(seam).toMatch(/THE END\n\n ?Who$/);
      // the break is the document's (in its tokens and its store); the prompt's tokens are its own
      expect(read(docTokens.slice(bos.length))).toMatch(/THE END\n\n$/);
      expect(promptTokens).toEqual(Array.from(tok.tokenize("Who", false, true)));
    }
    // a document that ends in a newline or a blank line already gets what it lacks
    expect(["a", "a\n", "a\n\n", "a\n\n\n"].map(endParagraph)).toEqual(["a\n\n", "a\n\n", "a\n\n", "a\n\n\n"]);
  });

  it("run --doc --json: doc_tokens counts the document and its paragraph break, prompt_tokens the prompt alone", () => {
    const model = new (loadAddon().Model)(stories);
    const text = "Lily and Tom went to the park.\nTHE END";
    const doc = path.join(dir, "the-end.txt");
    fs.writeFileSync(doc, text);
    const r = tome(["run", "--model", stories, "--doc", doc, "--no-cache", "--prompt", "Who", "-n", "1", "--temp", "0", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.doc_tokens).toBe(model.tokenize(text + "\n\n", true, false).length);
    expect(out.prompt_tokens).toEqual(Array.from(model.tokenize("Who", false, true)));
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

  it("inspect --ctx past the engine's context limit is refused, not sized (it once printed a 64 TB KV cache)", () => {
    for (const args of [[], ["--json"]]) {
      const r = tome(["inspect", stories, "--ctx", "99999999999", ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe("tome inspect: --ctx must be in [1, 16777216], got '99999999999'");
      expect(r.stdout).not.toMatch(/kv|memory/i);
    }
    const atLimit = JSON.parse(tome(["inspect", stories, "--ctx", "16777216", "--json"]).stdout);
    expect(atLimit.memory.ctx).toBe(16777216);
  });

  it("make-model refuses an existing --out file unless --force, before writing anything", () => {
    const out = path.join(dir, "precious.gguf");
    fs.writeFileSync(out, "a model that took a week");
    const args = ["make-model", "--arch", "llama", "--shape", "tiny", "--type", "f32", "--vocab", vocabPath("ggml-vocab-llama-spm.gguf"), "--out", out];
    const refused = tome(args);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`tome make-model: --out '${out}': the file exists (--force overwrites it)\n`);
    expect(fs.readFileSync(out, "utf8")).toBe("a model that took a week");
    expect(tome(["make-model", "--help"]).stdout).toMatch(/^  --force +overwrite an existing --out file$/m);
    const forced = tome([...args, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(loadAddon().inspectGguf(out).metadata["general.architecture"]).toBe("llama");
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

  it("make-model writes llama.cpp's K-quant mixes (q4_k_m: a Q6_K output, Q4_K elsewhere)", () => {
    const out = path.join(dir, "mix.gguf");
    const r = tome(["make-model", "--arch", "llama", "--shape", "tiny", "--type", "q4_k_m", "--vocab",
      vocabPath("ggml-vocab-llama-spm.gguf"), "--out", out, "--force"]);
    expect(r.status, r.stderr).toBe(0);
    const s = loadAddon().inspectGguf(out);
    expect(s.metadata["general.name"]).toMatch(/ q4_k_m$/);
    expect(s.metadata["general.file_type"]).toBe(15);
    const shown = tome(["inspect", out]);
    expect(shown.stdout).toMatch(/^general\.file_type +15 \(Q4_K_M\)$/m);
    const typeOf = (name: string) => s.tensors.find((t) => t.name === name)?.type;
    const output = s.tensors.some((t) => t.name === "output.weight") ? "output.weight" : "token_embd.weight";
    expect([typeOf(output), typeOf("blk.0.attn_q.weight")]).toEqual(["Q6_K", "Q4_K"]);
    const run = tome(["run", "--model", out, "--prompt", "Hello", "-n", "2", "--temp", "0", "--json"]);
    expect(run.status, run.stderr).toBe(0);
  });

  it("make-model writes a mixture of experts (qwen3moe; llama with --experts) that runs, and refuses --experts elsewhere", () => {
    const vocab = vocabPath("ggml-vocab-llama-spm.gguf");
    for (const [arch, extra, experts] of [["qwen3moe", [], 8], ["llama", ["--experts", "4"], 4]] as const) {
      const out = path.join(dir, `${arch}-moe.gguf`);
      const r = tome(["make-model", "--arch", arch, ...extra, "--shape", "tiny", "--type", "q4_0", "--vocab", vocab, "--out", out, "--force"]);
      expect(r.status, r.stderr).toBe(0);
      const s = loadAddon().inspectGguf(out);
      expect(s.metadata[`${arch}.expert_count`]).toBe(experts);
      expect(s.tensors.find((t) => t.name === "blk.1.ffn_up_exps.weight")?.shape[2]).toBe(experts);
      const run = tome(["run", "--model", out, "--prompt", "Hello", "-n", "4", "--temp", "0", "--json"]);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).tokens).toHaveLength(4);
    }
    const base = ["make-model", "--shape", "tiny", "--type", "q4_0", "--vocab", vocab, "--out", path.join(dir, "x.gguf")];
    const refused = tome([...base, "--arch", "qwen2", "--experts", "4"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe("tome make-model: --experts is for llama, qwen3moe, qwen2moe, granitemoe, ernie4_5-moe, phimoe and gpt-oss");
    expect(tome([...base, "--arch", "llama", "--experts", "0"]).stderr.split("\n")[0]).toBe("tome make-model: --experts must be in [1, 256], got '0'");
  });

  it("make-model --layers sets the depth of a shape (smol: 30 to 3), and refuses 0", () => {
    const vocab = vocabPath("ggml-vocab-llama-spm.gguf");
    const out = path.join(dir, "smol-3.gguf");
    const args = ["make-model", "--arch", "llama", "--shape", "smol", "--type", "q8_0", "--vocab", vocab, "--out", out, "--force"];
    const r = tome([...args, "--layers", "3"]);
    expect(r.status, r.stderr).toBe(0);
    const s = loadAddon().inspectGguf(out);
    expect(s.metadata["llama.block_count"]).toBe(3);
    expect(s.metadata["llama.embedding_length"]).toBe(576);
    expect(s.tensors.some((t) => t.name === "blk.2.ffn_down.weight")).toBe(true);
    expect(s.tensors.some((t) => t.name === "blk.3.ffn_down.weight")).toBe(false);
    const run = tome(["run", "--model", out, "--prompt", "Hello", "-n", "4", "--temp", "0", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).tokens).toHaveLength(4);
    const refused = tome([...args, "--layers", "0"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe("tome make-model: --layers must be in [1, 256], got '0'");
  });
});

