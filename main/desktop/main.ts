// The desktop app's main process: one window on the built renderer
// (build/renderer/index.html), the contract over ipcMain, the engine in a
// utilityProcess, the app database in userData. Start with `npm start`.
import * as path from "node:path";
import { app, BrowserWindow, Menu, screen, session, type IpcMainInvokeEvent } from "electron";
import { pathToFileURL } from "node:url";
import { createCore } from "../app/bootstrap";
import type { AppCore } from "../app/core";
import { packageRoot } from "../engine/native";
import { utilityEngine } from "./engine-process";
import { forwardEvents, registerIpc } from "./ipc";
import { lockDown, lockSession, webPreferences } from "./security";
import { buildMenu } from "./menu";
import { nativeDialogs } from "./dialogs";
import { loadWindowState, saveWindowState } from "./window-state";

let win: BrowserWindow | null = null;
let core: AppCore | null = null;
const indexHtml = path.join(packageRoot(), "build", "renderer", "index.html");
const appUrl = pathToFileURL(indexHtml).toString();

function createWindow(c: AppCore) {
  const stateFile = path.join(app.getPath("userData"), "window-state.json");
  const state = loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea));
  win = new BrowserWindow({
    ...state,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: "tome",
    webPreferences: webPreferences(path.join(__dirname, "preload.js")),
  });
  lockDown(win, appUrl);
  if (state.maximized) win.maximize();
  win.once("ready-to-show", () => win?.show());
  const off = forwardEvents(c, win);
  const save = () => {
    if (!win || win.isDestroyed()) return;
    saveWindowState(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  };
  win.on("close", save);
  win.on("closed", () => {
    off();
    win = null;
  });
  void win.loadFile(indexHtml);
}

/** Only our window's top frame, showing our own page, may call the contract. */
function isOurs(e: IpcMainInvokeEvent): boolean {
  return !!win && e.sender === win.webContents && e.senderFrame?.url === appUrl;
}

async function main() {
  if (!app.requestSingleInstanceLock()) return app.quit();
  app.enableSandbox();
  await app.whenReady();
  lockSession(session.defaultSession);
  const dialogs = nativeDialogs(() => win);
  core = createCore({ dataDir: app.getPath("userData"), mode: "desktop", spawn: utilityEngine, dialogs });
  registerIpc(core, isOurs);
  // Menu commands that belong to the UI travel as a "ui.command" event.
  const command = (c: "settings" | "about") => core?.emit("ui.command", { command: c });
  Menu.setApplicationMenu(
    buildMenu(
      {
        openBooks: () => void core?.call("library.openDialog", {}).catch(() => {}),
        openModel: () => void core?.call("models.openDialog", {}).catch(() => {}),
        openSettings: () => command("settings"),
        about: () => command("about"),
      },
      !app.isPackaged,
    ),
  );
  createWindow(core);
  void core.autoLoad();
  app.on("second-instance", () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on("activate", () => {
    if (!win && core) createWindow(core);
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("will-quit", () => core?.close());
}

void main();
