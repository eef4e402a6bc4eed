// The books: list, selection, a search of them all (./LibrarySearch), status of
// the selected one, read progress, and the conversations about it. Removing a book or a conversation asks first,
// naming what goes with it; a conversation is renamed in place (✎, or a double-click on it).
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { ConversationInfo, DocumentInfo } from "../../../main/ipc/contract";
import { shownDocState } from "../doc-state";
import { useStore } from "../store";
import { api } from "../store/api";
import { LIMITS } from "../../../main/ipc/validate";
import { DropZone } from "./DropZone";
import { LibrarySearch } from "./LibrarySearch";
import { DocStatus, stateLabel } from "./DocStatus";

// After a removal: the book or conversation now selected, else the way to add a book.
const AFTER_BOOK = [".doc-list li.selected .doc-title", ".drop-zone button"];
const AFTER_CONVERSATION = [".conversations li.selected button", ".conversations h3 button", ".drop-zone button"];

/** Focuses the first element found, trying the selectors in order. */
function focusFirst(selectors: string[]) {
  for (const sel of selectors) {
    const el = document.querySelector<HTMLElement>(sel);
    if (el) return el.focus();
  }
}

/** A question before something that cannot be undone. */
interface Ask {
  title: string;
  text: string;
  action: string;
  run(): Promise<void>;
  /** Where the focus goes once done (the removed item's button is gone): selectors, in order. */
  focusAfter: string[];
}

export function Library() {
  const documents = useStore((s) => s.documents);
  const selected = useStore((s) => s.selectedDocId);
  const select = useStore((s) => s.selectDocument);
  const remove = useStore((s) => s.removeDocument);
  const modelPath = useStore((s) => s.engine?.model?.path);
  const hasModel = !!modelPath;
  const [ask, setAsk] = useState<Ask | null>(null);

  const askRemove = async (d: DocumentInfo) => {
    const n = await api()["chat.list"]({ documentId: d.id }).then((cs) => cs.length, () => null);
    setAsk({ title: `Remove “${d.title}”?`, text: bookLoss(n, d.savedFor !== null), action: "Remove", run: () => remove(d.id), focusAfter: AFTER_BOOK });
  };

  return (
    <section className="library">
      <h2>Library</h2>
      <DropZone />
      {documents.length > 1 && <LibrarySearch />}
      <ul className="doc-list">
        {documents.map((d) => (
          <li key={d.id} className={d.id === selected ? "selected" : ""}>
            <button type="button" className="doc-title" aria-current={d.id === selected ? "true" : undefined} onClick={() => void select(d.id)} title={d.sourceName}>
              <span>{d.title}</span>
              <small className="muted">
                {d.format} · {stateLabel(shownDocState(d, modelPath), hasModel)}
              </small>
            </button>
            <button type="button" className="icon" data-testid="remove-doc" aria-label={`Remove ${d.title}`} title="Remove from the library" onClick={() => void askRemove(d)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <DocStatus />
      <Conversations onAsk={setAsk} />
      {ask && <Confirm ask={ask} onDone={() => setAsk(null)} />}
    </section>
  );
}

function Conversations({ onAsk }: { onAsk(a: Ask): void }) {
  const conversations = useStore((s) => s.conversations);
  const current = useStore((s) => s.conversationId);
  const open = useStore((s) => s.openConversation);
  const create = useStore((s) => s.newConversation);
  const remove = useStore((s) => s.removeConversation);
  const rename = useStore((s) => s.renameConversation);
  const [renaming, setRenaming] = useState<number | null>(null);
  const doc = useStore((s) => s.selectedDocId);
  const answered = useStore((s) => s.answering?.conversationId ?? null);
  if (doc === null) return null;

  // An empty conversation goes without a question: nothing is lost.
  const askRemove = async (c: ConversationInfo) => {
    const n = await api()["chat.messages"]({ conversationId: c.id }).then((ms) => ms.length, () => null);
    if (n === 0) return void remove(c.id);
    const what = n === null ? "its messages" : n === 1 ? "its message" : `its ${n} messages`;
    onAsk({ title: `Delete “${c.title}”?`, text: `The conversation and ${what} will be deleted. This cannot be undone.`, action: "Delete", run: () => remove(c.id), focusAfter: AFTER_CONVERSATION });
  };

  return (
    <div className="conversations">
      <h3 aria-label="Conversations">
        Conversations{" "}
        {/* not "New conversation": that is every untitled conversation's name in the list */}
        <button type="button" aria-label="Start a new conversation" onClick={() => void create()}>
          New
        </button>
      </h3>
      <ul>
        {conversations.map((c) => (
          <li key={c.id} className={c.id === current ? "selected" : ""}>
            {renaming === c.id ? (
              <TitleInput
                title={c.title}
                onDone={async (title) => {
                  if (title !== null && title.trim() && title !== c.title && !(await rename(c.id, title))) return;
                  setRenaming(null);
                }}
              />
            ) : (
              <button
                type="button"
                data-testid="conversation"
                className={c.id === current ? "selected" : ""}
                aria-current={c.id === current ? "true" : undefined}
                title="Double-click to rename"
                onClick={() => void open(c.id)}
                onDoubleClick={() => setRenaming(c.id)}
              >
                {c.title}
              </button>
            )}
            <button type="button" className="icon" data-testid="rename-conversation" aria-label={`Rename conversation ${c.title}`} title="Rename" onClick={() => setRenaming(c.id)}>
              ✎
            </button>
            {/* an answer being written cannot lose its conversation: it is stopped first */}
            <button
              type="button"
              className="icon"
              data-testid="remove-conversation"
              aria-label={`Delete conversation ${c.title}`}
              title={c.id === answered ? "Being answered: stop the answer to delete it" : "Delete the conversation"}
              disabled={c.id === answered}
              onClick={() => void askRemove(c)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A conversation's title being edited: Enter (or leaving the field) keeps it, Escape goes back;
 * `onDone(null)`: nothing changes. The focus returns to the conversation's button.
 */
function TitleInput({ title, onDone }: { title: string; onDone(title: string | null): Promise<void> }) {
  const [draft, setDraft] = useState(title);
  const input = useRef<HTMLInputElement>(null);
  const ending = useRef(false);
  useEffect(() => input.current?.select(), []);
  const end = (value: string | null) => {
    if (ending.current) return;
    ending.current = true;
    const li = input.current?.closest("li");
    void onDone(value).finally(() => {
      ending.current = false;
      // back to the conversation's button, unless the focus went elsewhere meanwhile (another
      // title being edited: taking it away would end that edit too)
      requestAnimationFrame(() => {
        const at = document.activeElement;
        if (at && at !== document.body && !li?.contains(at)) return;
        li?.querySelector<HTMLButtonElement>("[data-testid=conversation]")?.focus();
      });
    });
  };
  return (
    <input
      ref={input}
      className="title-input"
      data-testid="conversation-title"
      aria-label="Conversation title"
      value={draft}
      maxLength={LIMITS.maxTitleChars}
      autoFocus
      onChange={(e) => setDraft(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === "Enter") end(draft);
        else if (e.key === "Escape") {
          e.stopPropagation();
          end(null);
        }
      }}
      onBlur={() => end(draft)}
    />
  );
}

/** "The book, its 3 conversations and its saved KV cache …": what removing a book deletes. */
function bookLoss(conversations: number | null, cached: boolean): string {
  const parts = ["the book"];
  if (conversations === null) parts.push("its conversations");
  else if (conversations > 0) parts.push(conversations === 1 ? "its conversation" : `its ${conversations} conversations`);
  if (cached) parts.push("its saved KV cache");
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}` : parts[0];
  return `${list[0].toUpperCase()}${list.slice(1)} will be deleted. This cannot be undone.`;
}

/**
 * A modal question (the native dialog: focus stays inside it, Escape cancels). Cancel has the
 * focus, so a stray Enter keeps things as they are.
 */
function Confirm({ ask, onDone }: { ask: Ask; onDone(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  // before the first paint: never a frame with the dialog shown but not modal
  useLayoutEffect(() => {
    const d = dialog.current;
    d?.showModal?.();
    cancel.current?.focus();
    return () => d?.close?.(); // closing gives the focus back to where it was
  }, []);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      role="alertdialog"
      data-testid="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-text"
      onCancel={(e) => {
        e.preventDefault();
        onDone();
      }}
    >
      <h3 id="confirm-title">{ask.title}</h3>
      <p id="confirm-text">{ask.text}</p>
      <div className="buttons">
        <button type="button" ref={cancel} onClick={onDone}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          data-testid="confirm-ok"
          onClick={() => {
            onDone();
            // after the next render, when the selection shows the removal
            void ask.run().finally(() => requestAnimationFrame(() => focusFirst(ask.focusAfter)));
          }}
        >
          {ask.action}
        </button>
      </div>
    </dialog>
  );
}
