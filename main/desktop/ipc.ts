// ipcMain side of the contract: one handler per method on "tome:<method>".
// Only our own window's top frame may call; params are validated by the core
// (AppCore.call); errors come back as values so their codes survive.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from "electron";
import type { AppCore } from "../app/core";
import { METHOD_NAMES } from "../ipc/validate";
import { toContractError } from "../ipc/errors";

export function registerIpc(core: AppCore, isOurs: (e: IpcMainInvokeEvent) => boolean): () => void {
  for (const m of METHOD_NAMES) {
    ipcMain.handle(`tome:${m}`, async (e, params: unknown) => {
      if (!isOurs(e)) return { ok: false, error: { code: "UNAUTHORIZED", message: "not tome's window" } };
      try {
        return { ok: true, result: await core.call(m, params) };
      } catch (err) {
        return { ok: false, error: toContractError(err) };
      }
    });
  }
  return () => METHOD_NAMES.forEach((m) => ipcMain.removeHandler(`tome:${m}`));
}

/** Pushes core events to a window as ("tome:event", name, data). */
export function forwardEvents(core: AppCore, win: BrowserWindow): () => void {
  return core.onEvent((event, data) => {
    if (!win.isDestroyed()) win.webContents.send("tome:event", event, data);
  });
}
