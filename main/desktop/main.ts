// The desktop app's main process: one window on the built renderer
// (build/renderer/index.html), the contract over ipcMain, the engine in a
// utilityProcess, the app database in userData. Start with `npm start`.
import * as path from "node:path";
import { app, BrowserWindow, dialog, Menu, screen, session, type IpcMainInvokeEvent } from "electron";
import { createCore } from "../app/bootstrap";
import { defaultKvCacheDir } from "../app/paths";
import type { AppCore } from "../app/core";
import { packageRoot } from "../engine/native";
import { utilityEngine } from "./engine-process";
import { forwardEvents, registerIpc } from "./ipc";
import { lockDown, lockSession, webPreferences } from "./security";
import { buildMenu } from "./menu";
import { menuActions } from "./menu-actions";
import { nativeDialogs } from "./dialogs";
import { loadWindowState, saveWindowState } from "./window-state";
import { appUrlOf, isTrustedSender, sameFileUrl } from "./app-page";
import { CrashBudget } from "./crash-budget";

let win: BrowserWindow | null = null;
let core: AppCore | null = null;
let indexHtml = "";
let appUrl = "";
const isAppPage = (url: string) => sameFileUrl(url, appUrl);
const rendererCrashes = new CrashBudget();

function createWindow(c: AppCore) {
  const stateFile = path.join(app.getPath("userData"), "window-state.json");
  // The primary display first: a window without a saved position opens centred on it.
  const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((d) => d.workArea);
  const state = loadWindowState(stateFile, displays);
  const w = new BrowserWindow({
    ...state,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: "tome",
    webPreferences: webPreferences(path.join(__dirname, "preload.js")),
  });
  win = w;
  lockDown(w, isAppPage);
  if (state.maximized) w.maximize();
  w.once("ready-to-show", () => w.show());
  const off = forwardEvents(c, w);
  w.on("close", () => {
    if (!w.isDestroyed()) saveWindowState(stateFile, { ...w.getNormalBounds(), maximized: w.isMaximized() });
  });
  w.on("closed", () => {
    off();
    if (win === w) win = null;
  });
  // The state lives in main, so a crashed page is reloaded rather than left blank
  // (a few times: a page that crashes as it loads is left with a message).
  w.webContents.on("render-process-gone", (_e, d) => {
    if (d.reason === "clean-exit" || w.isDestroyed()) return;
    if (rendererCrashes.allow(Date.now())) w.reload();
    else dialog.showErrorBox("tome", `The window's page stopped (${d.reason}) several times in a row; restart tome.`);
  });
  w.loadFile(indexHtml).catch((e: unknown) => {
    // A missing page (a broken build or package) would leave a window that never shows.
    // Other failures (a load aborted by a reload, a crash the handler above reloads) are not fatal.
    if (!w.isDestroyed() && (e as { code?: string }).code === "ERR_FILE_NOT_FOUND") fatal(e);
    else process.stderr.write(`tome: loading the window: ${(e as Error).message}\n`);
  });
}

function showWindow() {
  if (!win) {
    if (core) createWindow(core);
    return;
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/** showWindow, resolved once the window's page has loaded (and so listens for events). */
function windowReady(): Promise<void> {
  showWindow();
  const w = win;
  if (!w || !w.webContents.isLoading()) return Promise.resolve();
  return new Promise((resolve) => {
    w.webContents.once("did-finish-load", () => resolve());
    w.once("closed", () => resolve());
  });
}

/** Only our window's top frame, showing our own page, may call the contract. */
function isOurs(e: IpcMainInvokeEvent): boolean {
  return isTrustedSender(e, win?.webContents, appUrl);
}

/** A failure before the window works: say so and end, rather than run on with no window
 * (holding the single-instance lock, so that starting tome again does nothing). */
function fatal(e: unknown) {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`tome: ${e instanceof Error ? (e.stack ?? message) : message}\n`);
  try {
    core?.close();
  } catch {
    /* ending anyway */
  }
  core = null;
  try {
    dialog.showErrorBox("tome could not start", message);
  } finally {
    app.exit(1);
  }
}

async function main() {
  if (!app.requestSingleInstanceLock()) return app.quit();
  app.enableSandbox();
  // Registered before ready: a second start during this one's start-up still shows the window.
  app.on("second-instance", () => showWindow());
  await app.whenReady();
  indexHtml = path.join(packageRoot(), "build", "renderer", "index.html");
  appUrl = appUrlOf(indexHtml);
  lockSession(session.defaultSession);
  const dialogs = nativeDialogs(() => win);
  core = createCore({ dataDir: app.getPath("userData"), cacheDir: defaultKvCacheDir(), mode: "desktop", spawn: utilityEngine, dialogs });
  registerIpc(core, isOurs);
  Menu.setApplicationMenu(buildMenu(menuActions(() => core, windowReady), !app.isPackaged));
  createWindow(core);
  void core.autoLoad();
  app.on("activate", () => {
    if (!win && core) createWindow(core);
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("will-quit", () => {
    try {
      core?.close();
    } catch (e) {
      process.stderr.write(`tome: closing: ${(e as Error).message}\n`);
    }
    core = null;
  });
}

main().catch(fatal);
