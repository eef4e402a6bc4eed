// npm run dist: installers with electron-builder (AppImage, deb, nsis, dmg per
// electron-builder.yml) for the current platform. Needs Electron's binaries, so
// it needs internet (or a filled electron-builder cache).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const r = spawnSync(process.execPath, [path.join(root, "node_modules", "electron-builder", "cli.js"), "--config", "electron-builder.yml", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
// electron-builder rebuilt better-sqlite3 in place for Electron's ABI: put the Node build back.
spawnSync("npm", ["rebuild", "better-sqlite3"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
process.exit(r.status ?? 1);
