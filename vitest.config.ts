import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2-core machines: two workers keep the suite fast without starving tfjs/WASM.
    pool: "forks",
    maxWorkers: 2,
  },
});
