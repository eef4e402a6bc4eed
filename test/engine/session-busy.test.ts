// A session while a call runs on its worker thread: that thread writes the KV,
// the step stats and the counters, so every other call but cancel(), nCtx() and
// threads() fails with BUSY until the call settles (a memory poll copying the
// step's retrieved positions while a decode step rewrote them corrupted the
// heap), then answers again. Calls that return a promise reject (never throw
// at the call), with BUSY, CLOSED or a bad argument's TypeError alike.
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

/** The code a promise-returning call rejects with; "thrown" when it throws at the call instead. */
async function rejectionCodeOf(call: () => Promise<unknown>): Promise<string> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch {
    return "thrown";
  }
  try {
    await promise;
    return "resolved";
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
      hostRamBytes: () => session.hostRamBytes(),
      sparseActive: () => session.sparseActive(),
      buildDue: () => session.buildDue(),
      tokens: () => session.tokens(),
      times: () => session.times(),
      resetTimes: () => session.resetTimes(),
      storeInfo: () => session.storeInfo(),
      storeIdentity: () => session.storeIdentity(),
      truncate: () => session.truncate(0),
      sealPrefix: () => session.sealPrefix(0),
      close: () => session.close(),
    };
    const promised: Record<string, () => Promise<unknown>> = {
      eval: () => session.eval(Int32Array.of(5)),
      evalInto: () => session.evalInto(Int32Array.of(5), new Float32Array(model.info().nVocab)),
      prefill: () => session.prefill(Int32Array.of(5)),
      prefillDocument: () => session.prefillDocument(Int32Array.of(5)),
      buildIndex: () => session.buildIndex(),
      attachStore: () => session.attachStore("/nonexistent/never-opened.tome"),
      flushStore: () => session.flushStore(),
    };
    const pending = session.eval(prompt);
    const codes = Object.fromEntries(Object.entries(calls).map(([name, call]) => [name, codeOf(call)]));
    expect(codes).toEqual(Object.fromEntries(Object.keys(calls).map((name) => [name, "BUSY"])));
    const rejections = await Promise.all(
      Object.entries(promised).map(async ([name, call]) => [name, await rejectionCodeOf(call)] as const),
    );
    expect(Object.fromEntries(rejections)).toEqual(Object.fromEntries(Object.keys(promised).map((name) => [name, "BUSY"])));
    // what never changes, and the cancel, still answer
    expect(session.nCtx()).toBe(2048);
    expect(session.threads()).toBe(2);
    expect(session.cancel()).toBe(false); // no prefillDocument in flight
    await pending;
    expect(session.nPast()).toBe(prompt.length);
    expect(session.tokens()).toEqual(prompt);
    expect(session.lastStats().tokens).toBe(prompt.length);
    expect(session.residency().budgetBytes).toBe(0);
    // a bad argument rejects too
    expect(await rejectionCodeOf(() => session.eval([5] as unknown as Int32Array))).toBe("ERR_INVALID_ARG");
    expect(session.nPast()).toBe(prompt.length);
    session.close();
    expect(await rejectionCodeOf(() => session.eval(Int32Array.of(5)))).toBe("CLOSED");
    expect(await rejectionCodeOf(() => session.flushStore())).toBe("CLOSED");
    expect(codeOf(() => session.nPast())).toBe("CLOSED");
  });
});
