// npm test: the standalone C++ tests (ctest, in the cmake-js build folder), the
// type checks (the app, the renderer and the tests themselves, which vitest runs
// without checking), then the JS tests (vitest: engine against llama.cpp, CLI,
// fuzz). No GPU, no network.
// Test data: ../shared beside the checkout, or $TOME_TEST_DATA.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const buildDir = path.join(root, "build", "native");
const passthrough = process.argv.slice(2);

function run(name, cmd, args) {
  process.stderr.write(`\n=== ${name} ===\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  return r.status === 0;
}

if (!existsSync(path.join(buildDir, "CTestTestfile.cmake"))) {
  process.stderr.write("tome test: native build missing; run npm install (or npm run build)\n");
  process.exit(1);
}
let ok = run("native (ctest)", "ctest", ["--test-dir", buildDir, "--output-on-failure", "-j", "2"]);
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
for (const project of ["tsconfig.json", "renderer/tsconfig.json", "tsconfig.test.json"])
  ok = run(`types (tsc -p ${project})`, process.execPath, [tsc, "--noEmit", "-p", project]) && ok;
ok = run("js (vitest)", process.execPath, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...passthrough]) && ok;
process.exit(ok ? 0 : 1);
