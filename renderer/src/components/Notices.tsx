// Errors and notes for the person: each says what happened. Notes go by
// themselves after a few seconds; errors stay until closed.
import { useEffect, useState } from "react";
import { useStore } from "../store";
import type { Notice } from "../store/ui-slice";

/** How long a note stays (not counting time under the pointer or the focus). */
export const INFO_MS = 6000;

/** How long reconnecting may take before the banner says what else may be wrong. */
export const LOST_LONG_MS = 15_000;

export function Notices() {
  const notices = useStore((s) => s.notices);
  return (
    <div className="notices">
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
      <button
        type="button"
        className="notice-close"
        aria-label="Close this notice"
        title="Close"
        onClick={(e) => {
          // closed from the keyboard: the focus goes to the next notice's close, else the question box
          const hadFocus = document.activeElement === e.currentTarget;
          const next = e.currentTarget.closest(".notice")?.nextElementSibling?.querySelector<HTMLElement>(".notice-close");
          dismiss(n.id);
          if (hadFocus) (next ?? document.querySelector<HTMLElement>("[data-testid=chat-input]"))?.focus();
        }}
      >
        ×
      </button>
    </div>
  );
}

/**
 * While the connection is down, from its loss until it is back (not flickering with each
 * retry); after LOST_LONG_MS, also what to do. `tome serve` keeps its token in the data folder
 * and its port (7878) by default, so a page reconnects by itself to a server started again the
 * same way; one started on another port or with another data folder has a new address.
 * A server that refuses the page's token (asked at /auth) gets its own banner: retrying cannot help.
 * The App puts it in the layout's flow under the top bar (a row of its own that pushes the
 * columns down), so it never hides the model bar and the engine's state.
 */
export function ConnectionLost() {
  const lostAt = useStore((s) => s.lostAt);
  const refused = useStore((s) => s.connection === "refused");
  const [long, setLong] = useState(false);
  useEffect(() => {
    setLong(false);
    if (lostAt === null) return;
    const t = setTimeout(() => setLong(true), Math.max(0, lostAt + LOST_LONG_MS - Date.now()));
    return () => clearTimeout(t);
  }, [lostAt]);
  if (refused)
    return (
      <div className="notice error connection-lost" role="alert" data-testid="connection-refused">
        <span className="notice-text">
          This tome serve refuses this page&apos;s access token (a page opened without it, or from an earlier server with
          another data folder): open the address it printed, with its <code>?token=</code>. Your books and conversations
          are kept.
        </span>
      </div>
    );
  if (lostAt === null) return null;
  return (
    <div className="notice error connection-lost" role="alert" data-testid="connection-lost">
      <span className="notice-text">
        Connection to tome lost; reconnecting…
        {long && (
          <>
            {" "}
            Still no answer: is tome running? Started again the same way, it is found by itself; started on another port or
            with another data folder, open the address it printed. Your books and conversations are kept.
          </>
        )}
      </span>
    </div>
  );
}
