// npm start: the desktop app. Electron's binary is fetched lazily by the electron
// package and cannot be downloaded on machines without internet; then this says
// so and points to the browser mode, which is the same app. The app database's
// better-sqlite3 is built once more for Electron's ABI (scripts/electron-sqlite.mjs).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { electronSqliteBinding } from "./electron-sqlite.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const entry = path.join(root, "build", "main", "desktop", "main.js");
if (!existsSync(entry) || !existsSync(path.join(root, "build", "renderer", "index.html"))) {
  console.error("tome: the app is not built; run npm run build");
  process.exit(1);
}
const pkg = path.join(root, "node_modules", "electron");
const pathTxt = path.join(pkg, "path.txt");
const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
const binary = override
  ? path.join(override, existsSync(pathTxt) ? readFileSync(pathTxt, "utf8") : "electron")
  : existsSync(pathTxt)
    ? path.join(pkg, "dist", readFileSync(pathTxt, "utf8"))
    : null;
if (!binary || !existsSync(binary)) {
  console.error(
    "tome: Electron's binary is not installed (node_modules/electron/dist), and it cannot be downloaded without internet.\n" +
      "  With internet:  node node_modules/electron/install.js   then   npm start\n" +
      "  Offline:        npm run serve   (the same app in your browser; open the URL it prints)",
  );
  process.exit(1);
}
const electronVersion = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")).version;
let sqliteBinding;
try {
  sqliteBinding = electronSqliteBinding(root, electronVersion);
} catch (e) {
  console.error(`tome: ${e.message}\n  Offline:        npm run serve   (the same app in your browser)`);
  process.exit(1);
}
const child = spawn(binary, [entry, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, TOME_SQLITE_BINDING: sqliteBinding },
});
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
