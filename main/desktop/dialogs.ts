// Native open dialogs for the desktop app (the core's Dialogs).
import * as fs from "node:fs";
import * as path from "node:path";
import { dialog, type BrowserWindow } from "electron";
import type { Dialogs } from "../app/core";
import { LIMITS } from "../ipc/validate";
import { AppError } from "../ipc/errors";

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
        filters: [{ name: "Books", extensions: ["txt", "md", "markdown", "epub", "pdf"] }],
      };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      if (r.canceled) return [];
      return r.filePaths.map((p) => {
        const size = fs.statSync(p).size;
        if (size > LIMITS.maxImportBytes) throw new AppError("TOO_LARGE", `'${path.basename(p)}' is over the ${LIMITS.maxImportBytes / 2 ** 20} MiB limit.`);
        return { name: path.basename(p), bytes: new Uint8Array(fs.readFileSync(p)) };
      });
    },
  };
}
