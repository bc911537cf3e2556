#!/usr/bin/env node
/*
 * Jupyter kernel entry for the "tslab" kernelspec written by scripts/setup-system.sh (a copy of this file lives
 * in the kernelspec folder, so it must stay self-contained and project-agnostic).
 *
 * Jupyter starts kernels in the notebook's folder. This walks up from there to the nearest folder with a local
 * tslab (node_modules/tslab), loads that project's kernel hooks when it has them (src/notebook/kernel-hooks.cjs),
 * then starts the project's own tslab, so every project uses the tslab version of its lockfile. Outside such a
 * project it fails with a message instead of starting a kernel that cannot import anything.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function findProjectRoot(start) {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== "node_modules" && fs.existsSync(path.join(dir, "node_modules", "tslab", "dist", "main.js"))) {
      return dir;
    }
    if (path.dirname(dir) === dir) return null;
  }
}

const root = findProjectRoot(process.cwd());
if (root === null) {
  console.error(
    `tslab kernel: no node_modules/tslab in ${process.cwd()} or any parent folder; run \`npm install\` in the project first.`,
  );
  process.exit(1);
}
const hooks = path.join(root, "src", "notebook", "kernel-hooks.cjs");
Promise.resolve(fs.existsSync(hooks) ? require(hooks).install(root) : undefined).then(
  // tslab's own CLI: `kernel --config-path <connection file>` (process.argv is passed through unchanged).
  () => require(path.join(root, "node_modules", "tslab", "dist", "main.js")).main(),
  (err) => {
    console.error(`tslab kernel: ${hooks} failed:`, err);
    process.exit(1);
  },
);
