/**
 * `npm run notebooks:html -- [FILTER…] [--out notebooks/html] [--budget 180] [--no-check]`
 *
 * The course for reading without running anything: executes each notebook of the course (src/notebook/course.ts)
 * headless, folds its worked solutions, exports it to a self-contained HTML page (outputs, interactive figures,
 * nothing loaded from the network), checks the page in headless Chromium, and writes an index page. Also
 * rewrites the course table of notebooks/README.md. See notebooks/README.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { checkHtmlRenders } from "../src/charts/render-check.js";
import { COURSE, courseIndexHtml, courseTableMarkdown, foldSolutions, withoutRemoteAssets } from "../src/notebook/course.js";
import { figureOutputCount, parseNotebook, serializeNotebook } from "../src/notebook/notebook-file.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { replaceGeneratedBlock } from "../src/util/generated-block.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const NOTEBOOKS = join(ROOT, "notebooks");

const { values, positionals } = parseArgs({
  options: { out: { type: "string" }, budget: { type: "string" }, "no-check": { type: "boolean" } },
  allowPositionals: true,
  strict: true,
});
const cfg = z
  .object({
    /** Keep the course notebooks whose file name contains one of these (all when empty). */
    filters: z.array(z.string()).default([]),
    /** Folder of the pages (git-ignored). */
    out: z.string().default(join(NOTEBOOKS, "html")),
    /** Seconds one notebook may take to execute. */
    budget: z.coerce.number().positive().default(180),
    /** Open every page in headless Chromium and check its figures. */
    check: z.boolean().default(true),
    /** Python with Jupyter (nbclient, nbconvert). */
    python: z.string().default(process.env["JUPYTER_PYTHON"] ?? "/usr/bin/python3"),
  })
  .parse({ filters: positionals, out: values.out === undefined ? undefined : resolve(values.out), budget: values.budget, check: values["no-check"] === true ? false : undefined });

const readme = join(NOTEBOOKS, "README.md");
const readmeText = readFileSync(readme, "utf8");
const newReadme = replaceGeneratedBlock(readmeText, "course-table", courseTableMarkdown());
if (newReadme !== readmeText) {
  writeFileAtomic(readme, newReadme);
  console.log("notebooks/README.md: course table rewritten");
}

const chosen = COURSE.filter((n) => cfg.filters.length === 0 || cfg.filters.some((f) => n.file.includes(f)));
if (chosen.length === 0) {
  console.error(`notebooks:html: no course notebook matches ${cfg.filters.join(", ")}`);
  process.exit(1);
}
const work = join(cfg.out, ".executed");
mkdirSync(work, { recursive: true });
const pages: { notebook: (typeof COURSE)[number]; html: string }[] = [];
let failed = 0;
for (const notebook of chosen) {
  const started = performance.now();
  const input = join(NOTEBOOKS, notebook.file);
  const executed = join(work, notebook.file);
  const run = spawnSync(cfg.python, [join(ROOT, "src", "notebook", "execute-notebook.py"), input, executed, "--kernel", "tslab", "--budget", String(cfg.budget)], {
    cwd: NOTEBOOKS,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: (cfg.budget + 90) * 1000,
    env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env["PATH"] ?? ""}` },
  });
  const last = (run.stdout ?? "").trim().split("\n").pop() ?? "";
  let ok = false;
  try {
    ok = (JSON.parse(last) as { ok?: unknown }).ok === true;
  } catch {
    ok = false;
  }
  if (!ok) {
    failed++;
    console.log(`✗ ${notebook.file}: execution failed (${last || run.error?.message || `status ${run.status}`}); run npm run test:notebooks -- ${notebook.file} for details`);
    continue;
  }
  const folded = join(work, `${basename(notebook.file, ".ipynb")}.folded.ipynb`);
  const nb = foldSolutions(parseNotebook(readFileSync(executed, "utf8"), executed));
  writeFileSync(folded, serializeNotebook(nb));
  const stem = basename(notebook.file, ".ipynb");
  const exp = spawnSync(cfg.python, ["-m", "nbconvert", "--to", "html", "--log-level", "WARN", folded, "--output", stem, "--output-dir", cfg.out], { encoding: "utf8", timeout: 120_000 });
  if (exp.status !== 0) {
    failed++;
    console.log(`✗ ${notebook.file}: HTML export failed: ${(exp.stderr ?? String(exp.error)).trim().split("\n").pop()}`);
    continue;
  }
  const page = join(cfg.out, `${stem}.html`);
  writeFileAtomic(page, withoutRemoteAssets(readFileSync(page, "utf8")));
  let note = "";
  if (cfg.check) {
    const report = await checkHtmlRenders(page, { expectFigures: figureOutputCount(nb) });
    if (!report.ok || report.blockedRequests.length > 0) {
      failed++;
      console.log(`✗ ${notebook.file}: ${[...report.problems, ...report.blockedRequests.map((u) => `requests ${u}`)].join("; ")}`);
      continue;
    }
    note = `, ${report.figures.length} figures drew offline`;
  }
  pages.push({ notebook, html: `${stem}.html` });
  console.log(`✓ ${notebook.file} → ${page} (${((performance.now() - started) / 1000).toFixed(0)} s${note})`);
}
writeFileAtomic(join(cfg.out, "index.html"), courseIndexHtml(pages));
console.log(`notebooks:html: ${pages.length} pages and ${join(cfg.out, "index.html")}${failed > 0 ? `; ${failed} failed` : ""}`);
process.exitCode = failed > 0 ? 1 : 0;
