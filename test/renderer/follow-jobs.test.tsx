// @vitest-environment happy-dom
// What a page shows of the engine's work when it did not start it (a reload, another
// window) or when the work ends: imports told apart from repeats, a read cancelled by its
// book, an evaluation followed with all its rows, and the live panels read right (the
// static set's tier without a GPU, exact attention at a short context, the latency chart).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Evaluate } from "../../renderer/src/components/Evaluate";
import { Panels } from "../../renderer/src/components/Panels";
import { chartData, LatencyChart, latencyTop, tokenRange } from "../../renderer/src/components/LatencyChart";
import { resetStore, useStore } from "../../renderer/src/store";
import { readCancelling } from "../../renderer/src/store/library-slice";
import type { EngineStatus, EvalProgress, EvalRow, MemoryStats, TokenStats } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "./fake-api";
import { doc, engine, startHandlers } from "./fixtures";

let f: FakeApi;
let disconnect: () => void;
let status: EngineStatus;
const s = () => useStore.getState();

const row = (mode: EvalRow["mode"], depth: number): EvalRow => ({
  task: "passkey",
  length: 1024,
  tokens: 1024,
  depth,
  depth_actual: depth,
  sample: 0,
  mode,
  score: 1,
  agree_with_full: mode === "full" ? null : 1,
  first_token_agree: mode === "full" ? null : 1,
  kl: mode === "full" ? null : 0,
  recall: null,
  mass: null,
  ms_per_token: 1,
  prefill_ms: 1,
  reused_tokens: 0,
  sparse: mode !== "full",
  sparse_steps: 0,
  answer_tokens: 1,
  answer: "x",
  expected: ["x"],
  beyond_trained: false,
});
const progress = (done: number, depth: number): EvalProgress => ({ done, total: 6, task: "passkey", length: 1024, depth, mode: "retrieval" });
const tok = (index: number, totalMs: number, retrieval: TokenStats["retrieval"] = null): TokenStats => ({
  messageId: 3,
  documentId: 1,
  index,
  totalMs,
  phaseMs: { matmul: totalMs / 2, attention: totalMs / 4, other: totalMs / 4 },
  retrieval,
  tokensPerSec: 100,
});
const memory: MemoryStats = { rssMainBytes: 1, rssEngineBytes: 2, kv: { deviceBytes: 400 * 1024, hostBytes: 3 << 20, diskBytes: 0 }, gpu: null, nPast: 28000, nCtx: 32768, documentId: 1 };

beforeEach(() => {
  resetStore();
  status = engine;
  f = fakeApi({
    ...startHandlers(),
    "engine.status": () => status,
    "library.list": () => [doc()],
    "chat.list": () => [],
    "chat.create": ({ documentId }) => ({ id: 1, documentId, title: "New conversation", systemPrompt: "", createdAt: 1, updatedAt: 1 }),
    "chat.messages": () => [],
    "library.import": ({ name }) => {
      const d = doc({ id: 2, title: name, state: "new" });
      f.emit("doc.updated", d); // as main does: the new book is announced before the reply
      return d;
    },
    "library.read": () => ({ jobId: "r1" }),
    "library.cancel": () => ({ cancelled: true }),
    "eval.cancel": () => ({ cancelled: true }),
  });
  disconnect = connect(f);
});
afterEach(() => disconnect());

describe("imports", () => {
  it("say 'already in the library' only for a book that was there before the drop", async () => {
    await s().init();
    await s().importFiles([new File(["Call me Ishmael."], "moby.txt")]);
    expect(s().notices).toEqual([]);
    await s().importFiles([new File(["Call me Ishmael."], "moby.txt")]);
    expect(s().notices.map((n) => n.text)).toEqual(["“moby.txt” is already in the library."]);
  });
});

describe("a read cancelled after a reload", () => {
  it("is named by its book (the page has had no progress that names the job), and shows as cancelling until it ends", async () => {
    status = { ...engine, activity: "reading", job: { id: "r9", kind: "read", documentId: 1, conversationId: null, cancelling: false, eval: null } };
    await s().init();
    act(() => f.emit("doc.updated", doc({ state: "reading" })));
    expect(s().progress[1]).toBeUndefined(); // tokenizing: no progress yet
    await s().cancelRead(1);
    expect(f.calls.find((c) => c.method === "library.cancel")?.params).toEqual({ documentId: 1 });
    expect(readCancelling(s(), 1)).toBe(false);
    f.emit("engine.status", { ...status, job: { ...status.job!, cancelling: true } });
    expect(readCancelling(s(), 1)).toBe(true);
    f.emit("engine.status", engine);
    f.emit("doc.updated", doc({ state: "new" }));
    expect(readCancelling(s(), 1)).toBe(false);
  });
});

describe("an evaluation", () => {
  const running = (): EngineStatus => ({
    ...engine,
    activity: "evaluating",
    job: { id: "e1", kind: "eval", documentId: null, conversationId: null, cancelling: false, eval: { progress: progress(2, 50), rows: [row("full", 0), row("retrieval", 0)] } },
  });

  it("running when the page loads is followed: its rows so far, progress, and a Cancel that works", async () => {
    status = running();
    await s().init();
    render(<Evaluate />);
    expect(s().evalRows).toHaveLength(2);
    expect(screen.getByTestId("eval-progress").textContent).toMatch(/2 \/ 6 · passkey 1024 tokens depth 50% · retrieval/);
    f.emit("eval.progress", { jobId: "e1", progress: progress(3, 50), row: row("full", 50) });
    expect(s().evalRows).toHaveLength(3);
    fireEvent.click(screen.getByTestId("eval-cancel"));
    await waitFor(() => expect(f.calls.find((c) => c.method === "eval.cancel")?.params).toEqual({ jobId: "e1" }));
    act(() => f.emit("engine.status", { ...status, job: { ...status.job!, cancelling: true } }));
    expect(screen.getByTestId("eval-cancel").textContent).toBe("cancelling…");
    expect((screen.getByTestId("eval-cancel") as HTMLButtonElement).disabled).toBe(true);
    act(() => f.emit("eval.done", { jobId: "e1", result: null, error: { code: "CANCELLED", message: "cancelled" } }));
    act(() => f.emit("engine.status", engine));
    // the person's own cancel: a plain note, not an error; the line says how far it got, not the last case
    expect(screen.queryByTestId("eval-error")).toBeNull();
    expect(screen.getByTestId("eval-note").className).not.toContain("error");
    expect(screen.getByTestId("eval-note").textContent).toMatch(/^Cancelled/);
    expect(screen.getByTestId("eval-progress").textContent).toBe("3 / 6 · cancelled");
    expect(s().evalRows).toHaveLength(3);
  });

  it("says why Run waits while the engine is busy", async () => {
    status = { ...engine, activity: "answering" };
    await s().init();
    render(<Evaluate />);
    expect((screen.getByTestId("eval-run") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("eval-waits").textContent).toBe("Run waits: the engine is answering.");
    act(() => f.emit("engine.status", engine));
    expect(screen.queryByTestId("eval-waits")).toBeNull();
  });

  it("that finished says done, without naming its last case", async () => {
    status = running();
    await s().init();
    render(<Evaluate />);
    const rows = [row("full", 0), row("retrieval", 0)];
    act(() => f.emit("eval.progress", { jobId: "e1", progress: { ...progress(6, 100), mode: "full" }, row: row("full", 100) }));
    act(() => f.emit("eval.done", { jobId: "e1", result: { suite: "eval", model: "m", n_ctx_train: 2048, chat_template: false, haystack: "noise", seed: 1, settings: { sinks: 4, window: 64, top_k: 8, threads: 1, monitor_every: 1 }, rows }, error: null }));
    expect(screen.getByTestId("eval-progress").textContent).toBe("6 / 6 · done");
    expect(screen.queryByTestId("eval-note")).toBeNull();
  });
});

describe("the live panels", () => {
  it("name the static set's tier by where it is, and say when attention is exact", async () => {
    await s().init();
    render(<Panels />);
    act(() => f.emit("stats.memory", memory));
    expect(screen.getByTestId("kv-tiers").textContent).toMatch(/static set \(CPU memory\) 400 KiB · host 3.0 MiB/);
    // the full setting, before a token: what every step will do
    expect(screen.getByTestId("retrieval-stats").textContent).toBe("Retrievalfull attention: every key attended (28,000)");
    act(() => f.emit("stats.memory", { ...memory, gpu: { name: "H200", usedBytes: 1, totalBytes: 2 } }));
    expect(screen.getByTestId("kv-tiers").textContent).toMatch(/device \(static set\) 400 KiB/);
    // full attention (a short book before its index): no static set is split off
    act(() => f.emit("stats.memory", { ...memory, kv: { deviceBytes: 0, hostBytes: 3 << 20, diskBytes: 5 << 20 } }));
    expect(screen.getByTestId("kv-tiers").textContent).toMatch(/KV cacheRAM 3.0 MiB · disk 5.0 MiB\d/);
    expect(screen.getByTestId("kv-tiers").textContent).not.toMatch(/static set|host/);
    // a short book on full attention: every key attended, no top-k
    act(() => f.emit("stats.token", tok(0, 3, { keysScanned: 9000, keysTotal: 9000, topK: 100, massCaptured: null, recall: null, exact: true, whole: true })));
    expect(screen.getByTestId("retrieval-stats").textContent).toBe("Retrievalfull attention (short context): every key attended");
    // a small index scanned whole: the exact top-k
    act(() => f.emit("stats.token", tok(0, 3, { keysScanned: 28160, keysTotal: 28160, topK: 100, massCaptured: null, recall: null, exact: true, whole: false })));
    expect(screen.getByTestId("retrieval-stats").textContent).toMatch(/exact top-k \(small index\): every key scored, 100% · top-k 100/);
    expect(screen.getByTestId("retrieval-stats").textContent).not.toMatch(/keys scanned/);
    act(() => f.emit("stats.token", tok(1, 3, { keysScanned: 400, keysTotal: 40000, topK: 100, massCaptured: null, recall: null, exact: false, whole: false })));
    expect(screen.getByTestId("retrieval-stats").textContent).toMatch(/keys scanned 1.0% \(400 of 40,000\)/);
  });
});

describe("the latency chart", () => {
  it("cuts the y scale above the usual tokens when a few spikes would flatten them, and marks the spikes", () => {
    const totals = Array.from({ length: 100 }, (_, i) => (i % 40 === 39 ? 100 : 3));
    const top = latencyTop(totals);
    expect(top).toBeGreaterThan(3);
    expect(top).toBeLessThan(10);
    const stats = totals.map((t, i) => tok(i, t));
    const marks = chartData(stats, top)[5];
    expect(marks.filter((m) => m !== null)).toHaveLength(2);
    expect(marks.every((m) => m === null || m < top)).toBe(true); // drawn inside the plot
    render(<LatencyChart stats={stats} />);
    expect(screen.getByTestId("latency-spikes").textContent).toMatch(/^2 slow tokens \(up to 100.0 ms\) cut off at 4.5 ms/);
  });

  it("keeps the whole range when nothing stands out, or with few tokens", () => {
    expect(latencyTop([3, 4, 5])).toBeCloseTo(5.5);
    expect(latencyTop([3, 100])).toBeCloseTo(110); // too few to call one a spike
    expect(latencyTop([])).toBe(1);
  });

  it("gives one token whole-number neighbours on the x axis, and an empty chart no axes", () => {
    expect(tokenRange(106, 106)).toEqual([105, 107]);
    expect(tokenRange(0, 40)).toEqual([0, 40]);
    expect(tokenRange(null, null)).toEqual([0, 1]);
    const { container, rerender } = render(<LatencyChart stats={[tok(0, 3)]} />);
    const plotBox = () => container.querySelector(".latency-chart > div") as HTMLElement;
    expect(plotBox().hidden).toBe(false);
    rerender(<LatencyChart stats={[]} />);
    expect(plotBox().hidden).toBe(true);
    expect(screen.getByTestId("latency-chart").textContent).toMatch(/appear with the next answer/);
  });
});
