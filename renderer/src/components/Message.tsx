// One message of the conversation: a question (its quoted passage above it, which
// shows it in the book; Edit on the last one) or an answer (a reasoning model's
// thinking folded, the words streaming, how it ended, Copy, its stats, and the
// passages it attended to most, each shown in the book on a click).
import { useEffect, useState } from "react";
import { useStore } from "../store";
import type { MessageInfo } from "../../../main/ipc/contract";
import { int, ms, rate } from "../format";
import { splitThinking } from "../thinking";
import { copyText } from "../copy-text";

/** Why an answer ended, when not at the model's own end: the answer limit or a full context. */
function cutReason(m: MessageInfo): { text: string; tip: string } | null {
  const st = m.stats;
  if (m.status !== "done" || !st) return null;
  if (st.stoppedBy === "context")
    return { text: "cut off: context full", tip: "The book and the conversation fill the model's context: start a new conversation, or load the model with a longer context." };
  if (st.stoppedBy === "length") return { text: `cut off: answer limit (${int(st.tokens)} tokens)`, tip: "Raise “Max answer tokens” in Settings for longer answers." };
  return null;
}

/** `editable`: the last question, which can be taken back to the question box and sent again in its place. */
export function Message({ m, editable = false }: { m: MessageInfo; editable?: boolean }) {
  const jump = useStore((s) => s.jump);
  const showQuoted = useStore((s) => s.showQuoted);
  const editQuestion = useStore((s) => s.editQuestion);
  const docId = useStore((s) => s.selectedDocId);
  // an answer whose conversation outgrew full attention builds the book's index before its first word
  const indexing = useStore((s) => {
    const p = docId !== null ? s.progress[docId] : undefined;
    return p?.phase === "index" && p.done < p.total;
  });
  const cut = cutReason(m);
  // An answer's first token usually carries the space before a word (SentencePiece's "▁The"):
  // shown as is, every answer's first line sat one space in from the rest.
  const raw = m.role === "assistant" ? m.content.replace(/^\s+/, "") : m.content;
  const { thinking, answer: text, open: thinkingNow } = m.role === "assistant" ? splitThinking(raw) : { thinking: null, answer: raw, open: false };
  return (
    <div
      className={`message ${m.role} status-${m.status}`}
      data-testid={m.role === "assistant" ? "message-assistant" : "message-user"}
      role="article"
      aria-label={m.role === "assistant" ? "Answer" : "Your question"}
    >
      {thinking !== null && (
        <details className="thinking" data-testid="thinking">
          <summary className="muted small">{thinkingNow && m.status === "streaming" ? "Thinking…" : "Reasoning"}</summary>
          <div className="thinking-text">{thinking}</div>
        </details>
      )}
      {m.passage && docId !== null && (
        <button type="button" className="quoted" data-testid="quoted" title="Show the passage in the book" onClick={() => showQuoted(docId, m.passage!.start, m.passage!.end)}>
          “{clip(m.passage.text.replace(/\s+/g, " ").trim(), 300)}”
        </button>
      )}
      <div className="content">
        {text}
        {/* before the first word the engine reads the prompt (and a book not read yet): say so */}
        {m.status === "streaming" && !raw && <span className="muted">{indexing ? "building the retrieval index… " : "reading the question… "}</span>}
        {m.status === "streaming" && <span className="cursor">▍</span>}
        {m.status === "stopped" && !raw && <span className="muted">(stopped before the first word)</span>}
      </div>
      {editable && (
        <div className="meta small">
          <button type="button" className="copy" data-testid="edit-question" title="Edit this question: Send then replaces it and its answer" onClick={() => editQuestion(m)}>
            Edit
          </button>
        </div>
      )}
      {m.role === "assistant" && m.status !== "streaming" && (
        <div className="meta muted small">
          {text && <CopyButton text={text} />}
          {m.status === "stopped" && <span className="badge">stopped</span>}
          {m.status === "interrupted" && <span className="badge">interrupted (app closed)</span>}
          {m.status === "error" && <span className="badge error">error</span>}
          {cut && (
            <span className="badge" data-testid="cut-reason" title={cut.tip}>
              {cut.text}
            </span>
          )}
          {m.stats && (
            <span>
              {" "}
              {int(m.stats.tokens)} tokens · {rate(m.stats.tokensPerSec)} · prompt {int(m.stats.promptTokens)} ({int(m.stats.reusedTokens)} reused) in {ms(m.stats.prefillMs)}
            </span>
          )}
        </div>
      )}
      {m.highlights.length > 0 && docId !== null && (
        <ol className="passages">
          {m.highlights.map((h, i) => (
            <li key={i}>
              <button type="button" data-testid="highlight" onClick={() => jump(docId, h.start, m.id)} title="Show in the book">
                “{clip(h.text.trim(), 160)}”
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** The first `n` characters of s, "…" when there were more. */
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) + "…" : s);

/** Copies an answer (without a reasoning model's thinking) and says whether it could. */
function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState<"copied" | "failed" | null>(null);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(null), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button type="button" className="copy" data-testid="copy-answer" title="Copy the answer" onClick={() => void copyText(text).then((ok) => setDone(ok ? "copied" : "failed"))}>
      {done === "copied" ? "Copied" : done === "failed" ? "Could not copy" : "Copy"}
    </button>
  );
}
