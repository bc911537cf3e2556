/**
 * `npm run notebooks:html -- [FILTER…] [--out notebooks/html] [--budget 180] [--no-check]` (`--help` lists every flag)
 *
 * The course for reading without running anything: executes each notebook of the course (src/notebook/course.ts)
 * headless, folds its worked solutions, exports it to a self-contained HTML page (outputs, interactive figures,
 * nothing loaded from the network), checks the page in headless Chromium, and writes an index page. Also
 * rewrites the course table of notebooks/README.md. See notebooks/README.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { claimOutput, type OutputKind } from "../src/util/safe-output.js";
import { checkHtmlRenders } from "../src/charts/render-check.js";
import { COURSE, courseIndexHtml, courseTableMarkdown, foldSolutions, withoutRemoteAssets } from "../src/notebook/course.js";
import { figureOutputCount, parseNotebook, serializeNotebook } from "../src/notebook/notebook-file.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { replaceGeneratedBlock } from "../src/util/generated-block.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const NOTEBOOKS = join(ROOT, "notebooks");

/** The pages folder as an output: only HTML pages (and the hidden work folder) are ever replaced. */
const PAGES_OUTPUT: OutputKind = {
  name: "folder of course pages",
  type: "folder",
  entries: [/\.html$/],
  describe: (p) => (existsSync(join(p, "index.html")) ? "course pages" : null),
};

export const notebooksHtmlCommand = defineCommand({
  name: "npm run notebooks:html",
  summary: "The course as self-contained offline HTML pages: every course notebook executed, solutions folded, checked in Chromium.",
  description: "Also rewrites the course table of notebooks/README.md. An --out other than notebooks/html that holds pages already needs --force. See notebooks/README.md.",
  flags: {
    out: flag.path("folder of the pages (git-ignored)", { placeholder: "DIR", unset: "notebooks/html" }),
    budget: flag.number("seconds one notebook may take to execute", { gt: 0, placeholder: "S", default: 180 }),
    check: flag.offSwitch("open every page in headless Chromium and check its figures (--no-check: skip)"),
    force: forceFlag(),
  },
  positionals: { name: "FILTER", description: "keep the course notebooks whose file name contains one of these", variadic: true },
  examples: ["npm run notebooks:html", "npm run notebooks:html -- 01 02 --no-check"],
  async run(flags, ctx) {
    const cfg = {
      filters: [...ctx.args],
      out: flags.out === undefined ? join(NOTEBOOKS, "html") : resolve(flags.out),
      budget: flags.budget,
      check: flags.check,
      python: process.env["JUPYTER_PYTHON"] ?? "/usr/bin/python3",
    };
    const claim = claimOutput(cfg.out, { kind: PAGES_OUTPUT, force: flags.force, field: "out", replaces: join(NOTEBOOKS, "html") });
    try {
      return await build(cfg, ctx.log);
    } finally {
      claim.release();
    }
  },
});

async function build(cfg: { filters: string[]; out: string; budget: number; check: boolean; python: string }, log: (line: string) => void): Promise<number> {
  const readme = join(NOTEBOOKS, "README.md");
  const readmeText = readFileSync(readme, "utf8");
  const newReadme = replaceGeneratedBlock(readmeText, "course-table", courseTableMarkdown());
  if (newReadme !== readmeText) {
    writeFileAtomic(readme, newReadme);
    log("notebooks/README.md: course table rewritten");
  }

  const chosen = COURSE.filter((n) => cfg.filters.length === 0 || cfg.filters.some((f) => n.file.includes(f)));
  if (chosen.length === 0) {
    throw new CliError("invalid_flag", `no course notebook matches ${cfg.filters.join(", ")}`, "FILTER");
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
      log(`✗ ${notebook.file}: execution failed (${last || run.error?.message || `status ${run.status}`}); run npm run test:notebooks -- ${notebook.file} for details`);
      continue;
    }
    const folded = join(work, `${basename(notebook.file, ".ipynb")}.folded.ipynb`);
    const nb = foldSolutions(parseNotebook(readFileSync(executed, "utf8"), executed));
    writeFileSync(folded, serializeNotebook(nb));
    const stem = basename(notebook.file, ".ipynb");
    const exp = spawnSync(cfg.python, ["-m", "nbconvert", "--to", "html", "--log-level", "WARN", folded, "--output", stem, "--output-dir", cfg.out], { encoding: "utf8", timeout: 120_000 });
    if (exp.status !== 0) {
      failed++;
      log(`✗ ${notebook.file}: HTML export failed: ${(exp.stderr ?? String(exp.error)).trim().split("\n").pop()}`);
      continue;
    }
    const page = join(cfg.out, `${stem}.html`);
    writeFileAtomic(page, withoutRemoteAssets(readFileSync(page, "utf8")));
    let note = "";
    if (cfg.check) {
      const report = await checkHtmlRenders(page, { expectFigures: figureOutputCount(nb) });
      if (!report.ok || report.blockedRequests.length > 0) {
        failed++;
        log(`✗ ${notebook.file}: ${[...report.problems, ...report.blockedRequests.map((u) => `requests ${u}`)].join("; ")}`);
        continue;
      }
      note = `, ${report.figures.length} figures drew offline`;
    }
    pages.push({ notebook, html: `${stem}.html` });
    log(`✓ ${notebook.file} → ${page} (${((performance.now() - started) / 1000).toFixed(0)} s${note})`);
  }
  writeFileAtomic(join(cfg.out, "index.html"), courseIndexHtml(pages));
  log(`notebooks:html: ${pages.length} pages and ${join(cfg.out, "index.html")}${failed > 0 ? `; ${failed} failed` : ""}`);
  return failed > 0 ? 1 : 0;
}

await runCommand(notebooksHtmlCommand);
