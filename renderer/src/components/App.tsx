// The window: model bar on top; library and conversations on the left; the chat
// in the middle; the reader and the live panels on the right (or, in the
// Evaluate view, tome eval across both). Dropping a file anywhere imports it.
import { useStore } from "../store";
import { Library } from "./Library";
import { Chat } from "./Chat";
import { Reader } from "./Reader";
import { Panels } from "./Panels";
import { ModelPicker } from "./ModelPicker";
import { SettingsDialog } from "./SettingsDialog";
import { Notices } from "./Notices";
import { Evaluate } from "./Evaluate";

export function App() {
  const importFiles = useStore((s) => s.importFiles);
  const openSettings = useStore((s) => s.setSettingsOpen);
  const view = useStore((s) => s.view);
  const setView = useStore((s) => s.setView);
  return (
    <div
      className="app"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        if (e.dataTransfer.files.length) void importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <header className="topbar">
        <h1>tome</h1>
        <ModelPicker />
        <nav className="views" aria-label="Views">
          <button type="button" data-testid="view-chat" aria-pressed={view === "chat"} onClick={() => setView("chat")}>
            Read &amp; chat
          </button>
          <button type="button" data-testid="view-evaluate" aria-pressed={view === "evaluate"} onClick={() => setView("evaluate")}>
            Evaluate
          </button>
        </nav>
        <button type="button" onClick={() => openSettings(true)} aria-label="Settings">
          Settings
        </button>
      </header>
      <Library />
      {view === "evaluate" ? (
        <Evaluate />
      ) : (
        <>
          <Chat />
          <aside className="side">
            <Reader />
            <Panels />
          </aside>
        </>
      )}
      <Notices />
      <SettingsDialog />
    </div>
  );
}
