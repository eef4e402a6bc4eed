// The selected book's state: "ready" (askable), reading with progress (tokens/s,
// ETA, cancel), "saved" (its KV store is on disk: Open reopens it in seconds),
// or "new" with a Read button; and how much of it fits the model's
// context (small models read only the beginning of a book, and we say so).
import { shownDocState } from "../doc-state";
import { useStore } from "../store";
import { int, ms, rate } from "../format";

export function DocStatus() {
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const progress = useStore((s) => (s.selectedDocId !== null ? s.progress[s.selectedDocId] : undefined));
  const hasModel = useStore((s) => !!s.engine?.model);
  const modelPath = useStore((s) => s.engine?.model?.path);
  const ctx = useStore((s) => s.engine?.model?.ctx);
  const read = useStore((s) => s.readDocument);
  const cancel = useStore((s) => s.cancelRead);
  if (!doc) return null;
  const shown = shownDocState(doc, modelPath);
  const label = {
    ready: "ready",
    reading: "reading…",
    error: "error",
    saved: "saved",
    new: hasModel ? "not read yet" : "waiting for a model",
  }[shown];
  const cut = doc.tokens !== null && doc.tokensUsed !== null && doc.tokensUsed < doc.tokens;
  return (
    <div className="doc-status-box">
      <div data-testid="doc-status" className={`doc-status state-${shown}`}>
        <strong>{doc.title}</strong>
        {doc.author && <span className="muted"> — {doc.author}</span>}{" "}
        <div>
          <span className="badge">{label}</span>{" "}
          {doc.tokens !== null && (
            <span className="muted">
              {int(doc.tokensUsed)} of {int(doc.tokens)} tokens
            </span>
          )}
        </div>
      </div>
      {doc.state === "error" && doc.error && <p className="error">{doc.error}</p>}
      {cut && (
        <p className="note" data-testid="context-note">
          The model's context holds {int(ctx)} tokens: it reads the first {int(doc.tokensUsed)} of this book's {int(doc.tokens)} tokens (
          {(((doc.charsUsed ?? 0) / Math.max(1, doc.chars)) * 100).toFixed(1)}% of the text). Load a model with a longer context to read all of it.
        </p>
      )}
      {doc.state === "reading" && (
        <div data-testid="prefill-progress" className="progress">
          <progress max={progress?.total || 1} value={progress?.done ?? 0} />
          <div className="muted">
            {progress?.phase === "tokenize" ? (
              <>tokenizing {int(progress.total)} characters…</>
            ) : progress?.phase === "index" ? (
              <>{progress.done < progress.total ? "building the retrieval index…" : "index built"}</>
            ) : progress ? (
              <>
                {progress.phase} {int(progress.done)} / {int(progress.total)} tokens ·{" "}
                {rate(progress.tokensPerSec)} · ETA {ms(progress.etaMs)}
              </>
            ) : (
              "starting…"
            )}
          </div>
          <button type="button" onClick={() => void cancel(doc.id)}>
            Cancel
          </button>
        </div>
      )}
      {shown === "saved" && (
        <p className="muted small" data-testid="saved-note">
          Read before with this model: its KV cache is on disk, so opening it takes seconds, not a new read.
        </p>
      )}
      {(doc.state === "new" || doc.state === "error") && hasModel && (
        <button type="button" onClick={() => void read(doc.id)}>
          {shown === "saved" ? "Open" : "Read it now"}
        </button>
      )}
      {doc.boilerplateSkipped && <p className="muted small">Project Gutenberg header and licence skipped.</p>}
    </div>
  );
}
