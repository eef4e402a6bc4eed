// Live panels: GPU memory (or "no GPU: CPU backend"), process RSS, KV bytes per
// tier, retrieval stats of the last token, tokens/s, and the latency chart (the
// last answer's, while its book is selected). They fold away: by themselves when
// the window gets short (the reader needs the height), or by hand.
import { useEffect, useState } from "react";
import type { MemoryStats, TokenStats } from "../../../main/ipc/contract";
import { useStore } from "../store";
import { shownTokenStats } from "../store/stats-slice";
import { bytes, int, rate } from "../format";
import { LatencyChart } from "./LatencyChart";

const TALL = "(min-height: 760px)";

export function Panels() {
  const memory = useStore((s) => s.memory);
  const engine = useStore((s) => s.engine);
  const tokenStats = useStore(shownTokenStats);
  const last = tokenStats[tokenStats.length - 1];
  // the answer's count (its last token's place): a page loaded mid-answer has had only the later tokens' figures
  const answered = last ? Math.max(tokenStats.length, last.index + 1) : 0;
  const mode = useStore((s) => s.settings?.attention.mode);
  // the panels describe the engine's context, which need not be the selected book's
  const held = useStore((s) => s.documents.find((d) => d.id === s.memory?.documentId));
  const elsewhere = useStore((s) => held !== undefined && held.id !== s.selectedDocId);
  const gpu = memory?.gpu ?? engine?.gpu ?? null;
  const [open, setOpen] = useState(() => window.matchMedia?.(TALL).matches ?? true);
  useEffect(() => {
    const mq = window.matchMedia?.(TALL);
    if (!mq) return;
    const follow = () => setOpen(mq.matches);
    mq.addEventListener("change", follow);
    return () => mq.removeEventListener("change", follow);
  }, []);
  return (
    <details className="panels-box" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Engine <span className="muted small">{last ? `${rate(last.tokensPerSec)} · ` : ""}KV {bytes((memory?.kv.deviceBytes ?? 0) + (memory?.kv.hostBytes ?? 0))}</span>
      </summary>
      <section className="panels">
        <div className="panel" data-testid="mem-gpu">
          <h4>GPU</h4>
          {gpu ? (
            <span>
              {gpu.name}: {bytes(gpu.usedBytes)} / {bytes(gpu.totalBytes)}
            </span>
          ) : (
            <span>no GPU: CPU backend</span>
          )}
        </div>
        <div className="panel" data-testid="mem-cpu">
          <h4>Memory (RSS)</h4>
          <span>
            app {bytes(memory?.rssMainBytes)} · engine {bytes(memory?.rssEngineBytes)}
          </span>
        </div>
        <div className="panel" data-testid="kv-tiers">
          <h4>KV cache</h4>
          <KvTiers kv={memory?.kv} gpu={gpu !== null} />
          <div className="muted small">
            {int(memory?.nPast ?? 0)} / {int(memory?.nCtx ?? 0)} positions
          </div>
          {held && (
            <div className="muted small held" data-testid="engine-book" title={held.title}>
              {elsewhere ? "holds another book: " : "holds "}
              {held.title}
            </div>
          )}
        </div>
        <div className="panel" data-testid="retrieval-stats">
          <h4>Retrieval</h4>
          {last?.retrieval ? (
            <RetrievalFigures r={last.retrieval} />
          ) : !memory?.nPast ? (
            <span className="muted">no context in the engine yet</span>
          ) : mode === "full" ? (
            <span>
              full attention: every key attended ({int(memory.nPast)})
            </span>
          ) : (
            <span className="muted">retrieval: per-token figures appear with the next answer</span>
          )}
        </div>
        <div className="panel" data-testid="tokens-per-sec">
          <h4>Speed</h4>
          <span>
            {rate(last?.tokensPerSec)} · last token {last ? `${last.totalMs.toFixed(1)} ms` : "–"} · {int(answered)} {answered === 1 ? "token" : "tokens"}
          </span>
        </div>
        <div className="panel wide">
          <h4>Per-token latency by phase, ms</h4>
          <LatencyChart stats={tokenStats} />
        </div>
      </section>
    </details>
  );
}

/**
 * Where the KV cache lies. Once a sparse mode has its indexes, the static set (sinks + window)
 * is the device tier (in CPU memory too without a GPU) and the rest the host tier; before that
 * (full attention, or a short book not yet indexed) no static set is split off: all in RAM.
 */
function KvTiers({ kv, gpu }: { kv: MemoryStats["kv"] | undefined; gpu: boolean }) {
  const disk = bytes(kv?.diskBytes ?? 0);
  if (!kv?.deviceBytes)
    return (
      <span title="Full attention: every key is read where it lies, so no static set is kept apart.">
        RAM {bytes(kv?.hostBytes ?? 0)} · disk {disk}
      </span>
    );
  return (
    <span>
      {gpu ? "device (static set)" : "static set (CPU memory)"} {bytes(kv.deviceBytes)} · host {bytes(kv.hostBytes)} · disk {disk}
    </span>
  );
}

/** The last token's retrieval: keys scanned, top-k, attention mass found, recall; or that it attended every key. */
function RetrievalFigures({ r }: { r: NonNullable<TokenStats["retrieval"]> }) {
  const share = `${((r.keysScanned / Math.max(1, r.keysTotal)) * 100).toFixed(1)}%`;
  return (
    <span>
      {r.whole ? (
        // 100% scanned would read as retrieval being off: below about twelve thousand keys attending to them all costs less than a search
        <span title="A context this short is attended whole (cheaper than building and searching an index): every key is scored and attended, so attention is exact.">
          full attention (short context): every key attended
        </span>
      ) : r.exact ? (
        <span title="This index is small enough that scanning it whole costs less than searching it: every key is scored, so the top-k is exact.">
          exact top-k (small index): every key scored, 100%
        </span>
      ) : (
        <>
          keys scanned {share} ({int(r.keysScanned)} of {int(r.keysTotal)})
        </>
      )}
      {!r.whole && <> · top-k {int(r.topK)}</>}
      {r.massCaptured !== null && <> · mass {(r.massCaptured * 100).toFixed(1)}%</>}
      {r.recall !== null && <> · recall {(r.recall * 100).toFixed(0)}%</>}
    </span>
  );
}
