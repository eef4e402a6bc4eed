// tome bench decode: ms per decoded token versus context length for full,
// retrieval, flat and streaming attention, on synthetic models (make-model).
// Contexts up to PREFILL_LIMIT tokens are prefilled for real; longer ones use
// a synthetic KV cache and queries (Session.fillSynthetic), said so per row in
// kv_source. The index is built before timing starts (its cost is in build_s).
// The retrieval rows measure the graph index at every length (the engine's
// exactBelow default, 0); the app and `tome run` scan exactly below
// DEFAULT_EXACT_BELOW keys, which the flat rows measure.
//
// Rows are timed in turns (decode-turns.ts): every session that fits in memory
// at once is prepared first, then each runs TURN_STEPS steps in turn, so the
// rows the goals compare (retrieval against full at 128K, retrieval at 128K
// against 4K) meet the same minutes of a shared host; the rest run alone after.
import * as os from "node:os";
import type { BenchOptions } from "../cli/commands/bench";
import { loadAddon, type AttentionMode } from "../engine/native";
import { admissionOrder, sessionBytes, turnRatios, WARMUP, warmedUp, type PlannedRow } from "./decode-turns";
import { describeHost, probeHost } from "./host-probe";
import { describePhases, StepAverages, type StepPhase } from "./step-averages";
import { prepareDecode, syntheticModel, timedSteps, untimedSteps, type DecodeState } from "./synthetic";

export interface DecodeRow {
  mode: AttentionMode;
  shape: string;
  ctx: number;
  ms_per_token: number;
  kv_source: "prefill" | "synthetic";
  build_s: number;
  keys_scanned_frac: number;
  /** Timed in turns with the other rows that held memory at once (else alone). */
  in_turns: boolean;
  /** ms per token of each block of TURN_STEPS steps, in time order. */
  block_ms: number[];
  /** ms per token of each untimed block of WARMUP.blockSteps steps before them, in time order. */
  warmup_block_ms: number[];
  /** The engine's mean ms a timed step in each phase (StepStats.ms). They sum to a little
   * less than ms_per_token: the call from JS and the hand-off to the session's worker are
   * outside them (smol 4K streaming, session 38: 8.8 of 9.3 ms). */
  phase_ms: Record<StepPhase, number>;
}

const PREFILL_LIMIT = Number(process.env.TOME_BENCH_PREFILL_LIMIT ?? 4096);
// Steps timed per row, after the index build and the warm-up. 16 steps
// moved 10-20% between runs on the 2-core VM (a 128K row's first steps run
// on cold caches and cost up to twice its later ones); 64 average that out,
// and cost at most ~30 s a row (full attention on the 1b shape at 128K).
const N_STEPS = 64;
// Steps a row runs per turn. A turn of the smol shape's four 128K rows takes
// ~7 s. Full attention's steps stream the whole cache through L3 between a
// retrieval row's blocks; measured (smol, 32K synthetic, blocks of 16): the
// retrieval row read 27.5 ms/token alternating with full, 27.3-30.5 alone.
const TURN_STEPS = 16;
// Untimed steps a row runs at the start of each of its turns when rows take
// turns. The app decodes one session at a time; here every turn of a row
// follows the other rows' turns, whose memory traffic leaves its first steps
// slow. Measured (smol, 2026-12-04, 128K retrieval, 128K full and 4K retrieval
// in turns of 24 steps, six turns, mean ms by step within a turn): 128K
// retrieval 75.6, 58.7, 47.4, 55.7, then 41-55 (46 on average); 4K retrieval
// 52.8, 30.2, 30.3, 28.0, then 23.5-31.4 (26); full 237.5, 216.0, then
// 197-230 (209). Sixteen steps of each turn timed from its first step read
// full over retrieval at 128K 4.29x, from its fifth 4.62x; 128K over 4K
// retrieval 1.74x either way.
const TURN_REWARM = 4;
// Untimed steps before the timed ones, in turns of their own (WARMUP in
// decode-turns.ts: blocks of 8 until each row is steady, 64 to 96 steps).
// On this VM memory left idle while other sessions fill theirs is slow to
// touch again for a while (no guest page faults or compaction are counted:
// the host pages it). Measured (smol 64K, retrieval, ms a step): right after
// its build 44, 39, 34 .. 30; after 140 s idle 160, 46, 41 .. 30; after the
// full, flat and streaming rows were prepared (140 s, ~5 GB filled) 163, 95,
// 81, 73 .. 35 by the 15th step. A retrieval row reads a few % of its index
// and cache a step, so it takes the longest to come back: 16 untimed steps
// (a fixed count until 2026-12-02) left the 128K row's first timed blocks
// slow (smol, 2026-12-02 05:17: 76.4 ms untimed, then blocks 44.5, 41.8,
// 37.9, 37.6; the 4K row flat from its first block).
// Memory kept free while sessions are admitted to the turns (the OS, an index
// build's training queries): a share of the machine's RAM.
const RESERVE_SHARE = 0.15;

interface Live extends PlannedRow {
  state: DecodeState;
  blocks: number[];
  warmup: number[];
  kvSource: DecodeRow["kv_source"];
}

export async function benchDecode(o: BenchOptions) {
  const threads = o.threads ?? os.cpus().length;
  const shapes = o.shapes ?? (o.quick ? ["smol"] : ["smol", "1b"]);
  const ctxs = o.ctxs ?? (o.quick ? [4096, 131072] : [4096, 16384, 32768, 131072]);
  const modes: AttentionMode[] = ["full", "retrieval", "flat", "streaming"];
  const addon = loadAddon();
  const rows: DecodeRow[] = [];
  const log = (s: string) => process.stderr.write(s + "\n");
  const reserve = RESERVE_SHARE * os.totalmem();
  const host = probeHost(); // before any session fills memory
  log(describeHost(host));
  for (const shape of shapes) {
    const model = new addon.Model(await syntheticModel("llama", shape, "q8_0"));
    const info = model.info();
    const planned: PlannedRow[] = ctxs.flatMap((ctx) => modes.map((mode) => ({ ctx, mode })));

    const prepare = async (p: PlannedRow): Promise<Live> => {
      const steps = WARMUP.maxSteps + N_STEPS + (N_STEPS / TURN_STEPS) * TURN_REWARM;
      const session = new addon.Session(model, { ctx: p.ctx + steps + 8, threads, attention: p.mode });
      const kvSource = p.ctx <= PREFILL_LIMIT ? "prefill" : "synthetic";
      try {
        const state = await prepareDecode(session, { ctx: p.ctx, nVocab: info.nVocab, synthetic: kvSource === "synthetic" });
        return { ...p, state, blocks: [], warmup: [], kvSource };
      } catch (e) {
        session.close();
        throw e;
      }
    };
    const finish = (x: Live, inTurns: boolean) => {
      const ms = x.blocks.reduce((a, b) => a + b, 0) / x.blocks.length;
      const scanned = x.state.averages.keysScannedFrac;
      const phaseMs = x.state.averages.phases();
      rows.push({
        mode: x.mode, shape, ctx: x.ctx, ms_per_token: ms, kv_source: x.kvSource, build_s: x.state.buildS,
        keys_scanned_frac: scanned, in_turns: inTurns, block_ms: x.blocks, warmup_block_ms: x.warmup,
        phase_ms: phaseMs,
      });
      log(`decode ${shape} ctx ${x.ctx} ${x.mode}: ${ms.toFixed(1)} ms/token (${x.kvSource}${inTurns ? ", in turns" : ", alone"}; ` +
        `blocks ${x.blocks.map((b) => b.toFixed(1)).join(" ")} after untimed ${x.warmup.map((b) => b.toFixed(1)).join(" ")}; first step ${x.state.firstMs.toFixed(0)} ms, ` +
        `index build ${x.state.buildS.toFixed(1)} s, scanned ${(100 * scanned).toFixed(2)}%; ms a step: ${describePhases(phaseMs)})`);
    };

    // untimed turns until every row is steady (warmedUp), then TURN_STEPS
    // timed steps each in turn (after TURN_REWARM untimed ones when rows take
    // turns) until each has N_STEPS; rows alone are turns of one
    const runTurns = async (xs: Live[]) => {
      while (!xs.every((x) => warmedUp(x.warmup)))
        for (const x of xs) x.warmup.push(await timedSteps(x.state, WARMUP.blockSteps));
      for (const x of xs) x.state.averages = new StepAverages();
      for (let done = 0; done < N_STEPS; done += TURN_STEPS)
        for (const x of xs) {
          if (xs.length > 1) await untimedSteps(x.state, TURN_REWARM);
          x.blocks.push(await timedSteps(x.state, TURN_STEPS));
        }
      for (const x of xs) finish(x, xs.length > 1);
    };

    // the turns: sessions admitted while they fit (the first always)
    const live: Live[] = [];
    const alone: PlannedRow[] = [];
    try {
      for (const p of admissionOrder(planned)) {
        if (live.length > 0 && sessionBytes(info, p.ctx, p.mode) > os.freemem() - reserve) alone.push(p);
        else live.push(await prepare(p));
      }
      live.sort((a, b) => a.ctx - b.ctx || modes.indexOf(a.mode) - modes.indexOf(b.mode));
      await runTurns(live);
    } finally {
      for (const x of live) x.state.session.close();
    }
    for (const line of turnRatios(live.map((x) => ({ ctx: x.ctx, mode: x.mode, blocks: x.blocks }))))
      log(`decode ${shape} ${line}`);
    for (const p of alone) {
      const x = await prepare(p);
      try {
        await runTurns([x]);
      } finally {
        x.state.session.close();
      }
    }
  }
  rows.sort((a, b) => shapes.indexOf(a.shape) - shapes.indexOf(b.shape) || a.ctx - b.ctx || modes.indexOf(a.mode) - modes.indexOf(b.mode));
  const warmup = { block_steps: WARMUP.blockSteps, min_steps: WARMUP.minSteps, max_steps: WARMUP.maxSteps, steady: WARMUP.steady };
  return { suite: "decode", host, threads, warmup, turn_steps: TURN_STEPS, turn_rewarm: TURN_REWARM, rows };
}
