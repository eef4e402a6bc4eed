// What the application menu's commands do. Pure (no Electron import) so it is
// tested in Node with a fake core.
import type { AppCore } from "../app/core";
import { toContractError } from "../ipc/errors";
import type { UiCommand } from "../ipc/contract";
import type { MenuActions } from "./menu";

export type MenuCore = Pick<AppCore, "call" | "emit">;

/**
 * windowReady shows the window, made again if it was closed (macOS keeps tome running
 * without one), and resolves once its page takes events: a UI command sent with no window
 * went nowhere.
 */
export function menuActions(core: () => MenuCore | null, windowReady: () => Promise<void> = async () => {}): MenuActions {
  // A menu command has no caller to hand its error to: without this, a book that
  // cannot be imported (too large, corrupt, encrypted) would leave the person
  // with nothing on screen. The window shows app.notice.
  const run = (method: "library.openDialog", what: string) => {
    const c = core();
    if (!c) return;
    c.call(method, {}).catch((e: unknown) => {
      c.emit("app.notice", { kind: "error", text: `${what}: ${toContractError(e).message}` });
    });
  };
  // Menu commands that belong to the UI travel as a "ui.command" event. Open Model is one:
  // the window's own flow refreshes its model list and shows the model's details (opened
  // here, the model only joined the recent list, which the window does not watch).
  const command = (name: UiCommand) => {
    windowReady().then(
      () => core()?.emit("ui.command", { command: name }),
      (e: unknown) => process.stderr.write(`tome: opening the window: ${(e as Error).message}\n`),
    );
  };
  return {
    openBooks: () => run("library.openDialog", "Could not add the book"),
    openModel: () => command("openModel"),
    openSettings: () => command("settings"),
    findInBook: () => command("find"),
    searchAllBooks: () => command("searchAll"),
    about: () => command("about"),
  };
}
