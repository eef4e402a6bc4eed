// tome eval end to end on the fixture model stories260K at short lengths: every
// row matches the JSON schema, full attention is the reference (its own rows
// carry no agreement or KL), the sparse modes ran sparse (small sinks and
// window, so that retrieval is exercised at 1K tokens), every mode but
// retrieval took the prefill from the instance's KV store, each instance's
// haystack was sealed before it was read, full attention alone reuses the
// haystack prefix shared across depths, and the HTML report is self-contained. Also the CLI: --json output, and lengths beyond the trained
// context refused without --beyond-trained.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { runEval } from "../../main/eval/runner";
import { promptingOf } from "../../main/eval/prompt";
import { validateEvalResult } from "../../main/eval/schema";
import { renderReport } from "../../main/eval/report/html";
import type { EvalResult } from "../../main/eval/types";
import type { NativeModel, SessionOptions } from "../../main/engine/native";
import { hasData, modelPath } from "../helpers/data";

const STORIES = modelPath("stories260K.gguf");
const root = path.resolve(__dirname, "..", "..");
let result: EvalResult;
// sealPrefix calls of the main run's sessions (the real ones, recorded on the way through)
const seals: { mode: string; n: number; nPast: number }[] = [];

function recordingSeals(addon: ReturnType<typeof loadAddon>): ReturnType<typeof loadAddon> {
  const Session = function (model: NativeModel, options?: SessionOptions) {
    const s = new addon.Session(model, options);
    const seal = s.sealPrefix.bind(s);
    // the addon's methods are read-only on its prototype: an own property shadows this one
    Object.defineProperty(s, "sealPrefix", {
      value: (n: number) => {
        seals.push({ mode: options?.attention ?? "full", n, nPast: s.nPast() });
        seal(n);
      },
    });
    return s;
  } as unknown as typeof addon.Session;
  return { ...addon, Session };
}

describe.skipIf(!hasData)("tome eval on stories260K", () => {
  beforeAll(async () => {
    const addon = recordingSeals(loadAddon());
    const model = new addon.Model(STORIES);
    result = await runEval(
      { addon, model, modelPath: STORIES, prompting: promptingOf(addon, STORIES, model), haystack: { kind: "noise" } },
      {
        tasks: ["niah_single", "frequent_words"],
        lengths: [640, 1024], // at 512 frequent_words' prefill is under sinks + window + 256: it would run exact
        depths: [0, 50, 100],
        modes: ["full", "retrieval", "streaming"],
        haystack: "noise",
        samples: 1,
        seed: 1,
        threads: 2,
        beyondTrained: false,
        sinks: 16,
        window: 64,
        topK: 32,
        monitorEvery: 1,
        monitorHeads: 4,
      },
    );
  });

  it("writes one row per instance and mode, matching the schema", () => {
    expect(validateEvalResult(JSON.parse(JSON.stringify(result)))).toBeTruthy();
    // niah: 2 lengths x 3 depths, frequent words: 2 lengths x no depth; x 3 modes
    expect(result.rows).toHaveLength((2 * 3 + 2) * 3);
    expect(result.chat_template).toBe(false);
  });

  it("full attention is the reference; sparse modes ran sparse and are compared with it", () => {
    for (const r of result.rows) {
      if (r.mode === "full") {
        expect(r.agree_with_full).toBeNull();
        expect(r.kl).toBeNull();
      } else {
        expect(r.sparse).toBe(true);
        expect(r.kl).toBeGreaterThanOrEqual(0);
        expect([0, 1]).toContain(r.agree_with_full);
        expect(r.full_margin).toBeGreaterThanOrEqual(0);
        expect(r.mass).toBeGreaterThan(0);
      }
      if (r.mode === "retrieval") expect(r.recall).toBeGreaterThan(0.5);
      // a length holds the prompt and the answer budget (RULER's count)
      expect(r.answer_budget).toBeGreaterThan(0);
      expect(Math.abs(r.tokens + r.answer_budget! - r.length)).toBeLessThanOrEqual(0.01 * r.length);
    }
    // streaming sees only sinks + window: it drifts from full attention more than retrieval does
    const meanKl = (m: string) => {
      const ks = result.rows.filter((r) => r.mode === m).map((r) => r.kl!);
      return ks.reduce((a, b) => a + b, 0) / ks.length;
    };
    expect(meanKl("retrieval")).toBeLessThan(meanKl("streaming"));
  });

  it("full attention alone reuses the haystack prefix shared by the depths", async () => {
    const addon = loadAddon();
    const model = new addon.Model(STORIES);
    const alone = await runEval(
      { addon, model, modelPath: STORIES, prompting: promptingOf(addon, STORIES, model), haystack: { kind: "noise" } },
      { tasks: ["niah_single"], lengths: [1024], depths: [0, 50, 100], modes: ["full"], haystack: "noise", samples: 1, seed: 1,
        threads: 2, beyondTrained: false, monitorEvery: 0, monitorHeads: 1 },
    );
    const byDepth = Object.fromEntries(alone.rows.map((r) => [r.depth, r.reused_tokens]));
    expect(byDepth[100]).toBe(0); // first instance
    expect(byDepth[50]).toBeGreaterThan(300); // shares the haystack up to its needle
  });

  it("a length at the trained context keeps the prompt and the answer within it (rows not marked beyond)", async () => {
    // stories260K at 2048 (its trained context), seed 3: frequent_words' nearest fit of the prompt
    // and its answer budget is 2049 tokens, past the trained context in a row marked within it
    const addon = loadAddon();
    const model = new addon.Model(STORIES);
    const atTrained = await runEval(
      { addon, model, modelPath: STORIES, prompting: promptingOf(addon, STORIES, model), haystack: { kind: "noise" } },
      { tasks: ["frequent_words"], lengths: [2048], depths: [50], modes: ["full"], haystack: "noise", samples: 1, seed: 3,
        threads: 2, beyondTrained: false, monitorEvery: 0, monitorHeads: 1 },
    );
    expect(atTrained.n_ctx_train).toBe(2048);
    for (const r of atTrained.rows) {
      expect(r.beyond_trained).toBe(false);
      expect(r.tokens + r.answer_budget!).toBeLessThanOrEqual(atTrained.n_ctx_train);
      expect(r.tokens + r.answer_budget!).toBeGreaterThanOrEqual(0.99 * r.length);
      // the answer ran within the trained context too
      expect(r.tokens + r.answer_tokens).toBeLessThanOrEqual(atTrained.n_ctx_train);
    }
  });

  it("a word list that can only meet the 1% past the trained context is marked beyond it", async () => {
    // TinyStories-656K (trained context 512), common_words, seed 40: entries of ~7 tokens leave a
    // prompt and answer budget of 513 tokens or one entry fewer, more than 1% short; the row takes
    // 513 and must say it runs past 512
    const TINY = modelPath("tinystories-656k-q8_0.gguf");
    const addon = loadAddon();
    const model = new addon.Model(TINY);
    const res = await runEval(
      { addon, model, modelPath: TINY, prompting: promptingOf(addon, TINY, model), haystack: { kind: "noise" } },
      { tasks: ["common_words", "frequent_words"], lengths: [512], depths: [50], modes: ["full"], haystack: "noise", samples: 1, seed: 40,
        threads: 2, beyondTrained: false, monitorEvery: 0, monitorHeads: 1 },
    );
    expect(res.n_ctx_train).toBe(512);
    for (const r of res.rows) {
      expect(Math.abs(r.tokens + r.answer_budget! - r.length)).toBeLessThanOrEqual(0.01 * r.length);
      expect(r.beyond_trained).toBe(r.tokens + r.answer_budget! > res.n_ctx_train);
    }
    const common = res.rows.find((r) => r.task === "common_words")!;
    expect(common.tokens + common.answer_budget!).toBeGreaterThan(512);
    expect(res.rows.find((r) => r.task === "frequent_words")!.beyond_trained).toBe(false);
  });

  it("full attention and streaming take retrieval's prefill from the instance's KV store", () => {
    expect(result.rows.filter((r) => r.mode === "retrieval").every((r) => r.reused_tokens === 0)).toBe(true);
    const others = result.rows.filter((r) => r.mode !== "retrieval");
    expect(others.length).toBeGreaterThan(0);
    // the haystack came from the store (the question and answer prefix follow it): no prefill of their own
    for (const r of others) expect(r.reused_tokens).toBeGreaterThan(0.5 * r.tokens);
  });

  it("seals each instance's haystack before reading it, as the app seals a book", () => {
    // one session per instance and mode: (2 x 3 niah + 2 frequent_words) x 3 modes
    expect(seals).toHaveLength(result.rows.length);
    const rowTokens = new Set(result.rows.map((r) => r.tokens));
    for (const s of seals) {
      // retrieval reads the haystack itself (nothing restored yet); the others restore all of it
      // (and the question and answer retrieval's session stored after it)
      if (s.mode === "retrieval") expect(s.nPast).toBe(0);
      else expect(s.nPast).toBeGreaterThanOrEqual(s.n);
      // the haystack ends where the question starts: short of the tokens of some row
      expect([...rowTokens].some((t) => s.n > 0.5 * t && s.n < t)).toBe(true);
    }
  });

  it("renders a self-contained report that says what the figures mean for this model", () => {
    const html = renderReport(result);
    expect(html).toContain("This model cannot solve these tasks");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain("score: retrieval − full");
  });

  it("the CLI prints the JSON and refuses lengths beyond the trained context without the flag", () => {
    const cli = path.join(root, "bin", "tome.js");
    if (!fs.existsSync(path.join(root, "build", "main", "cli", "commands", "eval.js"))) return; // needs node scripts/build.mjs --ts
    const refused = spawnSync(process.execPath, [cli, "eval", "--model", STORIES, "--lengths", "4K", "--tasks", "passkey"], { encoding: "utf8" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/trained context \(2048\).*--beyond-trained/);
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tome-eval-")), "r.html");
    const ok = spawnSync(
      process.execPath,
      [cli, "eval", "--model", STORIES, "--tasks", "passkey", "--lengths", "600", "--depths", "50", "--modes", "full,retrieval", "--sinks", "16", "--window", "64", "--threads", "2", "--json", "--report", report],
      { encoding: "utf8" },
    );
    expect(ok.status).toBe(0);
    const out = validateEvalResult(JSON.parse(ok.stdout));
    expect(out.rows.map((r) => r.mode)).toEqual(["full", "retrieval"]);
    expect(fs.readFileSync(report, "utf8")).toContain("tome eval: stories260K.gguf");
  });
});
