// Session.prefillDocument's progress and cancel (the addon, in process, stories260K,
// a KV store and a RAM budget, so the prefill is layer-major):
//   - onProgress gets one report per (layer, chunk) in token-layer units, rising,
//     the last one the total, all before the promise settles, each with the host
//     tier's RAM as the call measured it;
//   - cancel() from a report stops it before the next chunk: CANCELLED, and the
//     session and its store as before it; run again, it gives the logits (and the
//     answer) of an uninterrupted run, bit for bit;
//   - an onProgress that throws cancels it too, the promise rejecting with that error;
//   - bad options are TypeErrors;
//   - openDocument (tome run --doc under a RAM budget) passes the reports on.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, openDocument, type NativeSession } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-prefill-doc-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const BATCH = 128;
const options = { ctx: 2048, threads: 2, batch: BATCH, attention: "retrieval" as const, sinks: 16, window: 64, topK: 32, ramBudget: 16 << 20 };
const doc = Int32Array.from({ length: 1500 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
const question = Int32Array.from([410, 444, 269, 300, 301]);

let files = 0;
async function open(): Promise<{ session: NativeSession; file: string; nLayer: number }> {
  const addon = loadAddon();
  const model = new addon.Model(modelPath("stories260K.gguf"));
  const session = new addon.Session(model, options);
  const file = path.join(dir, `s${files++}.tomekv`);
  expect(await session.attachStore(file)).toBe(0);
  return { session, file, nLayer: model.info().nLayer };
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe.skipIf(!hasData)("prefillDocument progress and cancel", () => {
  let want: { logits: Float32Array; answer: Float32Array };

  it("reports every (layer, chunk) step, rising to the total, before it resolves", async () => {
    const { session, nLayer } = await open();
    const ticks: [number, number][] = [];
    const ram: number[] = [];
    const logits = await session.prefillDocument(doc, {
      onProgress: (d, t, bytes) => {
        ticks.push([d, t]);
        ram.push(bytes);
      },
    });
    expect(ticks).toHaveLength(nLayer * Math.ceil(doc.length / BATCH));
    expect(ticks.every(([, t]) => t === doc.length * nLayer)).toBe(true);
    expect(ticks.every(([d], i) => d > (i ? ticks[i - 1][0] : 0))).toBe(true);
    expect(ticks.at(-1)![0]).toBe(doc.length * nLayer);
    // the host tier's RAM as the call measured it: K/V pages written, indexes built; at most
    // the whole cache and the indexes (the first report's layer already holds a chunk of rows)
    expect(ram.every((b) => Number.isFinite(b) && b > 0 && b <= session.kvBytes() + (64 << 20))).toBe(true);
    expect(session.nPast()).toBe(doc.length);
    expect(session.storeInfo()).toMatchObject({ nTokens: doc.length, indexBuiltAt: doc.length, indexComplete: true });
    expect(session.residency().budgetBytes).toBe(16 << 20);
    want = { logits, answer: await session.eval(question) };
    expect(session.cancel()).toBe(false); // nothing in flight
    session.close();
  });

  it("cancel() stops it between chunks, leaves the session and its store as before, and a rerun is bit-identical", async () => {
    for (const at of [1, 12, 30]) {
      const { session, nLayer } = await open();
      let seen = 0;
      const run = session.prefillDocument(doc, {
        onProgress: () => {
          if (++seen === at) expect(session.cancel()).toBe(true);
        },
      });
      await expect(run).rejects.toMatchObject({ code: "CANCELLED" });
      expect(seen).toBe(at); // stopped before the next chunk
      expect(at).toBeLessThan(nLayer * Math.ceil(doc.length / BATCH));
      expect(session.nPast()).toBe(0);
      expect(session.tokens()).toHaveLength(0);
      expect(session.lastStats().sparse).toBe(false);
      expect(session.storeInfo()).toMatchObject({ nTokens: 0, indexBuiltAt: -1, indexComplete: false });
      expect(same(await session.prefillDocument(doc), want.logits)).toBe(true);
      expect(same(await session.eval(question), want.answer)).toBe(true);
      session.close();
    }
  });

  it("an onProgress that throws cancels the call, which rejects with what it threw", async () => {
    const { session } = await open();
    const boom = new Error("progress display went away");
    await expect(
      session.prefillDocument(doc, {
        onProgress: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(session.nPast()).toBe(0);
    expect(same(await session.prefillDocument(doc), want.logits)).toBe(true);
    session.close();
  });

  it("rejects bad options with a TypeError", async () => {
    const { session } = await open();
    await expect(session.prefillDocument(doc, { onProgress: 3 as unknown as () => void })).rejects.toThrow(/onProgress/);
    await expect(session.prefillDocument(doc, 7 as unknown as {})).rejects.toMatchObject({ code: "ERR_INVALID_ARG" });
    await expect(session.prefillDocument(doc, 7 as unknown as {})).rejects.toBeInstanceOf(TypeError);
    session.close();
  });
});

describe.skipIf(!hasData)("openDocument, layer-major", () => {
  it("reports the prefill's progress as it goes (tome run --doc --ram-budget), in document tokens", async () => {
    const addon = loadAddon();
    const model = new addon.Model(modelPath("stories260K.gguf"));
    const session = new addon.Session(model, options);
    const reports: [number, number][] = [];
    const opened = await openDocument(session, path.join(dir, "open-doc"), Array.from(doc), {}, (d, t) => reports.push([d, t]), { layerMajor: true });
    expect(opened.prefilled).toBe(doc.length);
    expect(reports.length).toBeGreaterThan(2); // not only the end
    for (const [d, t] of reports) expect(t).toBe(doc.length);
    const done = reports.map(([d]) => d);
    expect(done[0]).toBe(0); // where the read starts (a time left is measured from it)
    expect(done.some((d) => d > 0 && d < doc.length)).toBe(true);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1]);
    expect(done.at(-1)).toBe(doc.length);
    session.close();
  });
});
