// Secure defaults for tome's window: isolated, sandboxed renderer without Node;
// no navigation away from the app, no new windows, no permissions; links open in
// the system browser only for an allow-list of https hosts.
import { shell, type BrowserWindow, type Session, type WebPreferences } from "electron";
import { externalAllowed } from "./external";

export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** `isAppPage(url)`: whether url is the app's own page (see ./app-page). */
export function lockDown(win: BrowserWindow, isAppPage: (url: string) => boolean) {
  const wc = win.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    if (externalAllowed(url)) void shell.openExternal(url);
    return { action: "deny" };
  });
  wc.on("will-navigate", (e, url) => {
    if (!isAppPage(url)) e.preventDefault();
  });
  wc.on("will-redirect", (e) => e.preventDefault());
  wc.on("will-attach-webview", (e) => e.preventDefault());
}

export function lockSession(s: Session) {
  s.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  s.setPermissionCheckHandler(() => false);
}
