// The CLI's pure pieces: how an error is printed, the prefill's progress lines,
// run's flag checks (no model needed), a failed bench helper as one line.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { intArg } from "../../main/cli/args";
import { describeSystemError, jsonReport, namedFileError, report } from "../../main/cli/errors";
import { prefillProgress, progressLine } from "../../main/cli/progress";
import { contextSize, runOptions } from "../../main/cli/commands/run-options";
import { nativeFailure } from "../../main/bench/index";

const sysError = (code: string, syscall: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code}: something, ${syscall}`), { code, syscall, errno: -1, ...extra });

describe("errors as one line", () => {
  it("an unknown error prints its message alone; the stack only with TOME_DEBUG", () => {
    const e = new TypeError("x is not a function");
    expect(report(e)).toEqual({ line: "x is not a function", code: "ERROR", exitCode: 1, usage: false });
    expect(report(e, true).line).toContain("\n    at ");
    expect(report(new Error("first\nsecond")).line).toBe("first");
  });
  it("Node system errors in words with their path, the code not doubled", () => {
    expect(report(sysError("ENOENT", "open", { path: "" })).line).toBe("cannot open '': no such file");
    expect(report(sysError("EISDIR", "read", { path: "/x" })).line).toBe("cannot read '/x': is a directory");
    expect(report(sysError("ENOTDIR", "scandir", { path: "/f/c" })).line).toBe("cannot list '/f/c': a part of the path is not a directory");
    expect(describeSystemError(sysError("EADDRINUSE", "listen", { address: "127.0.0.1", port: 7878 }))).toBe(
      "cannot listen on '127.0.0.1:7878': address already in use",
    );
  });
  it("tome errors keep their code; usage errors exit 2", () => {
    expect(report(Object.assign(new Error("bad magic"), { code: "GGUF_BAD_MAGIC" })).line).toBe("GGUF_BAD_MAGIC: bad magic");
    expect(() => intArg("x", "n", 1)).toThrow(/^-n must be an integer/);
    expect(report((() => { try { intArg("x", "n", 1); } catch (e) { return e; } })()).exitCode).toBe(2);
  });
  it("each error has a code for --json: USAGE, the system's, the engine's (kept through a file's name), else ERROR", () => {
    const usage = (() => { try { intArg("x", "n", 1); } catch (e) { return e; } })();
    expect(jsonReport(report(usage))).toBe('{"error":{"code":"USAGE","message":"-n must be an integer, got \'x\'"}}\n');
    expect(report(namedFileError("--model", "m.gguf", sysError("ENOENT", "open", { path: "m.gguf" }))).code).toBe("ENOENT");
    const tomeError = Object.assign(new Error("bad magic"), { code: "GGUF_BAD_MAGIC" });
    expect(report(namedFileError("--model", "m.gguf", tomeError))).toMatchObject({ code: "GGUF_BAD_MAGIC", line: "--model 'm.gguf': GGUF_BAD_MAGIC: bad magic" });
    // the stack (TOME_DEBUG) stays on stderr
    expect(JSON.parse(jsonReport(report(new TypeError("x is not a function"), true)))).toEqual({ error: { code: "ERROR", message: "x is not a function" } });
  });
  it("a failed bench_index run is one line with how it ended and its last words", () => {
    const r = spawnSync(process.execPath, ["-e", "process.stderr.write('first\\nthread pool needs at least one thread\\n'); process.exit(3)"]);
    const e = nativeFailure(r);
    expect(e.message).toBe("bench_index exited with status 3: thread pool needs at least one thread");
    expect((e as Error & { code: string }).code).toBe("BENCH_FAILED");
  });
});

describe("prefill progress", () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, write: (s: string) => out.push(s), isTTY };
  };
  it("nothing for a prefill done within the delay", () => {
    let t = 0;
    const s = sink(false);
    const p = prefillProgress(s, () => t, 1000);
    for (let done = 100; done <= 1000; done += 100) {
      t += 50;
      p.update(done, 1000);
    }
    p.end();
    expect(s.out).toEqual([]);
  });
  it("a log gets a line at each tenth; a terminal one line rewritten in place, cleared at the end", () => {
    for (const tty of [false, true]) {
      let t = 0;
      const s = sink(tty);
      const p = prefillProgress(s, () => t, 1000);
      for (let done = 512; done <= 20480; done += 512) {
        t += 500;
        p.update(done, 20480);
      }
      p.end();
      if (!tty) {
        expect(s.out.length).toBe(11); // the first after the delay (5%), 10%..90% once each, 100%
        expect(s.out.every((l) => /^tome: prefill \d+\/20480 tokens \(\d+%\).*\n$/.test(l))).toBe(true);
        expect(s.out[s.out.length - 1]).toMatch(/20480\/20480 tokens \(100%\), 20 s, 1024 tokens\/s\n$/);
        expect(s.out[3]).toMatch(/about \d+ s left/);
      } else {
        expect(s.out.every((l) => l.startsWith("\r"))).toBe(true);
        expect(s.out[s.out.length - 1]).toBe("\r\x1b[K");
      }
    }
  });
});

describe("prefill progress by work", () => {
  it("the time left comes from the estimate when there is one, from the rate otherwise", () => {
    expect(progressLine(100, 1000, 2000, 50)).toBe("tome: prefill 100/1000 tokens (10%), 2 s, 50 tokens/s, about 18 s left");
    expect(progressLine(100, 1000, 2000, 50, 61_500)).toBe("tome: prefill 100/1000 tokens (10%), 2 s, 50 tokens/s, about 62 s left");
    expect(progressLine(100, 1000, 2000, 50, null)).toMatch(/about 18 s left$/);
  });
  it("the estimate learns where the read started (the first report) and the time since it", () => {
    let t = 0;
    const calls: number[][] = [];
    const out: string[] = [];
    const p = prefillProgress({ write: (s: string) => out.push(s), isTTY: false }, () => t, 0, (first, done, total, ms) => {
      calls.push([first, done, total, ms]);
      return 1000;
    });
    t = 10;
    p.update(4096, 20480); // a store held the first 4096 tokens
    t = 510;
    p.update(8192, 20480);
    expect(calls).toEqual([
      [4096, 4096, 20480, 0],
      [4096, 8192, 20480, 500],
    ]);
    expect(out[out.length - 1]).toMatch(/about 1 s left\n$/);
  });
});

describe("run's flags, checked before any file is read", () => {
  const base = ["--model", "/nowhere/m.gguf", "--prompt", "x"];
  const refusal = (args: string[]) => {
    try {
      runOptions([...base, ...args]);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  it("sampler flags: bounds named by their flag", () => {
    expect(refusal(["--temp", "abc"])).toBe("--temp must be a number, got 'abc'");
    expect(refusal(["--temp=-1"])).toMatch(/^--temp must be in \[0, 100\]/);
    expect(refusal(["--temp", "-1"])).toBe("--temp needs a value (one that starts with '-' is written --temp=-1)");
    expect(refusal(["--frob"])).toBe("unknown flag '--frob'");
    expect(refusal(["--temp", "Infinity"])).toMatch(/^--temp must be a number/);
    expect(refusal(["--top-p", "1.5"])).toMatch(/^--top-p must be in \[0, 1\]/);
    expect(refusal(["--min-p=-0.1"])).toMatch(/^--min-p must be in \[0, 1\]/);
    expect(refusal(["--repeat-penalty", "0"])).toMatch(/^--repeat-penalty must be in \(0, 100\]/);
    expect(refusal(["--seed=-1"])).toMatch(/^--seed must be in/);
    expect(refusal(["--top-k", "99999999999"])).toMatch(/^--top-k must be in \[0, 16777216\]/);
  });
  it("the engine's limits under the CLI's flag names", () => {
    expect(refusal(["--topk", "9007199254740991"])).toBe("--topk must be in [1, 16777216], got '9007199254740991'");
    expect(refusal(["--ctx", "16777217"])).toMatch(/^--ctx must be in \[1, 16777216\]/);
    expect(refusal(["--sinks", "1048577"])).toMatch(/^--sinks must be in \[0, 1048576\]/);
    expect(refusal(["--ef", "16777217"])).toMatch(/^--ef must be in/);
    expect(refusal(["--exact-below", "2000000000000"])).toMatch(/^--exact-below must be in \[0, 1000000000000\]/);
    expect(refusal(["--full-below=-1"])).toMatch(/^--full-below must be in \[0, 1000000000000\]/);
    expect(refusal(["-n", "16777216"])).toBe("-n must be in [0, 16777215], got '16777216'");
    expect(refusal(["--doc", "d.txt", "--ram-budget", "99999999999999T"])).toMatch(/^--ram-budget must be more than 0 bytes and at most/);
    expect(refusal(["--doc", "d.txt", "--ram-budget", "0"])).toMatch(/^--ram-budget must be more than 0/);
  });
  it("-n and the context agree: what exceeds the engine's limit says so", () => {
    expect(contextSize(0, 1, 16777215)).toBe(16777216);
    expect(() => contextSize(10, 3, 16777215)).toThrow("document + prompt (13 tokens) + -n 16777215 = 16777228 tokens exceed the engine's context limit (16777216)");
    expect(() => contextSize(0, 3, 100, 64)).toThrow("prompt (3 tokens) + -n 100 = 103 tokens exceed --ctx 64");
    expect(contextSize(0, 3, 10)).toBe(512);
  });
  it("store flags that contradict each other are refused; flags that do not apply are noted", () => {
    expect(refusal(["--ram-budget", "1G"])).toMatch(/^--ram-budget needs --doc/);
    expect(refusal(["--doc", "d.txt", "--no-cache", "--ram-budget", "1G"])).toMatch(/^--ram-budget needs the document's KV store/);
    expect(refusal(["--doc", "d.txt", "--no-cache", "--cache-dir", "/tmp/c"])).toMatch(/^--no-cache and --cache-dir/);
    expect(runOptions([...base, "--sinks", "16", "--topk", "8", "--ef", "64", "--degree", "16", "--window", "64"]).notes).toEqual([
      "--sinks, --window, --topk, --ef, --degree do not apply to --attention full",
    ]);
    expect(runOptions([...base, "--attention", "streaming", "--sinks", "16", "--topk", "8"]).notes).toEqual([
      "--topk does not apply to --attention streaming",
    ]);
    expect(runOptions([...base, "--attention", "retrieval", "--sinks", "16", "--ef", "64"]).notes).toEqual([]);
    expect(runOptions([...base, "--cache-dir", "/tmp/c", "--eviction", "lru"]).notes).toEqual([
      "--cache-dir applies only with --doc",
      "--eviction applies only with --ram-budget",
    ]);
  });
  it("the defaults: temperature 0.8 with a seed drawn and kept", () => {
    const o = runOptions(base);
    expect(o.sampler.temperature).toBe(0.8);
    expect(Number.isInteger(o.sampler.seed)).toBe(true);
    expect(o.nPredict).toBe(64);
  });
});
