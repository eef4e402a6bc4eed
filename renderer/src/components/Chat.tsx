// The conversation: its messages (./Message; answers stream in place), the
// question box, send / stop / regenerate, the conversation's system prompt, and
// its export as a Markdown file (../export-conversation). A passage chosen in the
// reader ("Ask about this") waits over the question box and goes with the next
// question; the last question taken back to be edited is replaced on Send.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useFocusHandoff } from "../focus-handoff";
import { useStore } from "../store";
import type { EngineActivity } from "../../../main/ipc/contract";
import { DOING } from "../format";
import { conversationMarkdown, download, exportFileName } from "../export-conversation";
import { sectionOf, sectionsOf } from "./Reader";
import { Message } from "./Message";

/** How near the bottom (px) still counts as following the answer as it streams. */
const FOLLOW_PX = 40;

export function Chat() {
  const messages = useStore((s) => s.messages);
  const conversationId = useStore((s) => s.conversationId);
  const streaming = useStore((s) => s.messages.some((m) => m.status === "streaming"));
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const hasModel = useStore((s) => !!s.engine?.model);
  const activity = useStore((s) => s.engine?.activity ?? "idle");
  const busy = activity !== "idle";
  const send = useStore((s) => s.send);
  const stop = useStore((s) => s.stop);
  const regenerate = useStore((s) => s.regenerate);
  const [text, setText] = useState("");
  const list = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  // a passage of another book (chosen before the book changed) waits for that book
  const quote = useStore((s) => (s.quote && s.quote.documentId === s.selectedDocId ? s.quote : null));
  // a passage just chosen: the question is typed next
  useEffect(() => {
    if (quote) input.current?.focus();
  }, [quote?.documentId, quote?.start, quote?.end]);
  // the last question taken back to be edited: its text in the box
  const editing = useStore((s) => (s.editing?.conversationId === s.conversationId ? s.editing : null));
  const editQuestion = useStore((s) => s.editQuestion);
  useEffect(() => {
    if (!editing) return;
    setText(editing.text);
    input.current?.focus();
  }, [editing?.messageId]);

  // The list follows new text only while the reader is at its bottom: scrolling up
  // to read stops that, scrolling back down (or asking, or another conversation) resumes it.
  // The list itself scrolls (scrollIntoView would also scroll the page at narrow widths).
  const follow = useRef(true);
  useLayoutEffect(() => {
    follow.current = true;
  }, [conversationId]);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  // Stop leaves when the answer ends and hands the focus to the message box; it takes the
  // focus from Regenerate, which is disabled as its answer starts.
  const stopFocus = useFocusHandoff(() => input.current);

  // while the connection is down the banner says so; a question sent then would go nowhere
  const connected = useStore((s) => s.lostAt === null);
  const canSend = !!doc && hasModel && !busy && connected && text.trim().length > 0;
  const submit = async () => {
    if (!canSend) return;
    const t = text;
    setText("");
    follow.current = true;
    if (!(await send(t))) setText(t);
  };
  const last = messages[messages.length - 1];
  const lastQuestion = [...messages].reverse().find((m) => m.role === "user");
  return (
    <section className="chat">
      <div className="chat-head">
        <SystemPrompt />
        <ExportButton />
      </div>
      <div
        className="messages"
        role="log"
        aria-label="Conversation"
        // a streaming answer is read out once it is whole, not word by word
        aria-busy={streaming}
        // focusable, so that a keyboard scrolls a long conversation (its answers' passage buttons
        // were the only stops, and an answer without passages had none)
        tabIndex={0}
        ref={list}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight <= FOLLOW_PX;
        }}
      >
        {messages.length === 0 && (
          <p className="muted empty">
            {doc ? `Ask anything about “${doc.title}”, or select a passage in the book and ask about it.` : "Drop a book on the window to start."}
          </p>
        )}
        {messages.map((m) => (
          <Message key={m.id} m={m} editable={m === lastQuestion && !streaming && !busy && !editing} />
        ))}
      </div>
      {busy && !streaming && <Waiting activity={activity as Exclude<EngineActivity, "idle">} onStopped={() => input.current?.focus()} />}
      {editing && (
        <p className="composer-note small" role="status" data-testid="editing-note">
          Editing your last question: Send replaces it and its answer.{" "}
          <button
            type="button"
            onClick={() => {
              editQuestion(null);
              setText("");
              input.current?.focus();
            }}
          >
            Cancel
          </button>
        </p>
      )}
      {quote && <QuoteChip text={quote.text} onRemove={() => input.current?.focus()} />}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <textarea
          data-testid="chat-input"
          ref={input}
          value={text}
          placeholder={
            !hasModel
              ? "Load a model to ask questions"
              : !doc
                ? "Drop a book first"
                : quote
                  ? "Ask about this passage… (Enter sends)"
                  : "Ask about the book… (Shift+Enter: a new line)"
          }
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            // Enter while an input method composes (CJK, accents) confirms the composition, not the message.
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing && e.keyCode !== 229) {
              e.preventDefault();
              void submit();
            }
          }}
          rows={3}
        />
        <div className="composer-buttons">
          {streaming ? (
            // with the connection down a stop would go nowhere (the banner says so); aria-disabled
            // keeps the focus on it for when the connection comes back
            <button
              type="button"
              data-testid="stop"
              className="stop"
              ref={stopFocus.ref}
              aria-disabled={!connected}
              title={connected ? undefined : "The connection to tome is lost"}
              onClick={() => connected && void stop()}
            >
              Stop
            </button>
          ) : (
            <button type="submit" data-testid="send" disabled={!canSend}>
              Send
            </button>
          )}
          <button
            type="button"
            data-testid="regenerate"
            disabled={streaming || busy || !last || !hasModel}
            onClick={(e) => {
              stopFocus.take(e.currentTarget);
              void regenerate().finally(stopFocus.drop);
            }}
          >
            Regenerate
          </button>
        </div>
      </form>
    </section>
  );
}

/** The passage the next question is about, over the question box; × takes it away. */
function QuoteChip({ text, onRemove }: { text: string; onRemove(): void }) {
  const setQuote = useStore((s) => s.setQuote);
  return (
    <div className="quote-chip" data-testid="quote-chip" role="group" aria-label="The passage your question is about">
      <span className="quote-text">“{text.replace(/\s+/g, " ")}”</span>
      <button
        type="button"
        className="icon"
        aria-label="Ask without the passage"
        title="Ask without the passage"
        onClick={() => {
          setQuote(null);
          onRemove();
        }}
      >
        ×
      </button>
    </div>
  );
}

/** Why Send waits while the engine works on something else; for an answer elsewhere, a way to it and to stop it. */
function Waiting({ activity, onStopped }: { activity: Exclude<EngineActivity, "idle">; onStopped(): void }) {
  const answering = useStore((s) => s.answering);
  const conv = useStore((s) => s.conversations.find((c) => c.id === s.answering?.conversationId));
  // an answer about another book: that book (the engine's job names it)
  const book = useStore((s) => (s.engine?.job?.kind === "answer" ? s.documents.find((d) => d.id === s.engine?.job?.documentId) : undefined));
  const openConversation = useStore((s) => s.openConversation);
  const selectDocument = useStore((s) => s.selectDocument);
  const stop = useStore((s) => s.stop);
  if (activity !== "answering") {
    return (
      <p className="composer-note muted small" role="status" data-testid="send-waits">
        Send waits: the engine is {DOING[activity]}.
      </p>
    );
  }
  // (an answer that just ended, the engine not idle yet: nothing to say)
  if (!answering) return null;
  return (
    <p className="composer-note small" role="status" data-testid="send-waits">
      Send waits: an answer is being written in {conv ? `“${conv.title}”` : book ? `a conversation about “${book.title}”` : "a conversation of another book"}.{" "}
      {(conv || book) && (
        <button
          type="button"
          onClick={async () => {
            if (!conv && book) await selectDocument(book.id);
            await openConversation(answering.conversationId);
          }}
        >
          Show it
        </button>
      )}{" "}
      <button type="button" className="stop" data-testid="stop-elsewhere" onClick={() => void stop(answering.conversationId).then(onStopped)}>
        Stop it
      </button>
    </p>
  );
}

/** Saves the conversation as Markdown: its questions, answers and their passages. */
function ExportButton() {
  const conv = useStore((s) => s.conversations.find((c) => c.id === s.conversationId));
  const doc = useStore((s) => s.documents.find((d) => d.id === s.selectedDocId));
  const messages = useStore((s) => s.messages);
  const streaming = messages.some((m) => m.status === "streaming");
  if (!conv || !doc) return null;
  const save = () => {
    const sections = sectionsOf(doc);
    const where = (offset: number) => sections[sectionOf(sections, offset)]?.title ?? "";
    download(exportFileName(doc, conv), conversationMarkdown(doc, conv, messages, where));
  };
  return (
    <button
      type="button"
      data-testid="export-conversation"
      disabled={messages.length === 0 || streaming}
      title="Save this conversation as a Markdown file: questions, answers and the passages they attended to"
      onClick={save}
    >
      Export
    </button>
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
