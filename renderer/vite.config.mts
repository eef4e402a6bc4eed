// Vite build of the UI: renderer/ -> build/renderer (relative asset paths, so
// the same files load from tome serve and from file:// in Electron).
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  build: {
    outDir: path.join(here, "..", "build", "renderer"),
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
});
