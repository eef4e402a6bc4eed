// The desktop shell's testable parts without Electron's binary: window state,
// external-link allow-list, the preload's method list against the contract,
// secure webPreferences in the source, which page and sender are the app's own,
// the utilityProcess adapter, menu commands, the crashed-page reload budget, and
// electron-builder.yml's essentials. (The preload itself runs in desktop-preload.test.ts.)
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import yaml from "js-yaml";
import { DEFAULT_STATE, loadWindowState, saveWindowState } from "../../main/desktop/window-state";
import { externalAllowed } from "../../main/desktop/external";
import { appUrlOf, isTrustedSender, sameFileUrl } from "../../main/desktop/app-page";
import { adaptUtility } from "../../main/desktop/engine-adapter";
import { menuActions, type MenuCore } from "../../main/desktop/menu-actions";
import { devOverride, runsPackaged } from "../../main/engine/packaged";
import { CrashBudget } from "../../main/desktop/crash-budget";
import { EngineClient } from "../../main/host/engine-client";
import { AppError } from "../../main/ipc/errors";
import { METHOD_NAMES } from "../../main/ipc/validate";
import { tempDir } from "./helpers/core";

const display = { x: 0, y: 0, width: 1920, height: 1080 };

describe("window state", () => {
  it("round-trips and falls back to defaults for missing, corrupt or off-screen state", () => {
    const f = path.join(tempDir(), "w.json");
    expect(loadWindowState(f, [display])).toEqual(DEFAULT_STATE);
    saveWindowState(f, { x: 100, y: 80, width: 1200, height: 800, maximized: true });
    expect(loadWindowState(f, [display])).toEqual({ x: 100, y: 80, width: 1200, height: 800, maximized: true });
    // off-screen: no position, and no bigger than the (primary) display it will open on
    expect(loadWindowState(f, [{ x: 5000, y: 0, width: 800, height: 600 }])).toEqual({ width: 800, height: 600, maximized: true });
    expect(loadWindowState(f, [{ x: 5000, y: 0, width: 1920, height: 1080 }])).toEqual({ width: 1200, height: 800, maximized: true });
    fs.writeFileSync(f, "{oops");
    expect(loadWindowState(f, [display])).toEqual(DEFAULT_STATE);
    fs.writeFileSync(f, JSON.stringify({ width: 1e9, height: -5 }));
    expect(loadWindowState(f, [display])).toMatchObject({ width: 1920, height: 300 });
  });

  it("gives the default for valid JSON that is not a state (null, a number, an array), without throwing", () => {
    const f = path.join(tempDir(), "w.json");
    for (const text of ["null", "42", "[]", '"x"', "true"]) {
      fs.writeFileSync(f, text);
      expect(loadWindowState(f, [display]), text).toEqual(DEFAULT_STATE);
    }
  });

  it("keeps a window saved on a bigger, since unplugged monitor within the display it opens on", () => {
    const f = path.join(tempDir(), "w.json");
    const laptop = { x: 0, y: 0, width: 1366, height: 740 };
    // saved on a 4K monitor; its top-left is still on the laptop's screen
    saveWindowState(f, { x: 200, y: 100, width: 3800, height: 2100, maximized: false });
    const s = loadWindowState(f, [laptop]);
    expect(s).toEqual({ x: 0, y: 0, width: 1366, height: 740, maximized: false });
    // a window reaching past the right and bottom edges is moved back onto the display
    saveWindowState(f, { x: 1200, y: 600, width: 1000, height: 700, maximized: false });
    expect(loadWindowState(f, [laptop])).toEqual({ x: 366, y: 40, width: 1000, height: 700, maximized: false });
    // on a second display (right of the primary), it stays there
    const second = { x: 1366, y: 0, width: 2560, height: 1400 };
    saveWindowState(f, { x: 1500, y: 50, width: 2000, height: 1200, maximized: false });
    expect(loadWindowState(f, [laptop, second])).toEqual({ x: 1500, y: 50, width: 2000, height: 1200, maximized: false });
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
    // a deb `depends` replaces electron-builder's list of what Electron needs (GTK 3, ...)
    const depends: string[] | undefined = c.deb?.depends;
    if (depends) expect(depends).toEqual(expect.arrayContaining(["libgtk-3-0", "libnss3", "libxss1", "libxtst6", "libatspi2.0-0", "xdg-utils"]));
    expect(c.extraMetadata.main).toBe("build/main/desktop/main.js");
    expect(c.files).toEqual(expect.arrayContaining(["build/main/**", "build/renderer/**"]));
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    expect(pkg.scripts.dist).toBeDefined();
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.serve).toBe("node bin/tome.js serve");
    expect(JSON.stringify(pkg.scripts)).not.toContain("install-app-deps");
    // electron-builder ships every dependency: the native build's tools are devDependencies
    for (const tool of ["cmake-js", "node-addon-api", "typescript", "vite"]) expect(Object.keys(pkg.dependencies)).not.toContain(tool);
    // one icon for every platform; macOS's .icns needs 512 x 512 or more (256 failed `npm run dist`)
    for (const os of ["linux", "win", "mac"]) expect(c[os].icon).toBe("resources/icon.png");
    const png = fs.readFileSync("resources/icon.png");
    expect(Math.min(png.readUInt32BE(16), png.readUInt32BE(20))).toBeGreaterThanOrEqual(512);
    expect(c.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false });
  });
  it("electron-builder.yml passes electron-builder's own schema (checked at `npm run dist` only, which needs internet)", async () => {
    const { validateConfiguration } = (await import("app-builder-lib/out/util/config/config.js")) as unknown as {
      validateConfiguration(c: unknown, log: { isEnabled: boolean; add(): void }): Promise<void>;
    };
    const c = yaml.load(fs.readFileSync("electron-builder.yml", "utf8"));
    await expect(validateConfiguration(c, { isEnabled: false, add() {} })).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...(c as object), electronFuses: { runAsNod: false } }, { isEnabled: false, add() {} })).rejects.toThrow(/electronFuses/);
  });
});

describe("the app's own page and who may call the contract", () => {
  const appUrl = appUrlOf("/opt/tome/resources/app.asar/build/renderer/index.html");
  it("recognises the page however Chromium escapes its URL", () => {
    expect(sameFileUrl(appUrl, appUrl)).toBe(true);
    expect(sameFileUrl(appUrl + "#chat", appUrl)).toBe(true);
    // Node escapes { } | ^ in a path; Chromium may not
    const node = appUrlOf("/home/ann/{apps}|x^/tome/index.html");
    expect(node).toContain("%7Bapps%7D");
    expect(sameFileUrl("file:///home/ann/{apps}|x^/tome/index.html", node)).toBe(true);
    // a Windows drive letter in either case
    expect(sameFileUrl("file:///C:/Program%20Files/tome/index.html", "file:///c:/Program%20Files/tome/index.html")).toBe(true);
    expect(sameFileUrl("file://localhost/opt/tome/resources/app.asar/build/renderer/index.html", appUrl)).toBe(true);
  });
  it("refuses every other page", () => {
    for (const u of [
      "file:///opt/tome/resources/app.asar/build/renderer/other.html",
      "file:///tmp/index.html",
      "file://evil.example/opt/tome/resources/app.asar/build/renderer/index.html",
      "https://opt/tome/resources/app.asar/build/renderer/index.html",
      "about:blank",
      "nonsense",
      "",
    ]) {
      expect(sameFileUrl(u, appUrl), u).toBe(false);
    }
    // a stray % does not throw
    expect(sameFileUrl("file:///opt/50%/index.html", appUrl)).toBe(false);
  });
  it("trusts only our window's top frame showing our page", () => {
    const wc = {};
    const top = { url: appUrl, parent: null };
    expect(isTrustedSender({ sender: wc, senderFrame: top }, wc, appUrl)).toBe(true);
    expect(isTrustedSender({ sender: {}, senderFrame: top }, wc, appUrl)).toBe(false);
    expect(isTrustedSender({ sender: wc, senderFrame: top }, undefined, appUrl)).toBe(false);
    expect(isTrustedSender({ sender: wc, senderFrame: null }, wc, appUrl)).toBe(false);
    expect(isTrustedSender({ sender: wc, senderFrame: { url: appUrl, parent: top } }, wc, appUrl)).toBe(false); // an iframe
    expect(isTrustedSender({ sender: wc, senderFrame: { url: "file:///tmp/x.html", parent: null } }, wc, appUrl)).toBe(false);
    const disposed = { sender: wc, get senderFrame(): never { throw new Error("Render frame was disposed") } };
    expect(isTrustedSender(disposed, wc, appUrl)).toBe(false);
  });
});

/** A stand-in for Electron's UtilityProcess: an EventEmitter with postMessage and kill. */
function fakeUtility() {
  const sent: unknown[] = [];
  const child = Object.assign(new EventEmitter(), {
    postMessage: (m: unknown) => void sent.push(m),
    kill: () => true,
  });
  return { child, sent };
}

describe("the engine in a utilityProcess", () => {
  it("takes a fatal V8 error of the engine without throwing in main, and says so when it ends", async () => {
    const { child } = fakeUtility();
    const client = new EngineClient(() => adaptUtility(child));
    const crashes: string[] = [];
    client.onCrash((d) => crashes.push(d));
    const call = client.call("stats", {} as never);
    child.emit("message", { ready: true });
    await new Promise((r) => setImmediate(r));
    // Electron emits 'error' (FatalError), then 'exit'; an EventEmitter 'error' without a listener throws.
    expect(() => child.emit("error", "FatalError", "v8::internal::Heap::FatalProcessOutOfMemory", "{}")).not.toThrow();
    child.emit("exit", 133);
    await expect(call).rejects.toMatchObject({ code: "ENGINE_CRASHED" });
    await expect(call).rejects.toThrow(/FatalError/);
    expect(crashes).toEqual(["V8 FatalError at v8::internal::Heap::FatalProcessOutOfMemory, exit code 133"]);
  });
  it("passes messages both ways and describes a plain exit", () => {
    const { child, sent } = fakeUtility();
    const p = adaptUtility(child);
    const got: unknown[] = [];
    const exits: string[] = [];
    p.onMessage((m) => got.push(m));
    p.onExit((d) => exits.push(d));
    p.send({ id: 1, op: "stats", args: {} } as never);
    child.emit("message", { ready: true });
    child.emit("exit", 1);
    expect(sent).toEqual([{ id: 1, op: "stats", args: {} }]);
    expect(got).toEqual([{ ready: true }]);
    expect(exits).toEqual(["exited with code 1"]);
  });
});

describe("menu commands", () => {
  function fakeCore(call: (method: unknown) => Promise<unknown>) {
    const events: { event: string; data: unknown }[] = [];
    const core = { call: (m: unknown) => call(m), emit: (event: string, data: unknown) => void events.push({ event, data }) };
    return { core: core as unknown as MenuCore, events };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it("File > Open Book… shows why a book could not be added (nobody else would)", async () => {
    const { core, events } = fakeCore(async () => {
      throw new AppError("TOO_LARGE", "'big.pdf' is over the 64 MiB limit.");
    });
    menuActions(() => core).openBooks();
    await settle();
    expect(events).toEqual([{ event: "app.notice", data: { kind: "error", text: "Could not add the book: 'big.pdf' is over the 64 MiB limit." } }]);
  });
  it("says nothing when the dialog was cancelled or the import worked, and routes UI commands", async () => {
    const calls: unknown[] = [];
    const { core, events } = fakeCore(async (m) => void calls.push(m));
    const a = menuActions(() => core);
    a.openBooks();
    a.openModel();
    a.openSettings();
    a.findInBook();
    a.searchAllBooks();
    a.about();
    await settle();
    expect(calls).toEqual(["library.openDialog"]);
    expect(events).toEqual([
      // the window runs the model dialog itself: its list and the model's details follow
      { event: "ui.command", data: { command: "openModel" } },
      { event: "ui.command", data: { command: "settings" } },
      { event: "ui.command", data: { command: "find" } },
      { event: "ui.command", data: { command: "searchAll" } },
      { event: "ui.command", data: { command: "about" } },
    ]);
    expect(() => menuActions(() => null).openBooks()).not.toThrow();
  });
  it("a UI command waits for the window (made again after it was closed, as on macOS) before it is sent", async () => {
    const { core, events } = fakeCore(async () => {});
    let ready!: () => void;
    const a = menuActions(() => core, () => new Promise<void>((r) => (ready = r)));
    a.openSettings();
    await settle();
    expect(events).toEqual([]); // no window yet: it went nowhere
    ready();
    await settle();
    expect(events).toEqual([{ event: "ui.command", data: { command: "settings" } }]);
  });
});

describe("a crashed page", () => {
  it("is reloaded at most 3 times a minute", () => {
    const b = new CrashBudget(3, 60_000);
    expect([b.allow(0), b.allow(1000), b.allow(2000), b.allow(3000)]).toEqual([true, true, true, false]);
    expect(b.allow(61_000)).toBe(true); // the first two have aged out
  });
});

describe("the preload", () => {
  it("loads in a sandbox: its only run-time import is electron", () => {
    const pre = fs.readFileSync(path.join("main", "desktop", "preload.ts"), "utf8");
    const imports = [...pre.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)];
    expect(imports.length).toBeGreaterThan(0);
    for (const [, isType, from] of imports) if (!isType) expect(from).toBe("electron");
    expect(pre).not.toMatch(/\brequire\(/);
  });
});

describe("environment overrides of native code", () => {
  const env = { TOME_ADDON: "/tmp/other.node" };
  it("are honoured in Node and in `electron .`, ignored in a packaged app", () => {
    expect(devOverride("TOME_ADDON", { versions: { node: "20" }, env })).toBe("/tmp/other.node");
    expect(devOverride("TOME_ADDON", { versions: { node: "20", electron: "45" }, defaultApp: true, env })).toBe("/tmp/other.node");
    expect(runsPackaged({ versions: { node: "20", electron: "45" }, env })).toBe(true);
    expect(devOverride("TOME_ADDON", { versions: { node: "20", electron: "45" }, env })).toBeUndefined();
  });
});
