import { defineConfig } from "vitest/config";

// Engine tests load the native addon and llama.cpp: run them in forks, one file
// at a time per worker, with generous timeouts (2 CPU cores; real models).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
