// The engine host (the real worker process) with a model whose sliding-window layers
// (Gemma 3) do not run sparse under a RAM budget yet: asked for retrieval with a budget,
// it loads with full attention and says why (the app shows it), rather than failing the
// load, and answers as full attention; without a budget it runs retrieval as asked.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot } from "../../main/engine";
import { syntheticModel } from "../../main/bench/synthetic";
import { EngineClient, forkEngine } from "../../main/host/engine-client";
import { hasData } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-host-models-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasData)("engine host with a sliding-window model", () => {
  it("under a RAM budget loads it with full attention when retrieval is asked, says why, and answers as full attention", async () => {
    const file = await syntheticModel("gemma3", "tiny", "q8_0", dir);
    const tokens = Int32Array.from([1, 42, 43, 44, 45, 46, 47, 48]);
    const greedy = { temperature: 0, seed: 1 };
    const answer = async (attention: "full" | "retrieval", ramBudget = 0) => {
      const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
      try {
        const loaded = await engine.call("load", { path: file, ctx: 256, threads: 1, attention: { attention, sinks: 4, window: 16, topK: 8 }, ramBudget });
        const got = await engine.call("generate", { jobId: "g", tokens, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: 4 });
        return { loaded, got };
      } finally {
        engine.close();
      }
    };
    const full = await answer("full");
    expect(full.loaded.attentionNote).toBeUndefined();
    const asked = await answer("retrieval", 1 << 30);
    expect(asked.loaded.attentionNote).toMatch(/^gemma3's sliding-window layers do not run sparse under a RAM budget yet/);
    expect(asked.got.text).toBe(full.got.text);
    expect(asked.got.tokens).toBe(full.got.tokens);
    expect((await answer("retrieval")).loaded.attentionNote).toBeUndefined();
    // the model itself refuses such a session: the host's fallback is what loads it
    const model = new (loadAddon().Model)(file);
    expect(() => new (loadAddon().Session)(model, { ctx: 256, threads: 1, attention: "retrieval", ramBudget: 1 << 30 })).toThrow(
      /RAM budget is not supported yet/,
    );
  });
});
