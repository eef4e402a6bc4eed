// Native open dialogs for the desktop app (the core's Dialogs).
import { dialog, type BrowserWindow } from "electron";
import type { Dialogs } from "../app/core";
import { SUPPORTED_EXTENSIONS } from "../library/ingest";

/** The readers' extensions as a dialog filters by them (the last part: ".fb2.zip" is a .zip). */
const BOOK_EXTENSIONS = [...new Set(SUPPORTED_EXTENSIONS.map((e) => e.slice(e.lastIndexOf(".") + 1)))];

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
        filters: [{ name: "Books", extensions: BOOK_EXTENSIONS }],
      };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      // the core reads them (book-file.ts): asynchronously, each checked on its own
      return r.canceled ? [] : r.filePaths;
    },
  };
}
