// Builds everything `npm install` promises: the native engine (tome_cpu.node and
// the standalone C++ tests, through cmake-js, offline) and the TypeScript in main/.
//   node scripts/build.mjs            native + ts + renderer
//   node scripts/build.mjs --native   native only
//   node scripts/build.mjs --ts       ts only
//   node scripts/build.mjs --renderer the UI only (vite -> build/renderer)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const all = !args.has("--native") && !args.has("--ts") && !args.has("--renderer");

function step(name, cmd, argv) {
  process.stderr.write(`tome build: ${name}\n`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    process.stderr.write(`tome build: ${name} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}

if (all || args.has("--native")) {
  const cmakeJs = path.join(root, "node_modules", "cmake-js", "bin", "cmake-js");
  if (!existsSync(cmakeJs)) {
    process.stderr.write("tome build: cmake-js is not installed; run npm install\n");
    process.exit(1);
  }
  const jobs = String(Math.max(1, cpus().length));
  step("native (cmake-js)", process.execPath, [cmakeJs, "build", "--directory", "native", "--out", "build/native",
    "--parallel", jobs, "--log-level", "warn"]);
}
if (all || args.has("--ts")) {
  step("typescript", process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
}
if (all || args.has("--renderer")) {
  step("renderer (vite)", process.execPath, [path.join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "renderer/vite.config.mts", "--logLevel", "warn"]);
}
