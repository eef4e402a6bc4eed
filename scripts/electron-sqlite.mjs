// better-sqlite3 for Electron's ABI. better-sqlite3 is a V8 addon (not N-API),
// so the build npm install made for Node cannot load in Electron's main process.
// `npm start` makes a second binary beside it, once per Electron version, in
// build/electron-<version>/, from a copy of the package (the Node one stays as it
// is for `tome serve` and the tests), and hands it to the app through
// $TOME_SQLITE_BINDING (main/library/db.ts). It needs what Electron's binary
// needed: internet (a prebuilt binary, else Electron's headers to compile).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";

/** Path of better_sqlite3.node for Electron `version`; made when missing. Throws with a clear message. */
export function electronSqliteBinding(root, version) {
  const outDir = path.join(root, "build", `electron-${version}`);
  const binding = path.join(outDir, "better_sqlite3.node");
  if (existsSync(binding)) return binding;
  const pkg = path.join(root, "node_modules", "better-sqlite3");
  const work = path.join(outDir, "better-sqlite3");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const f of ["package.json", "binding.gyp", "src", "deps", "lib"]) cpSync(path.join(pkg, f), path.join(work, f), { recursive: true });
  const run = (script, args) =>
    execFileSync(process.execPath, [path.join(root, "node_modules", script), ...args], { cwd: work, stdio: "inherit", timeout: 10 * 60_000 });
  try {
    run(path.join("prebuild-install", "bin.js"), ["--runtime", "electron", "--target", version]);
  } catch {
    try {
      run(path.join("node-gyp", "bin", "node-gyp.js"), ["rebuild", "--release", "--runtime=electron", `--target=${version}`, "--dist-url=https://electronjs.org/headers"]);
    } catch (e) {
      throw new Error(
        `could not make better-sqlite3 for Electron ${version} (no prebuilt binary, and compiling needs Electron's headers from the internet): ${e.message}`,
      );
    }
  }
  cpSync(path.join(work, "build", "Release", "better_sqlite3.node"), binding);
  return binding;
}
