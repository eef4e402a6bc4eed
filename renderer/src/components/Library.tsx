// The books: list, selection, status of the selected one, read progress, and
// the conversations about it.
import { shownDocState } from "../doc-state";
import { useStore } from "../store";
import { DropZone } from "./DropZone";
import { DocStatus } from "./DocStatus";

export function Library() {
  const documents = useStore((s) => s.documents);
  const selected = useStore((s) => s.selectedDocId);
  const select = useStore((s) => s.selectDocument);
  const remove = useStore((s) => s.removeDocument);
  const modelPath = useStore((s) => s.engine?.model?.path);
  return (
    <section className="library">
      <h2>Library</h2>
      <DropZone />
      <ul className="doc-list">
        {documents.map((d) => (
          <li key={d.id} className={d.id === selected ? "selected" : ""}>
            <button type="button" className="doc-title" onClick={() => void select(d.id)} title={d.sourceName}>
              <span>{d.title}</span>
              <small className="muted">
                {d.format} · {shownDocState(d, modelPath)}
              </small>
            </button>
            <button type="button" className="icon" aria-label={`Remove ${d.title}`} onClick={() => void remove(d.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <DocStatus />
      <Conversations />
    </section>
  );
}

function Conversations() {
  const conversations = useStore((s) => s.conversations);
  const current = useStore((s) => s.conversationId);
  const open = useStore((s) => s.openConversation);
  const create = useStore((s) => s.newConversation);
  const doc = useStore((s) => s.selectedDocId);
  if (doc === null) return null;
  return (
    <div className="conversations">
      <h3>
        Conversations{" "}
        <button type="button" onClick={() => void create()}>
          New
        </button>
      </h3>
      <ul>
        {conversations.map((c) => (
          <li key={c.id}>
            <button type="button" data-testid="conversation" className={c.id === current ? "selected" : ""} onClick={() => void open(c.id)}>
              {c.title}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
