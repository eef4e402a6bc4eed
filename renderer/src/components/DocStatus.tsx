// The selected book's state: "ready" (askable), reading with progress (tokens/s,
// ETA, cancel), "saved" (its KV store is on disk: Open reopens it in seconds),
// or "not read yet" with a Read button; and how much of it fits the model's
// context (small models read only the beginning of a book: we say so, and what
// limits it).
import type { DocumentInfo } from "../../../main/ipc/contract";
import { bookTokensThatFit, reserveTokens } from "../../../main/app/read-budget";
import { shownDocState, type ShownDocState } from "../doc-state";
import { useStore } from "../store";
import { readCancelling } from "../store/library-slice";
import { useFocusHandoff } from "../focus-handoff";
import { DOING, int, ms, rate } from "../format";

/** A book's state in words, the same in the library list and here. */
export function stateLabel(shown: ShownDocState, hasModel: boolean): string {
  return { ready: "ready", reading: "reading…", error: "error", saved: "saved", new: hasModel ? "not read yet" : "waiting for a model" }[shown];
}

/**
 * Whether the book's token counts are what the loaded model reads: a ready book's are (loading
 * a model turns every book back to "new"), and so are those of a book saved for it (opening it
 * restores that read); any other's are from whichever model read it last.
 */
function exactCounts(doc: DocumentInfo, modelPath?: string): boolean {
  return doc.tokensUsed !== null && (doc.state === "ready" || (modelPath !== undefined && doc.savedFor === modelPath));
}

/** Why only the beginning of the book is read (estimated from older counts), or null when all of it is. */
export function contextNote(doc: DocumentInfo, ctx: number | undefined, maxTokens: number | undefined, modelPath?: string): string | null {
  if (!ctx || maxTokens === undefined || doc.tokens === null) return null;
  const exact = exactCounts(doc, modelPath);
  // what a read with today's Max answer tokens takes; a read made before may have taken more or less
  const now = bookTokensThatFit(ctx, maxTokens, doc.tokens);
  const used = exact ? doc.tokensUsed! : now;
  if (used >= doc.tokens) return null;
  if (used === 0) return `The model's context (${int(ctx)} tokens) leaves no room for the book once the conversation and the answer have theirs.`;
  const about = exact ? "" : "about ";
  const share = exact && doc.charsUsed !== null ? (doc.charsUsed / Math.max(1, doc.chars)) * 100 : (used / doc.tokens) * 100;
  const read = `so it ${exact ? "reads" : "will read"} ${about}the first ${int(used)} of this book's ${int(doc.tokens)} tokens (${about}${share.toFixed(1)}% of the text).`;
  if (exact && now !== used)
    return (
      `The model's context holds ${int(ctx)} tokens; ${int(ctx - used)} of them were kept for the conversation and the answer when the book was read, ${read} ` +
      `With Max answer tokens at ${int(maxTokens)} now, reading it again would take ${now >= doc.tokens ? "all of it" : `the first ${int(now)}`}.`
    );
  // Half the context is the most kept free; below that, the answer budget sets how much is.
  const byBudget = reserveTokens(ctx, maxTokens) < Math.floor(ctx / 2);
  const fitsAt = maxTokens - (doc.tokens - used); // the answer budget that leaves room for all of it
  return (
    `The model's context holds ${int(ctx)} tokens; ${int(ctx - used)} of them are kept for the conversation and ` +
    (byBudget ? `answers of up to ${int(maxTokens)} tokens (Max answer tokens, in Settings)` : "the answer") +
    `, ${read} ` +
    (byBudget && fitsAt > 0 ? `With Max answer tokens at ${int(fitsAt)} or less it would read all of it.` : "Load a model with a longer context to read more of it.")
  );
}

/**
 * Whether a saved read no longer matches what a read takes now: the KV store is keyed by the
 * tokens read, and today's Max answer tokens would read a different part of the book.
 */
function savedReadStale(doc: DocumentInfo, ctx: number | undefined, maxTokens: number | undefined): boolean {
  if (!ctx || maxTokens === undefined || doc.tokens === null || doc.tokensUsed === null) return false;
  return bookTokensThatFit(ctx, maxTokens, doc.tokens) !== doc.tokensUsed;
}

export function DocStatus() {
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const progress = useStore((s) => (s.selectedDocId !== null ? s.progress[s.selectedDocId] : undefined));
  const hasModel = useStore((s) => !!s.engine?.model);
  const modelPath = useStore((s) => s.engine?.model?.path);
  const ctx = useStore((s) => s.engine?.model?.ctx);
  const maxTokens = useStore((s) => s.settings?.maxTokens);
  const activity = useStore((s) => s.engine?.activity ?? "idle");
  const read = useStore((s) => s.readDocument);
  const cancel = useStore((s) => s.cancelRead);
  const cancelling = useStore((s) => s.selectedDocId !== null && readCancelling(s, s.selectedDocId));
  // Cancel takes the focus from Read / Open (gone as the read starts), and hands it to the
  // question box when the read ends.
  const cancelFocus = useFocusHandoff(() => document.querySelector<HTMLElement>('[data-testid="chat-input"]'));
  if (!doc) return null;
  const shown = shownDocState(doc, modelPath);
  const exact = exactCounts(doc, modelPath);
  const note = contextNote(doc, ctx, maxTokens, modelPath);
  // Tokenizing and the index build report only their start and end: a bar that moves says
  // "working" honestly, one standing at 0 does not.
  const measured = progress?.phase === "prefill" && progress.total > 0;
  return (
    <div className="doc-status-box">
      <div data-testid="doc-status" className={`doc-status state-${shown}`}>
        <strong>{doc.title}</strong>
        {doc.author && <span className="muted"> — {doc.author}</span>}{" "}
        <div>
          <span className="badge" role="status">
            {stateLabel(shown, hasModel)}
          </span>{" "}
          {doc.tokens !== null && (
            <span className="muted">{exact ? `${int(doc.tokensUsed)} of ${int(doc.tokens)} tokens` : `about ${int(doc.tokens)} tokens`}</span>
          )}
        </div>
      </div>
      {doc.state === "error" && doc.error && <p className="error">{doc.error}</p>}
      {note && (
        <p className="note" data-testid="context-note">
          {note}
        </p>
      )}
      {doc.state === "reading" && (
        <div data-testid="prefill-progress" className="progress">
          <progress aria-label="Reading" max={measured ? progress.total : undefined} value={measured ? progress.done : undefined} />
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
          {/* aria-disabled, not disabled: a disabled button would drop the focus it has */}
          <button type="button" ref={cancelFocus.ref} aria-disabled={cancelling} onClick={() => !cancelling && void cancel(doc.id)}>
            {cancelling ? "cancelling…" : "Cancel"}
          </button>
        </div>
      )}
      {shown === "saved" && (
        <p className="muted small" data-testid="saved-note">
          {savedReadStale(doc, ctx, maxTokens)
            ? "Read before with this model under another Max answer tokens: its KV cache on disk holds a different part of the book, so opening it now reads the book again."
            : "Read before with this model: its KV cache is on disk, so opening it takes seconds, not a new read (unless Max answer tokens or the system prompt have changed since)."}
        </p>
      )}
      {(doc.state === "new" || doc.state === "error") && hasModel && (
        <>
          <button
            type="button"
            data-testid="read-doc"
            disabled={activity !== "idle"}
            onClick={(e) => {
              cancelFocus.take(e.currentTarget);
              void read(doc.id);
            }}
          >
            {shown === "saved" ? "Open" : "Read it now"}
          </button>
          {/* the engine does one thing at a time: say what it is doing instead of failing the click */}
          {activity !== "idle" && activity !== "reading" && <span className="muted small"> after the engine has finished {DOING[activity]}</span>}
        </>
      )}
      {doc.boilerplateSkipped && <p className="muted small">Project Gutenberg header and licence skipped.</p>}
    </div>
  );
}
