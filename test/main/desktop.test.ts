// The desktop shell's testable parts without Electron's binary: window state,
// external-link allow-list, the preload's method list against the contract,
// secure webPreferences in the source, and electron-builder.yml's essentials.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import yaml from "js-yaml";
import { DEFAULT_STATE, loadWindowState, saveWindowState } from "../../main/desktop/window-state";
import { externalAllowed } from "../../main/desktop/external";
import { METHOD_NAMES } from "../../main/ipc/validate";
import { tempDir } from "./helpers/core";

const display = { x: 0, y: 0, width: 1920, height: 1080 };

describe("window state", () => {
  it("round-trips and falls back to defaults for missing, corrupt or off-screen state", () => {
    const f = path.join(tempDir(), "w.json");
    expect(loadWindowState(f, [display])).toEqual(DEFAULT_STATE);
    saveWindowState(f, { x: 100, y: 80, width: 1200, height: 800, maximized: true });
    expect(loadWindowState(f, [display])).toEqual({ x: 100, y: 80, width: 1200, height: 800, maximized: true });
    expect(loadWindowState(f, [{ x: 5000, y: 0, width: 800, height: 600 }])).toEqual({ width: 1200, height: 800, maximized: true });
    fs.writeFileSync(f, "{oops");
    expect(loadWindowState(f, [display])).toEqual(DEFAULT_STATE);
    fs.writeFileSync(f, JSON.stringify({ width: 1e9, height: -5 }));
    expect(loadWindowState(f, [display])).toMatchObject({ width: 10000, height: 300 });
  });
});

describe("external links", () => {
  it("opens only https links to allowed hosts", () => {
    expect(externalAllowed("https://arxiv.org/abs/2409.10516")).toBe(true);
    for (const u of ["http://arxiv.org/", "https://evil.example/", "file:///etc/passwd", "javascript:alert(1)", "https://arxiv.org.evil.example/", "https://user@arxiv.org/", "nonsense"]) {
      expect(externalAllowed(u), u).toBe(false);
    }
  });
});

describe("preload and window", () => {
  const src = (f: string) => fs.readFileSync(path.join("main", "desktop", f), "utf8");
  it("exposes exactly the contract's methods, through contextBridge, never ipcRenderer itself", () => {
    const pre = src("preload.ts");
    const list = /const METHODS = \[([\s\S]*?)\] as const/.exec(pre)![1].match(/"([^"]+)"/g)!.map((s) => s.slice(1, -1));
    expect(list.sort()).toEqual([...METHOD_NAMES].sort());
    expect(pre).toContain('contextBridge.exposeInMainWorld("tome"');
    expect(pre).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
  });
  it("creates the window with isolation, sandbox and no Node", () => {
    const sec = src("security.ts");
    for (const s of ["contextIsolation: true", "sandbox: true", "nodeIntegration: false", "webviewTag: false", "setWindowOpenHandler", "will-navigate", "setPermissionRequestHandler"]) {
      expect(sec).toContain(s);
    }
    expect(src("main.ts")).toContain("utilityEngine");
    expect(fs.readFileSync("renderer/index.html", "utf8")).toContain("Content-Security-Policy");
  });
});

describe("packaging", () => {
  it("electron-builder.yml targets AppImage, deb, nsis, dmg and unpacks native modules", () => {
    const c = yaml.load(fs.readFileSync("electron-builder.yml", "utf8")) as Record<string, any>;
    expect(c.appId).toMatch(/\w+\.\w+/);
    expect(c.linux.target).toEqual(expect.arrayContaining(["AppImage", "deb"]));
    expect(c.win.target).toContain("nsis");
    expect(c.mac.target).toContain("dmg");
    expect(c.asarUnpack).toContain("**/*.node");
    expect(c.extraMetadata.main).toBe("build/main/desktop/main.js");
    expect(c.files).toEqual(expect.arrayContaining(["build/main/**", "build/renderer/**"]));
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    expect(pkg.scripts.dist).toBeDefined();
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.serve).toBe("node bin/tome.js serve");
    expect(JSON.stringify(pkg.scripts)).not.toContain("install-app-deps");
  });
});
