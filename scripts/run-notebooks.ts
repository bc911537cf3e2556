/**
 * Executes every notebook in notebooks/ headless and checks that its figures draw. Part of `npm test`.
 *
 *   npm run test:notebooks -- [FILTER…] [--strip] [--budget 120] [--no-render] [--out notebooks/out]   (--help lists every flag)
 *
 * FILTER keeps notebooks whose file name contains it. --strip removes outputs from the committed notebooks
 * and stops. See docs/notebooks.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { z } from "zod";
import { checkHtmlRenders } from "../src/charts/render-check.js";
import {
  cellOutputText,
  cellSource,
  cellsWithOutputs,
  figureOutputCount,
  parseNotebook,
  serializeNotebook,
  stripNotebook,
} from "../src/notebook/notebook-file.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const Config = z.object({
  /** Keep notebooks whose file name contains one of these (all when empty). */
  filters: z.array(z.string()).default([]),
  /** Remove outputs from the committed notebooks instead of running them. */
  strip: z.boolean().default(false),
  /** Seconds a whole notebook may take to execute (kernel start excluded). */
  budget: z.coerce.number().positive().default(120),
  /** Export each executed notebook to HTML and check in headless Chromium that its figures drew. */
  render: z.boolean().default(true),
  /** Folder (git-ignored) for executed notebooks and their HTML exports. */
  out: z.string().default(join(ROOT, "notebooks", "out")),
  /** Folder holding the notebooks. */
  dir: z.string().default(join(ROOT, "notebooks")),
  /** Python with Jupyter (nbclient, nbconvert). */
  python: z.string().default(process.env["JUPYTER_PYTHON"] ?? "/usr/bin/python3"),
  /** Jupyter kernel to run them on. */
  kernel: z.string().default("tslab"),
});
type Config = z.output<typeof Config>;

interface NotebookResult {
  readonly name: string;
  readonly ok: boolean;
  /** One line: what ran, how long, what drew. */
  readonly line: string;
  /** Why it failed, several lines. */
  readonly details: readonly string[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const indent = (text: string, prefix = "    ") =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");

function executorJson(stdout: string): Record<string, unknown> | null {
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    const v: unknown = JSON.parse(last);
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function runOne(file: string, cfg: Config): Promise<NotebookResult> {
  const name = basename(file);
  const stem = name.replace(/\.ipynb$/, "");
  const details: string[] = [];
  const committed = parseNotebook(readFileSync(file, "utf8"), file);
  const dirty = cellsWithOutputs(committed);
  if (dirty.length > 0) {
    details.push(
      `committed with outputs in cells ${dirty.join(", ")}: strip them (npm run test:notebooks -- --strip)`,
    );
  }

  const executed = join(cfg.out, name);
  const started = performance.now();
  const run = spawnSync(
    cfg.python,
    [join(ROOT, "src", "notebook", "execute-notebook.py"), file, executed, "--kernel", cfg.kernel, "--budget", String(cfg.budget)],
    {
      cwd: dirname(file),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      // Kernel start and teardown on top of the execution budget.
      timeout: (cfg.budget + 90) * 1000,
      env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env["PATH"] ?? ""}` },
    },
  );
  const execMs = performance.now() - started;
  const result = executorJson(run.stdout ?? "");
  if (result === null || result["ok"] !== true) {
    const why =
      run.error !== undefined
        ? `could not run ${cfg.python}: ${run.error.message}`
        : typeof result?.["error"] === "string"
          ? result["error"]
          : `executor exited with status ${run.status}`;
    details.push(`execution failed: ${why}`);
    const failed = typeof result?.["failed_cell"] === "number" ? result["failed_cell"] : null;
    if (failed !== null) {
      try {
        const nb = parseNotebook(readFileSync(executed, "utf8"), executed);
        const cell = nb.cells[failed];
        if (cell !== undefined) {
          details.push(`cell ${failed}:\n${indent(cellSource(cell).split("\n").slice(0, 12).join("\n"), "    | ")}`);
          const out = cellOutputText(cell);
          details.push(`its output:\n${indent(out === "" ? "(nothing)" : out.split("\n").slice(-40).join("\n"))}`);
        }
      } catch (err) {
        details.push(`(could not read the executed notebook: ${String(err)})`);
      }
    }
    const stderr = (run.stderr ?? "").trim();
    if (stderr !== "") details.push(`executor stderr (last lines):\n${indent(stderr.split("\n").slice(-15).join("\n"))}`);
    return { name, ok: false, line: `✗ ${name}  failed after ${seconds(execMs)}`, details };
  }

  const cells = Number(result["cells"]);
  let renderNote = "not rendered";
  const expected = figureOutputCount(parseNotebook(readFileSync(executed, "utf8"), executed));
  if (cfg.render && expected === 0) renderNote = "no figures";
  if (cfg.render && expected > 0) {
    const exportStarted = performance.now();
    const exp = spawnSync(cfg.python, ["-m", "nbconvert", "--to", "html", "--log-level", "WARN", executed, "--output-dir", cfg.out], {
      encoding: "utf8",
      timeout: 120_000,
    });
    if (exp.status !== 0) {
      details.push(`HTML export failed (nbconvert --to html):\n${indent((exp.stderr ?? String(exp.error)).trim())}`);
    } else {
      const html = join(cfg.out, `${stem}.html`);
      try {
        const report = await checkHtmlRenders(html, { expectFigures: expected });
        const points = report.figures.reduce((s, f) => s + f.points, 0);
        renderNote = `${report.figures.filter((f) => f.drew).length}/${expected} figures drew (${points} points) in Chromium, export+check ${seconds(performance.now() - exportStarted)}`;
        for (const p of report.problems) details.push(`render check (${html}): ${p}`);
      } catch (err) {
        details.push(`render check could not run: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  const ok = details.length === 0;
  const line = `${ok ? "✓" : "✗"} ${name}  ${cells} code cells executed in ${seconds(Number(result["seconds"]) * 1000)} (kernel start included); ${renderNote}`;
  return { name, ok, line, details };
}

function strip(files: readonly string[]): void {
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const stripped = serializeNotebook(stripNotebook(parseNotebook(text, file)));
    if (stripped === text) {
      console.log(`  ${basename(file)}: already clean`);
    } else {
      writeFileAtomic(file, stripped);
      console.log(`  ${basename(file)}: outputs removed`);
    }
  }
}

function kernelInstalled(cfg: Config): string | null {
  const r = spawnSync(cfg.python, ["-m", "jupyter", "kernelspec", "list", "--json"], { encoding: "utf8" });
  if (r.status !== 0) return `cannot list Jupyter kernels with ${cfg.python} (${(r.stderr ?? String(r.error)).trim().split("\n").pop()})`;
  const specs = (JSON.parse(r.stdout) as { kernelspecs?: Record<string, unknown> }).kernelspecs ?? {};
  return cfg.kernel in specs ? null : `Jupyter has no "${cfg.kernel}" kernel`;
}

async function main(cfg: Config): Promise<number> {
  const files = readdirSync(cfg.dir)
    .filter((f) => f.endsWith(".ipynb"))
    .filter((f) => cfg.filters.length === 0 || cfg.filters.some((s) => f.includes(s)))
    .sort()
    .map((f) => join(cfg.dir, f));
  if (cfg.strip) {
    strip(files);
    return 0;
  }
  if (files.length === 0) {
    console.error(`no notebooks in ${cfg.dir}${cfg.filters.length > 0 ? ` matching ${cfg.filters.join(", ")}` : ""}`);
    return 1;
  }
  const missing = kernelInstalled(cfg);
  if (missing !== null) {
    console.error(`notebooks: ${missing}: run \`bash scripts/setup-system.sh\` (as root it installs what is missing)`);
    return 2;
  }
  mkdirSync(cfg.out, { recursive: true });
  console.log(`notebooks: executing ${files.length} on the ${cfg.kernel} kernel (budget ${cfg.budget} s each), outputs in ${cfg.out}`);
  const started = performance.now();
  const results: NotebookResult[] = [];
  for (const file of files) {
    const r = await runOne(file, cfg);
    results.push(r);
    console.log(r.line);
    for (const d of r.details) console.log(indent(d, "  "));
  }
  const failed = results.filter((r) => !r.ok);
  console.log(
    `notebooks: ${results.length - failed.length} passed, ${failed.length} failed (${seconds(performance.now() - started)})` +
      (failed.length > 0 ? ` — failed: ${failed.map((r) => r.name).join(", ")}` : ""),
  );
  return failed.length === 0 ? 0 : 1;
}

export const notebooksCommand = defineCommand({
  name: "npm run test:notebooks",
  summary: "Execute every notebook headless on the tslab kernel and check in headless Chromium that its figures draw.",
  description: "Part of npm test. Exit 0: all passed; 1: a notebook failed (its cell, output and the executor's stderr are shown); 2: bad flags or no kernel. See docs/notebooks.md.",
  flags: {
    strip: flag.switch("remove outputs from the committed notebooks and stop"),
    budget: flag.number("seconds a whole notebook may take to execute (kernel start excluded)", { gt: 0, placeholder: "S", default: 120 }),
    render: flag.offSwitch("export each executed notebook to HTML and check its figures in Chromium (--no-render: skip)"),
    out: flag.path("folder (git-ignored) for executed notebooks and their HTML exports", { placeholder: "DIR", unset: "notebooks/out" }),
    dir: flag.path("folder holding the notebooks", { placeholder: "DIR", unset: "notebooks" }),
    kernel: flag.string("Jupyter kernel to run them on", { placeholder: "NAME", default: "tslab" }),
  },
  positionals: { name: "FILTER", description: "keep notebooks whose file name contains one of these", variadic: true },
  examples: ["npm run test:notebooks", "npm run test:notebooks -- 04 --no-render", "npm run test:notebooks -- --strip"],
  run: (f, ctx) =>
    main(
      Config.parse({
        filters: [...ctx.args],
        strip: f.strip,
        budget: f.budget,
        render: f.render,
        ...(f.out === undefined ? {} : { out: resolve(f.out) }),
        ...(f.dir === undefined ? {} : { dir: resolve(f.dir) }),
        kernel: f.kernel,
      }),
    ),
});

await runCommand(notebooksCommand);
