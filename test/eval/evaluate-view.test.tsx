// @vitest-environment happy-dom
// The Evaluate view against the store and a fake contract (test/renderer style):
// the form becomes eval.run params, rows streaming in fill the heatmaps, cancel
// calls eval.cancel, eval.done shows the summary and the note that the model
// cannot solve the tasks; bad input is refused before anything is sent.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "../../renderer/src/components/App";
import { resetStore, useStore } from "../../renderer/src/store";
import type { EvalResult, EvalRow } from "../../main/ipc/contract";
import { connect, fakeApi, type FakeApi } from "../renderer/fake-api";
import { app, doc, engine, settings } from "../renderer/fixtures";
import { evalRow } from "./eval-row";

let f: FakeApi;
let disconnect: () => void;

const row = evalRow;

const ROWS: EvalRow[] = [
  row({}),
  row({ mode: "retrieval", agree_with_full: 1, first_token_agree: 1, kl: 2e-4, recall: 0.99, mass: 0.95, sparse: true }),
  row({ mode: "streaming", agree_with_full: 0, first_token_agree: 1, kl: 3e-2, mass: 0.8, sparse: true }),
];

beforeEach(async () => {
  resetStore();
  f = fakeApi({
    "app.info": () => app,
    "engine.status": () => engine,
    "settings.get": () => settings,
    "models.list": () => [],
    "library.list": () => [doc()],
    "chat.list": () => [],
    "chat.messages": () => [],
    "library.text": () => ({ documentId: 1, start: 0, end: 0, text: "" }),
    "eval.run": () => ({ jobId: "e1" }),
    "eval.cancel": () => ({ cancelled: true }),
  });
  disconnect = connect(f);
  await useStore.getState().init();
});
afterEach(() => disconnect());

async function openEvaluate() {
  render(<App />);
  fireEvent.click(screen.getByTestId("view-evaluate"));
  await screen.findByTestId("evaluate-view");
}

describe("Evaluate view", () => {
  it("sends the chosen subset, shows progress and heatmaps as rows arrive, and cancels", async () => {
    await openEvaluate();
    fireEvent.click(screen.getByTestId("eval-task-passkey")); // off (on by default)
    fireEvent.change(screen.getByTestId("eval-lengths"), { target: { value: "1K" } });
    fireEvent.change(screen.getByTestId("eval-depths"), { target: { value: "50" } });
    fireEvent.change(screen.getByTestId("eval-sinks"), { target: { value: "16" } });
    fireEvent.click(screen.getByTestId("eval-run"));
    await waitFor(() => expect(f.calls.some((c) => c.method === "eval.run")).toBe(true));
    expect(f.calls.find((c) => c.method === "eval.run")!.params).toEqual({
      tasks: ["niah_single"], lengths: [1024], depths: [50], modes: ["full", "retrieval", "streaming"], samples: 1, beyondTrained: false, sinks: 16,
    });
    await screen.findByTestId("eval-cancel");
    act(() => ROWS.forEach((r, i) => f.emit("eval.progress", { jobId: "e1", progress: { done: i + 1, total: 4, task: r.task, length: r.length, depth: r.depth, mode: r.mode }, row: r })));
    expect(screen.getByTestId("eval-progress").textContent).toMatch(/3 \/ 4/);
    const maps = screen.getAllByTestId("eval-heatmap");
    // score x 3 modes, difference x 2, agreement x 2, KL x 2
    expect(maps).toHaveLength(9);
    const kl = maps.find((m) => m.dataset.metric === "kl" && m.dataset.mode === "retrieval")!;
    expect(kl.textContent).toContain("2e-4");
    fireEvent.click(screen.getByTestId("eval-cancel"));
    await waitFor(() => expect(f.calls.some((c) => c.method === "eval.cancel" && (c.params as { jobId: string }).jobId === "e1")).toBe(true));
    act(() => f.emit("eval.done", { jobId: "e1", result: null, error: { code: "CANCELLED", message: "cancelled" } }));
    // a cancel the person chose is a note, not an error
    expect(screen.getByTestId("eval-note").textContent).toMatch(/^Cancelled/);
    expect(screen.queryByTestId("eval-error")).toBeNull();
    expect(screen.getByTestId("eval-progress").textContent).toMatch(/3 \/ 4 · cancelled$/);
    expect(screen.getByTestId("eval-run")).toBeTruthy();
  });

  it("shows the summary and says when the model cannot solve the tasks", async () => {
    await openEvaluate();
    fireEvent.click(screen.getByTestId("eval-run"));
    await screen.findByTestId("eval-cancel");
    const result: EvalResult = { suite: "eval", model: "tiny.gguf", n_ctx_train: 2048, chat_template: false, haystack: "noise", seed: 1, settings: { sinks: 128, window: 512, top_k: 100, threads: 2, monitor_every: 1 }, rows: ROWS };
    act(() => f.emit("eval.done", { jobId: "e1", result, error: null }));
    expect(screen.getByTestId("eval-cannot-solve").textContent).toMatch(/cannot solve these tasks/);
    const summary = screen.getByTestId("eval-summary").textContent!;
    expect(summary).toContain("retrieval");
    expect(summary).toContain("100.0%");
    expect(summary).toContain("2.00e-4");
  });

  it("refuses a bad length before sending anything", async () => {
    await openEvaluate();
    fireEvent.change(screen.getByTestId("eval-lengths"), { target: { value: "lots" } });
    fireEvent.click(screen.getByTestId("eval-run"));
    await screen.findByTestId("eval-error");
    expect(screen.getByTestId("eval-error").textContent).toMatch(/bad length 'lots'/);
    expect(f.calls.some((c) => c.method === "eval.run")).toBe(false);
  });
});
