import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cellOutputText, cellsWithOutputs, parseNotebook } from "../src/notebook/notebook-file.js";

// End to end: real tslab kernels (registered by scripts/setup-system.sh), real nbclient, nbconvert and
// headless Chromium. The notebooks live inside the project tree because the kernel finds the project (its
// node_modules/tslab and import hooks) from the notebook's folder.

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const dir = join(ROOT, "notebooks", "out", `.runner-test-${process.pid}`);
const src = relative(dir, join(ROOT, "src")); // e.g. ../../../src
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function notebook(file: string, cells: readonly string[], outputs: readonly Record<string, unknown>[] = []): string {
  const path = join(dir, file);
  const nb = {
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      source,
      execution_count: i === 0 && outputs.length > 0 ? 1 : null,
      outputs: i === 0 ? outputs : [],
    })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(path, JSON.stringify(nb, null, 1) + "\n");
  return path;
}

function runner(...args: string[]) {
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "run-notebooks.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("run-notebooks", () => {
  it("passes good notebooks, fails one that raises, has a type error or carries outputs, and ends with a summary", () => {
    notebook("a-ok.ipynb", [
      // Types and values from project modules: a NodeNext ".js" import of a .ts file, import.meta inside it.
      `import { Rng } from "${src}/util/rng.js";\nimport { EMBEDDED_MARKET_PATH } from "${src}/data/embedded.js";\n` +
        `const u: number = new Rng(1).uniform();\nconsole.log("uniform", u, EMBEDDED_MARKET_PATH.endsWith("synthetic-btc-1h.csv"));`,
      `import { lineFigure } from "${src}/charts/index.js";\nimport { showFigure } from "${src}/notebook/index.js";\n` +
        `const axes = { xTitle: "step", yTitle: "value" };\nshowFigure(lineFigure([{ name: "a", y: [1, 2, 3] }], axes));\nshowFigure(lineFigure([{ name: "b", y: [3, 1] }], axes));`,
    ]);
    notebook("b-raises.ipynb", [`console.log("before");`, `throw new Error("boom from the notebook");`, `console.log("never runs");`]);
    notebook("c-type-error.ipynb", [`import { Rng } from "${src}/util/rng.js";\nconst s: string = new Rng(1).uniform();`]);
    notebook("d-dirty.ipynb", [`console.log(1);`], [{ output_type: "stream", name: "stdout", text: ["1\n"] }]);

    const { status, out } = runner("--dir", dir, "--out", join(dir, "out"));
    expect(status, out).toBe(1);
    expect(out).toMatch(/✓ a-ok\.ipynb .*2\/2 figures drew/);
    expect(out).toMatch(/✗ b-raises\.ipynb/);
    expect(out).toContain("boom from the notebook");
    expect(out).toContain("cell 1");
    expect(out).toMatch(/✗ c-type-error\.ipynb/);
    expect(out).toContain("Type 'number' is not assignable to type 'string'");
    expect(out).toMatch(/✗ d-dirty\.ipynb/);
    expect(out).toContain("committed with outputs in cells 0");
    expect(out.trimEnd().split("\n").pop()).toMatch(
      /^notebooks: 1 passed, 3 failed \(\d+\.\d s\) — failed: b-raises\.ipynb, c-type-error\.ipynb, d-dirty\.ipynb$/,
    );

    // The executed copy holds the outputs; the committed notebook is untouched.
    const executed = parseNotebook(readFileSync(join(dir, "out", "a-ok.ipynb"), "utf8"), "a-ok");
    expect(cellOutputText(executed.cells[0]!)).toMatch(/^uniform 0\.\d+ true\n$/);
    expect(cellsWithOutputs(parseNotebook(readFileSync(join(dir, "a-ok.ipynb"), "utf8"), "a-ok"))).toEqual([]);
  }, 240_000);

  it("--strip removes committed outputs and leaves clean notebooks alone", () => {
    const stripDir = join(dir, "strip");
    mkdirSync(stripDir, { recursive: true });
    cpSync(notebook("e-dirty.ipynb", [`console.log(1);`], [{ output_type: "stream", name: "stdout", text: ["1\n"] }]), join(stripDir, "e.ipynb"));
    const first = runner("--dir", stripDir, "--strip");
    expect(first.status).toBe(0);
    expect(first.out).toContain("e.ipynb: outputs removed");
    expect(cellsWithOutputs(parseNotebook(readFileSync(join(stripDir, "e.ipynb"), "utf8"), "e"))).toEqual([]);
    expect(runner("--dir", stripDir, "--strip").out).toContain("e.ipynb: already clean");
  });
});
