// The conversation: messages (assistant answers stream in place), the question
// box, send / stop / regenerate, and the conversation's system prompt.
import { useEffect, useRef, useState } from "react";
import { useStore } from "../store";
import type { MessageInfo } from "../../../main/ipc/contract";
import { ms, rate } from "../format";

export function Chat() {
  const messages = useStore((s) => s.messages);
  const streaming = useStore((s) => s.messages.some((m) => m.status === "streaming"));
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const hasModel = useStore((s) => !!s.engine?.model);
  const busy = useStore((s) => (s.engine?.activity ?? "idle") !== "idle");
  const send = useStore((s) => s.send);
  const stop = useStore((s) => s.stop);
  const regenerate = useStore((s) => s.regenerate);
  const [text, setText] = useState("");
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [messages]);

  const canSend = !!doc && hasModel && !busy && text.trim().length > 0;
  const submit = async () => {
    if (!canSend) return;
    const t = text;
    setText("");
    if (!(await send(t))) setText(t);
  };
  const last = messages[messages.length - 1];
  return (
    <section className="chat">
      <SystemPrompt />
      <div className="messages" aria-live="polite">
        {messages.length === 0 && (
          <p className="muted empty">{doc ? `Ask anything about “${doc.title}”.` : "Drop a book on the window to start."}</p>
        )}
        {messages.map((m) => (
          <Message key={m.id} m={m} />
        ))}
        <div ref={end} />
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <textarea
          data-testid="chat-input"
          value={text}
          placeholder={!hasModel ? "Load a model to ask questions" : doc ? "Ask about the book… (Enter sends, Shift+Enter for a new line)" : "Drop a book first"}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              void submit();
            }
          }}
          rows={3}
        />
        <div className="composer-buttons">
          {streaming ? (
            <button type="button" data-testid="stop" className="stop" onClick={() => void stop()}>
              Stop
            </button>
          ) : (
            <button type="submit" data-testid="send" disabled={!canSend}>
              Send
            </button>
          )}
          <button type="button" data-testid="regenerate" disabled={streaming || busy || !last || !hasModel} onClick={() => void regenerate()}>
            Regenerate
          </button>
        </div>
      </form>
    </section>
  );
}

function Message({ m }: { m: MessageInfo }) {
  const jump = useStore((s) => s.jump);
  const docId = useStore((s) => s.selectedDocId);
  return (
    <div className={`message ${m.role} status-${m.status}`} data-testid={m.role === "assistant" ? "message-assistant" : "message-user"}>
      <div className="content">
        {m.content}
        {m.status === "streaming" && <span className="cursor">▍</span>}
        {m.status === "stopped" && !m.content && <span className="muted">(stopped before the first word)</span>}
      </div>
      {m.role === "assistant" && m.status !== "streaming" && (
        <div className="meta muted small">
          {m.status === "stopped" && <span className="badge">stopped</span>}
          {m.status === "interrupted" && <span className="badge">interrupted (app closed)</span>}
          {m.status === "error" && <span className="badge error">error</span>}
          {m.stats && (
            <span>
              {" "}
              {m.stats.tokens} tokens · {rate(m.stats.tokensPerSec)} · prompt {m.stats.promptTokens} ({m.stats.reusedTokens} reused) in {ms(m.stats.prefillMs)}
            </span>
          )}
        </div>
      )}
      {m.highlights.length > 0 && docId !== null && (
        <ol className="passages">
          {m.highlights.map((h, i) => (
            <li key={i}>
              <button type="button" data-testid="highlight" onClick={() => jump(docId, h.start)} title="Show in the book">
                “{h.text.trim().slice(0, 160)}{h.text.length > 160 ? "…" : ""}”
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function SystemPrompt() {
  const conv = useStore((s) => s.conversations.find((c) => c.id === s.conversationId));
  const save = useStore((s) => s.setSystemPrompt);
  const [draft, setDraft] = useState(conv?.systemPrompt ?? "");
  useEffect(() => {
    setDraft(conv?.systemPrompt ?? "");
  }, [conv?.id, conv?.systemPrompt]);
  if (!conv) return null;
  return (
    <details className="system-prompt">
      <summary>System prompt</summary>
      <textarea data-testid="system-prompt" value={draft} onChange={(e) => setDraft(e.target.value)} rows={3} />
      <button type="button" disabled={draft === conv.systemPrompt} onClick={() => void save(draft)}>
        Save
      </button>
    </details>
  );
}
