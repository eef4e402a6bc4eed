// A session while a call runs on its worker thread: that thread writes the KV,
// the step stats and the counters, so every other call but cancel(), nCtx() and
// threads() throws BUSY until the call settles (a memory poll copying the step's
// retrieved positions while a decode step rewrote them corrupted the heap), then
// answers again.
import { describe, expect, it } from "vitest";
import { loadAddon } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";

/** The code a call throws, or "returned". */
function codeOf(call: () => unknown): string {
  try {
    call();
    return "returned";
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
}

describe.skipIf(!hasData)("a session while it evaluates", () => {
  it("refuses every reading and writing call with BUSY until the eval settles, then answers", async () => {
    const addon = loadAddon();
    const model = new addon.Model(modelPath("stories260K.gguf"));
    const session = new addon.Session(model, { ctx: 2048, threads: 2, attention: "retrieval", sinks: 16, window: 64 });
    const prompt = Int32Array.from({ length: 700 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
    const calls: Record<string, () => unknown> = {
      lastStats: () => session.lastStats(),
      residency: () => session.residency(),
      nPast: () => session.nPast(),
      kvBytes: () => session.kvBytes(),
      tokens: () => session.tokens(),
      times: () => session.times(),
      resetTimes: () => session.resetTimes(),
      storeInfo: () => session.storeInfo(),
      storeIdentity: () => session.storeIdentity(),
      truncate: () => session.truncate(0),
      close: () => session.close(),
      eval: () => session.eval(Int32Array.of(5)), // thrown at the call, not a rejection
    };
    const pending = session.eval(prompt);
    const codes = Object.fromEntries(Object.entries(calls).map(([name, call]) => [name, codeOf(call)]));
    expect(codes).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, "BUSY"])));
    // what never changes, and the cancel, still answer
    expect(session.nCtx()).toBe(2048);
    expect(session.threads()).toBe(2);
    expect(session.cancel()).toBe(false); // no prefillDocument in flight
    await pending;
    expect(session.nPast()).toBe(prompt.length);
    expect(session.tokens()).toEqual(prompt);
    expect(session.lastStats().tokens).toBe(prompt.length);
    expect(session.residency().budgetBytes).toBe(0);
    session.close();
  });
});
