// Errors and notes for the person: each says what happened. Notes go by
// themselves after a few seconds; errors stay until closed.
import { useEffect, useState } from "react";
import { useStore } from "../store";
import type { Notice } from "../store/ui-slice";

/** How long a note stays (not counting time under the pointer or the focus). */
export const INFO_MS = 6000;

export function Notices() {
  const notices = useStore((s) => s.notices);
  const connection = useStore((s) => s.connection);
  return (
    <div className="notices">
      {connection === "closed" && (
        <div className="notice error" role="alert" data-testid="connection-lost">
          <span className="notice-text">Connection to tome lost; reconnecting…</span>
        </div>
      )}
      {notices.map((n) => (
        <NoticeItem key={n.id} n={n} />
      ))}
    </div>
  );
}

function NoticeItem({ n }: { n: Notice }) {
  const dismiss = useStore((s) => s.dismiss);
  // Held while the pointer or the focus is on it: a note being read does not vanish.
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (n.kind !== "info" || held) return;
    const t = setTimeout(() => dismiss(n.id), INFO_MS);
    return () => clearTimeout(t);
  }, [n.id, n.kind, held, dismiss]);
  return (
    <div
      className={`notice ${n.kind}`}
      role={n.kind === "error" ? "alert" : "status"}
      data-testid="notice"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <span className="notice-text">
        {n.text}
        {n.count > 1 && <span className="muted"> (×{n.count})</span>}
      </span>
      <button type="button" className="notice-close" aria-label="Close this notice" title="Close" onClick={() => dismiss(n.id)}>
        ×
      </button>
    </div>
  );
}
