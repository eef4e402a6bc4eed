// Native open dialogs for the desktop app (the core's Dialogs).
import { dialog, type BrowserWindow } from "electron";
import type { Dialogs } from "../app/core";

export function nativeDialogs(win: () => BrowserWindow | null): Dialogs {
  return {
    openModel: async () => {
      const w = win();
      const opts = { title: "Open a GGUF model", properties: ["openFile" as const], filters: [{ name: "GGUF models", extensions: ["gguf"] }] };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    openBooks: async () => {
      const w = win();
      const opts = {
        title: "Open books",
        properties: ["openFile" as const, "multiSelections" as const],
        filters: [{ name: "Books", extensions: ["txt", "md", "markdown", "epub", "pdf", "html", "htm", "xhtml", "mhtml", "mht", "doc", "docx", "docm", "fodt", "odt", "fb2", "zip", "rtf", "mobi", "azw3", "azw", "prc"] }],
      };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      // the core reads them (book-file.ts): asynchronously, each checked on its own
      return r.canceled ? [] : r.filePaths;
    },
  };
}
