// Where books come in: a drop target (the whole window accepts drops too, see
// App) and a file input for people who prefer a dialog.
import { useRef, useState } from "react";
import { useStore } from "../store";

export const ACCEPT = ".txt,.text,.md,.markdown,.epub,.pdf,.html,.htm,.xhtml,.mhtml,.mht,.doc,.docx,.docm,.fodt,.odt,.fb2,.fb2.zip,.rtf,.mobi,.azw3,.azw,.prc";

export function DropZone() {
  const importFiles = useStore((s) => s.importFiles);
  const importing = useStore((s) => s.importing);
  const stopImports = useStore((s) => s.stopImports);
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  return (
    <div
      data-testid="drop-zone"
      className={`drop-zone${over ? " over" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        void importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <p>Drop a book here (txt, md, epub, pdf, html, doc, docx, odt, fb2, rtf, mobi, azw3)</p>
      <button type="button" onClick={() => input.current?.click()}>
        Choose a file…
      </button>
      <input
        ref={input}
        data-testid="file-input"
        type="file"
        accept={ACCEPT}
        multiple
        hidden
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = "";
          void importFiles(files);
        }}
      />
      {importing.length > 0 && (
        <p className="muted" data-testid="importing">
          Opening {importing.map((x) => x.name).join(", ")}…{" "}
          <button type="button" onClick={() => void stopImports()}>
            Stop
          </button>
        </p>
      )}
    </div>
  );
}
