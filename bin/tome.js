#!/usr/bin/env node
// Entry point of the `tome` CLI (npx tome ...). The TypeScript sources in main/
// are compiled to build/main by `npm install` / `npm run build`.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "build", "main", "cli", "index.js");
if (!fs.existsSync(entry)) {
  process.stderr.write("tome: not built yet; run `npm install` (or `npm run build`) in " + path.dirname(__dirname) + "\n");
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
