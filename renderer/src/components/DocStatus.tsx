// The selected book's state: "ready" (askable), reading with progress (tokens/s,
// ETA, cancel), "saved" (its KV store is on disk: Open reopens it in seconds,
// the part of the book that read held), or "not read yet" with a Read button;
// and how much of it fits the model's context (small models read only the
// beginning of a book: we say so, what limits it, and offer to read it again
// when today's Max answer tokens would take another part).
import type { DocumentInfo } from "../../../main/ipc/contract";
import { bookTokensThatFit, reserveTokens, savedReadFits } from "../../../main/app/read-budget";
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
 * How many of the book's tokens the loaded model reads, when known exactly: a ready book's count
 * (loading a model turns every book back to "new"), or the saved read's of a book saved for it
 * (opening it restores that read, when it still fits the context: main/app/read.ts); null for any
 * other (counts from whichever model read it last).
 */
function readTokens(doc: DocumentInfo, modelPath: string | undefined, ctx: number | undefined): number | null {
  if (doc.state === "ready") return doc.tokensUsed;
  if (modelPath === undefined || doc.savedFor !== modelPath) return null;
  const saved = doc.savedTokens ?? doc.tokensUsed;
  return saved !== null && (!ctx || doc.tokens === null || savedReadFits(ctx, saved, doc.tokens)) ? saved : null;
}

/**
 * Why only the beginning of the book is read (estimated from older counts), or what reading it
 * again would take when today's Max answer tokens would cut it elsewhere; null when all of it is
 * read and would be again.
 */
export function contextNote(doc: DocumentInfo, ctx: number | undefined, maxTokens: number | undefined, modelPath?: string): string | null {
  if (!ctx || maxTokens === undefined || doc.tokens === null) return null;
  const known = readTokens(doc, modelPath, ctx);
  const exact = known !== null;
  // what a read with today's Max answer tokens takes; a read made before may have taken more or less
  const now = bookTokensThatFit(ctx, maxTokens, doc.tokens);
  const used = known ?? now;
  if (exact && used >= doc.tokens && now < used)
    return (
      `It reads all of this book's ${int(doc.tokens)} tokens, which leaves ${int(ctx - used)} of the context's ${int(ctx)} for the conversation and the answer: ` +
      `an answer stops where the context ends. Reading it again (Read again) would take the first ${int(now)}, to leave room for answers of up to ${int(maxTokens)} tokens.`
    );
  if (used >= doc.tokens) return null;
  if (used === 0) return `The model's context (${int(ctx)} tokens) leaves no room for the book once the conversation and the answer have theirs.`;
  const about = exact ? "" : "about ";
  const share = exact && doc.charsUsed !== null && used === doc.tokensUsed ? (doc.charsUsed / Math.max(1, doc.chars)) * 100 : (used / doc.tokens) * 100;
  const read = `so it ${exact ? "reads" : "will read"} ${about}the first ${int(used)} of this book's ${int(doc.tokens)} tokens (${shareOfText(share, about)} of the text).`;
  if (exact && now !== used)
    return (
      `The model's context holds ${int(ctx)} tokens; ${int(ctx - used)} of them were kept for the conversation and the answer when the book was read, ${read} ` +
      `With Max answer tokens at ${int(maxTokens)} now, reading it again (Read again) would take ${now >= doc.tokens ? "all of it" : `the first ${int(now)}`}.`
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

/** A part of the book as a percentage, never "0.0%" for some of it nor "100.0%" for less than all. */
function shareOfText(percent: number, about: string): string {
  if (percent < 0.05) return "less than 0.1%";
  if (percent >= 99.95) return "more than 99.9%";
  return `${about}${percent.toFixed(1)}%`;
}

/**
 * Whether today's Max answer tokens would read another part of the book than the read the loaded
 * model holds or has saved (opening a saved book restores its read; Read again makes a new one).
 */
export function readDiffersToday(doc: DocumentInfo, ctx: number | undefined, maxTokens: number | undefined, modelPath?: string): boolean {
  const known = readTokens(doc, modelPath, ctx);
  if (!ctx || maxTokens === undefined || doc.tokens === null || known === null) return false;
  return bookTokensThatFit(ctx, maxTokens, doc.tokens) !== known;
}

export function DocStatus() {
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const progress = useStore((s) => (s.selectedDocId !== null ? s.progress[s.selectedDocId] : undefined));
  const hasModel = useStore((s) => !!s.engine?.model);
  const modelPath = useStore((s) => s.engine?.model?.path);
  const ctx = useStore((s) => s.engine?.model?.ctx);
  const maxTokens = useStore((s) => s.settings?.maxTokens);
  const activity = useStore((s) => s.engine?.activity ?? "idle");
  // the book the engine reads, when not this one: Read and Open wait for it, and say so
  const otherRead = useStore((s) => {
    const id = s.engine?.job?.kind === "read" ? s.engine.job.documentId : null;
    return id !== null && id !== s.selectedDocId ? s.documents.find((d) => d.id === id) : undefined;
  });
  const read = useStore((s) => s.readDocument);
  const cancel = useStore((s) => s.cancelRead);
  const cancelling = useStore((s) => s.selectedDocId !== null && readCancelling(s, s.selectedDocId));
  // Cancel takes the focus from Read / Open (gone as the read starts), and hands it to the
  // question box when the read ends.
  const cancelFocus = useFocusHandoff(() => document.querySelector<HTMLElement>('[data-testid="chat-input"]'));
  if (!doc) return null;
  const shown = shownDocState(doc, modelPath);
  const known = readTokens(doc, modelPath, ctx);
  const note = contextNote(doc, ctx, maxTokens, modelPath);
  const differs = readDiffersToday(doc, ctx, maxTokens, modelPath);
  // a new read under today's settings, replacing the saved one (the note above says what it takes)
  const readAgain = (
    <button
      type="button"
      data-testid="read-again"
      disabled={activity !== "idle"}
      aria-describedby={note ? "context-note" : undefined}
      onClick={(e) => {
        cancelFocus.take(e.currentTarget);
        void read(doc.id, { fresh: true });
      }}
    >
      Read again
    </button>
  );
  // The engine does one thing at a time: a disabled Read, Open or Read again says what it waits
  // for (this book's own read, starting, shows its progress instead).
  const waitsFor =
    activity === "idle" ? null : activity !== "reading" ? DOING[activity] : otherRead ? `reading “${otherRead.title}”` : null;
  const waits = waitsFor && (
    <span className="muted small" data-testid="read-waits">
      {" "}
      after the engine has finished {waitsFor}
    </span>
  );
  // Tokenizing reports only its start and end, the index build its layers (or only its start
  // and end): a bar that moves says "working" honestly, one standing at 0 does not.
  const measured = progress != null && progress.total > 0 &&
    (progress.phase === "prefill" || (progress.phase === "index" && progress.total > 1));
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
            <span className="muted">{known !== null ? `${int(known)} of ${int(doc.tokens)} tokens` : `about ${int(doc.tokens)} tokens`}</span>
          )}
        </div>
      </div>
      {doc.state === "error" && doc.error && <p className="error">{doc.error}</p>}
      {note && (
        <p className="note" id="context-note" data-testid="context-note">
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
              <>
                {progress.done >= progress.total
                  ? "index built"
                  : progress.total > 1 // the engine's layer reports: (layers built, layers to build)
                    ? `building the retrieval index… ${int(progress.done)} of ${int(progress.total)} layers · ETA ${ms(progress.etaMs)}`
                    : "building the retrieval index…"}
              </>
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
          {known === null
            ? "Read before with this model at a longer context: that read does not fit this one, so opening it reads the book again."
            : differs
              ? "Read before with this model under another Max answer tokens: its KV cache is on disk, so opening it restores that read in seconds; Read again reads the book anew under today's settings (and replaces that cache)."
              : "Read before with this model: its KV cache is on disk, so opening it takes seconds, not a new read."}
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
          {shown === "saved" && differs && readAgain}
          {waits}
        </>
      )}
      {doc.state === "ready" && hasModel && differs && (
        <div>
          {readAgain}
          {waits}
        </div>
      )}
      {doc.boilerplateSkipped && <p className="muted small">Project Gutenberg header and licence skipped.</p>}
    </div>
  );
}
