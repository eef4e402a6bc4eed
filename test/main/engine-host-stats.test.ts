// The engine host's memory stats polled while it answers (the app polls them
// every second): "stats" jumps the queue and runs while a decode step is on the
// session's worker thread. The reply then carries the numbers read at the last
// pause between two steps; the answer is the one given without polling, and the
// host stays up (a poll that read the session during a step once crashed it).
import { describe, expect, it } from "vitest";
import * as path from "node:path";
import { packageRoot } from "../../main/engine";
import { EngineClient, forkEngine } from "../../main/host/engine-client";
import { hasData, modelPath } from "../helpers/data";

// no full-attention threshold: the short book is indexed, as a long one is
const attention = { attention: "retrieval" as const, sinks: 16, window: 64, topK: 32, fullBelow: 0 };
const doc = Int32Array.from({ length: 900 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
const prompt = Int32Array.from([...doc, 410, 444, 269, 300, 301]);
const greedy = { temperature: 0, seed: 1 };

async function host() {
  const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
  await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: 2048, threads: 2, attention });
  return engine;
}

describe.skipIf(!hasData)("engine host stats during an answer", () => {
  it("answer stats polled as fast as they come back: each a pause's numbers, the answer unchanged", async () => {
    const quiet = await host();
    const want = await quiet.call("generate", { jobId: "q", tokens: prompt, maxTokens: 200, sampler: greedy, docStart: 1, docEnd: doc.length });
    quiet.close();

    const h = await host();
    const polled: number[] = [];
    let answering = true;
    const poll = (async () => {
      while (answering) {
        const s = await h.call("stats", {});
        polled.push(s.nPast);
        expect(s.nCtx === 0 || s.nCtx === 2048).toBe(true);
        expect(s.tiers.hostBytes).toBeGreaterThanOrEqual(0);
      }
    })();
    const got = await h.call("generate", { jobId: "g", tokens: prompt, maxTokens: 200, sampler: greedy, docStart: 1, docEnd: doc.length }).finally(() => {
      answering = false;
    });
    await poll;
    expect(got.text).toBe(want.text);
    expect(got.tokens).toBe(want.tokens);
    expect(polled.length).toBeGreaterThan(50);
    // positions only grow while it answers, never past the answer's end
    for (let i = 1; i < polled.length; i++) expect(polled[i]).toBeGreaterThanOrEqual(polled[i - 1]);
    const after = await h.call("stats", {});
    expect(after.nPast).toBe(prompt.length + got.tokens);
    expect(Math.max(...polled)).toBeLessThanOrEqual(after.nPast);
    // read during the decode (not only before it and after): some replies between the two
    expect(polled.some((n) => n > prompt.length && n < after.nPast)).toBe(true);
    h.close();
  });

  it("stats asked at an answer's first token give that answer's context (read as it started), not the figures before it", async () => {
    const h = await host();
    expect((await h.call("stats", {})).nPast).toBe(0);
    let first: Promise<{ nPast: number }> | null = null;
    h.onEvent((e) => {
      if (e.event === "token" && e.jobId === "f" && e.index === 0) first ??= h.call("stats", {});
    });
    await h.call("generate", { jobId: "f", tokens: prompt, maxTokens: 24, sampler: greedy, docStart: 1, docEnd: doc.length });
    expect((await first!).nPast).toBeGreaterThanOrEqual(prompt.length);
    h.close();
  });

  it("a short book on full attention: its tokens attend every key and its KV is all RAM; indexed, a static set splits off", async () => {
    type Figures = { keysScanned: number; keysTotal: number; whole: boolean } | null;
    const figures = (e: EngineClient, jobId: string) => {
      const got: Figures[] = [];
      e.onEvent((ev) => {
        if (ev.event === "token" && ev.jobId === jobId) got.push(ev.retrieval);
      });
      return got;
    };
    const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
    // this book (905 tokens) stays under the threshold: full attention, no index
    await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: 2048, threads: 2, attention: { ...attention, fullBelow: 4096 } });
    const wholeSteps = figures(engine, "s");
    await engine.call("generate", { jobId: "s", tokens: prompt, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: doc.length });
    expect(wholeSteps).toHaveLength(8);
    // (the context as the token is reported: the prompt and the answer's tokens evaluated so far)
    for (const [i, f] of wholeSteps.entries()) expect(f).toEqual({ keysScanned: prompt.length + i + 1, keysTotal: prompt.length + i + 1, massCaptured: null, recall: null, whole: true });
    const short = await engine.call("stats", {});
    expect(short.nPast).toBe(prompt.length + 8);
    expect(short.tiers.deviceBytes).toBe(0);
    expect(short.tiers.hostBytes).toBeGreaterThan(0);
    engine.close();
    // indexed: a search's share of the keys; sinks + window positions are the static set, the
    // rest and the indexes the host's
    const h = await host();
    const searched = figures(h, "i");
    await h.call("generate", { jobId: "i", tokens: prompt, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: doc.length });
    expect(searched).toHaveLength(8);
    for (const f of searched) {
      expect(f!.whole).toBe(false);
      expect(f!.keysScanned).toBeGreaterThan(0);
      expect(f!.keysScanned).toBeLessThanOrEqual(f!.keysTotal);
    }
    const indexed = await h.call("stats", {});
    expect(indexed.tiers.deviceBytes).toBe((16 + 64) * (indexed.kvBytes / indexed.nCtx));
    expect(indexed.tiers.hostBytes).toBeGreaterThan(0);
    h.close();
  });

  it("a short book's conversation grown past fullBelow builds its index as a phase of the answer's read", async () => {
    // 900 tokens stay under the threshold (820 keys past the static set, fullBelow 1000)
    async function answer(questionLength: number) {
      const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
      await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: 2048, threads: 2, attention: { ...attention, fullBelow: 1000 } });
      await engine.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
      const seen: { kind: string; whole?: boolean }[] = [];
      engine.onEvent((e) => {
        if (e.jobId !== "g") return;
        if (e.event === "progress") seen.push({ kind: e.phase === "index" ? `index ${e.done}/${e.total}` : "prefill" });
        if (e.event === "token") seen.push({ kind: "token", whole: e.retrieval?.whole });
      });
      const question = Array.from({ length: questionLength }, (_, i) => 5 + ((i * 131) % 400));
      await engine.call("generate", { jobId: "g", tokens: Int32Array.from([...prompt, ...question]), maxTokens: 4, sampler: greedy, docStart: 1, docEnd: doc.length });
      engine.close();
      const tokens = seen.filter((e) => e.kind === "token");
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.every((e) => e.whole === false)).toBe(true); // sparse from the first token
      return seen.slice(0, seen.findIndex((e) => e.kind === "token")).map((e) => e.kind);
    }
    // the build: its start, each of the model's 5 layers before its build, its end
    const build = ["index 0/1", "index 0/5", "index 1/5", "index 2/5", "index 3/5", "index 4/5", "index 1/1"];
    // the context (1205) outgrows it in the question's first chunk (256 tokens): the build
    // comes before the second
    expect(await answer(300)).toEqual(["prefill", "prefill", ...build, "prefill"]);
    // it outgrows it in the question's last chunk (1105): the build comes after it
    expect(await answer(200)).toEqual(["prefill", "prefill", ...build]);
  });

  it("says why an answer ended: the answer limit, or the end of the context before it", async () => {
    const h = await host();
    const limited = await h.call("generate", { jobId: "l", tokens: prompt, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: doc.length });
    expect(limited).toMatchObject({ tokens: 8, stoppedBy: "length" });
    h.close();
    // a context 24 tokens longer than the prompt: the answer fills it before its limit of 200
    const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
    await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: prompt.length + 24, threads: 2, attention });
    const full = await engine.call("generate", { jobId: "c", tokens: prompt, maxTokens: 200, sampler: greedy, docStart: 1, docEnd: doc.length });
    expect(full).toMatchObject({ tokens: 24, stoppedBy: "context" });
    engine.close();
  });
});

