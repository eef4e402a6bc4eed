// Errors and notes for the person: each says what happened; click to dismiss.
import { useStore } from "../store";

export function Notices() {
  const notices = useStore((s) => s.notices);
  const dismiss = useStore((s) => s.dismiss);
  const connection = useStore((s) => s.connection);
  return (
    <div className="notices" role="status">
      {connection === "closed" && <div className="notice error">Connection to tome lost; reconnecting…</div>}
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} data-testid="notice" onClick={() => dismiss(n.id)}>
          {n.text}
        </div>
      ))}
    </div>
  );
}
