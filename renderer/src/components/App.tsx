// The window: model bar on top (and under it, while the connection is lost, the
// banner that says so); library and conversations on the left; the chat
// in the middle; the reader and the live panels on the right (or, in the
// Evaluate view, tome eval across both). Dropping a file anywhere imports it.
import { useRef, useState, type DragEvent } from "react";
import { useStore } from "../store";
import { Library } from "./Library";
import { Chat } from "./Chat";
import { Reader } from "./Reader";
import { Panels } from "./Panels";
import { ModelPicker } from "./ModelPicker";
import { SettingsDialog } from "./SettingsDialog";
import { ConnectionLost, Notices } from "./Notices";
import { Evaluate } from "./Evaluate";

export function App() {
  const importFiles = useStore((s) => s.importFiles);
  const openSettings = useStore((s) => s.setSettingsOpen);
  const view = useStore((s) => s.view);
  const setView = useStore((s) => s.setView);
  // Files dragged over the window: an overlay says they will be added. Enter and leave fire
  // for every child crossed, so the overlay goes when the count of entries is back to 0.
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
  return (
    <div
      className="app"
      onDragEnter={(e) => {
        if (!carriesFiles(e)) return;
        depth.current++;
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!carriesFiles(e) || --depth.current > 0) return;
        depth.current = 0;
        setDragging(false);
      }}
      onDragOver={(e) => e.preventDefault()}
      // capture: a drop the drop zone handles (and stops) ends the drag too
      onDropCapture={() => {
        depth.current = 0;
        setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        if (e.dataTransfer.files.length) void importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          Drop to add to the library
        </div>
      )}
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
      {/* a row of its own under the top bar (not over it): the engine's state stays in sight */}
      <ConnectionLost />
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
