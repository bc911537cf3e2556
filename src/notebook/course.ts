/**
 * The course: the notebooks in teaching order, what each teaches, what it needs, and how its exercises are laid
 * out (docs/notebooks.md, "Exercises"). Also the transforms that turn an executed notebook into a page for a class
 * (`npm run notebooks:html`): worked solutions folded away, no request to the network.
 */
import { escapeHtml } from "../charts/html-page.js";
import { cellSource, type Notebook, type NotebookCell } from "./notebook-file.js";

export interface CourseNotebook {
  /** File name in notebooks/. */
  readonly file: string;
  readonly title: string;
  /** What it teaches, one sentence. */
  readonly teaches: string;
  /** Minutes it takes to execute on a 2-core machine (kernel start included), roughly. */
  readonly minutes: number;
  /** System services it needs besides the tslab kernel. */
  readonly needs: readonly ("redis")[];
  /** Whether it carries the exercises the course requires (3–5, checked by course.test.ts). */
  readonly exercises: boolean;
}

/** The notebooks in teaching order. A new notebook is added here (the course test fails until it is). */
export const COURSE: readonly CourseNotebook[] = [
  {
    file: "01-data.ipynb",
    title: "The data",
    teaches: "candles, the embedded market and how realistic it is, charts, DataFrame exploration with danfojs, fetching with ccxt, validating a CSV",
    minutes: 1,
    needs: [],
    exercises: true,
  },
  {
    file: "02-normalization.ipynb",
    title: "Normalisation, and a leak",
    teaches: "percentage change against price scaling, the leak of a scaler fitted before the split, features as DataFrame columns",
    minutes: 1,
    needs: [],
    exercises: true,
  },
  {
    file: "03-env-design.ipynb",
    title: "The trading environment",
    teaches: "observations, actions, fills and fees, why the start mixes cash and coins, reward schemes, the vectorised env",
    minutes: 1,
    needs: [],
    exercises: true,
  },
  {
    file: "04-training.ipynb",
    title: "Training the LSTM-PPO agent",
    teaches: "training the article's agent, the default and the hybrid (side + size) presets on a planted trend market where the curves rise, reading the logs (profit, entropy, KL, explained variance), an out-of-sample test, and a custom reward and feature trained end to end",
    minutes: 2,
    needs: [],
    exercises: true,
  },
  {
    file: "05-out-of-sample.ipynb",
    title: "Out of sample",
    teaches: "the article's experiment, baselines, overfitting, seeds, and whether an agent beats holding (the deflated information ratio)",
    minutes: 2,
    needs: [],
    exercises: true,
  },
  {
    file: "06-coach-experiments.ipynb",
    title: "The SOAR coach",
    teaches: "what SOAR is (state, operators, preferences, impasse, chunking), one decision cycle step by step, editing a rule, guidance in a backtest, coach on vs off with intervals",
    minutes: 2,
    needs: [],
    exercises: true,
  },
  {
    file: "07-promote-to-live.ipynb",
    title: "Promote to live",
    teaches: "a checkpoint backtested with the trader's risk limits, replayed by the live trader trade for trade, its journal queried, ppo_state on the bus, the commands for paper and live with what can go wrong, and the dashboard next to a replay",
    minutes: 2,
    needs: [],
    exercises: true,
  },
  {
    file: "08-multi-asset.ipynb",
    title: "Several assets",
    teaches: "two markets on one clock and their missing bars, cash plus a position per asset, target weights and the rebalance, the equal-weight benchmarks (held and rebalanced), a trained allocator out of sample, per-asset P&L",
    minutes: 2,
    needs: [],
    exercises: true,
  },
];

/** The cells of exercise N: `exN`, `exN-answer`, `exN-check`, `exN-solution` (docs/notebooks.md). */
export interface ExerciseCells {
  readonly number: number;
  readonly task: NotebookCell;
  readonly answer?: NotebookCell;
  readonly check?: NotebookCell;
  readonly solution?: NotebookCell;
}

export function exercisesOf(nb: Notebook): ExerciseCells[] {
  const byId = new Map(nb.cells.filter((c) => typeof c.id === "string").map((c) => [c.id!, c]));
  const out: ExerciseCells[] = [];
  for (const c of nb.cells) {
    const m = /^ex(\d+)$/.exec(c.id ?? "");
    if (m === null) continue;
    const n = Number(m[1]);
    const at = (suffix: string) => byId.get(`ex${n}-${suffix}`);
    const answer = at("answer");
    const check = at("check");
    const solution = at("solution");
    out.push({ number: n, task: c, ...(answer ? { answer } : {}), ...(check ? { check } : {}), ...(solution ? { solution } : {}) });
  }
  return out;
}

const tagsOf = (c: NotebookCell): readonly unknown[] => {
  const tags = (c.metadata as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(tags) ? tags : [];
};

export function isSolutionCell(c: NotebookCell): boolean {
  return c.cell_type === "code" && tagsOf(c).includes("solution");
}

/** What is wrong with a notebook's exercises, one sentence each (empty: the layout is right). */
export function exerciseProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  const list = exercisesOf(nb);
  if (list.length < 3 || list.length > 5) problems.push(`expected 3 to 5 exercises (cells ex1, ex2, …), found ${list.length}`);
  list.forEach((e, i) => {
    const where = `exercise ${e.number}`;
    if (e.number !== i + 1) problems.push(`${where}: exercises must be numbered 1, 2, 3, … in order`);
    if (e.task.cell_type !== "markdown") problems.push(`${where}: cell ex${e.number} must be markdown (the task)`);
    if (e.answer?.cell_type !== "code") problems.push(`${where}: needs a code cell ex${e.number}-answer`);
    if (e.check?.cell_type !== "code" || !cellSource(e.check).includes("checkExercise")) problems.push(`${where}: needs a code cell ex${e.number}-check calling checkExercise`);
    const s = e.solution;
    if (s === undefined || s.cell_type !== "code") {
      problems.push(`${where}: needs a code cell ex${e.number}-solution`);
    } else {
      if (!isSolutionCell(s)) problems.push(`${where}: its solution cell must be tagged "solution"`);
      if ((s.metadata as { jupyter?: { source_hidden?: unknown } } | undefined)?.jupyter?.source_hidden !== true) problems.push(`${where}: its solution cell must be collapsed (metadata.jupyter.source_hidden)`);
      if (!/strict:\s*true/.test(cellSource(s))) problems.push(`${where}: its solution must run its check with { strict: true }`);
    }
  });
  return problems;
}

/** Text of a cell's outputs that a page can show: Markdown, plain text, streams (no figures). */
function outputText(c: NotebookCell): string {
  const parts: string[] = [];
  for (const o of c.outputs ?? []) {
    const text = (v: unknown) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");
    if (o["output_type"] === "stream") parts.push(text(o["text"]));
    const data = o["data"] as Record<string, unknown> | undefined;
    if (data !== undefined) parts.push(text(data["text/markdown"] ?? data["text/plain"]));
  }
  return parts.filter((p) => p.trim() !== "").join("\n");
}

/**
 * The notebook with every solution cell turned into a folded block ("Worked solution") holding its code and
 * what it printed, so a page for a class shows the exercises without giving the answers away.
 */
export function foldSolutions(nb: Notebook): Notebook {
  const cells = nb.cells.map((c): NotebookCell => {
    if (!isSolutionCell(c)) return c;
    const out = outputText(c);
    const html =
      `<details class="solution"><summary>Worked solution (click to open)</summary>\n` +
      `<pre><code>${escapeHtml(cellSource(c))}</code></pre>\n` +
      (out === "" ? "" : `<p>It prints:</p>\n<pre>${escapeHtml(out)}</pre>\n`) +
      `</details>`;
    return { cell_type: "markdown", ...(c.id === undefined ? {} : { id: c.id }), metadata: {}, source: html };
  });
  return { ...nb, cells };
}

/** A page with no request to the network: scripts and stylesheets loaded from http(s) URLs are removed. */
export function withoutRemoteAssets(html: string): string {
  return html
    .replace(/<script\b[^>]*\bsrc=["']https?:\/\/[^"']*["'][^>]*>\s*<\/script>/gi, "")
    .replace(/<link\b[^>]*\bhref=["']https?:\/\/[^"']*["'][^>]*>/gi, "");
}

/** The course's index page: the notebooks in order, what each teaches, links to the rendered pages. */
export function courseIndexHtml(pages: readonly { readonly notebook: CourseNotebook; readonly html: string }[]): string {
  const rows = pages
    .map(
      ({ notebook: n, html }, i) =>
        `<tr><td>${i + 1}</td><td><a href="${escapeHtml(html)}">${escapeHtml(n.title)}</a></td><td>${escapeHtml(n.teaches)}</td><td>${n.exercises ? "yes" : "–"}</td></tr>`,
    )
    .join("\n");
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>DRL trading lab: the course</title>\n` +
    `<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2933}` +
    `table{border-collapse:collapse}td,th{border:1px solid #e4e7eb;padding:6px 10px;text-align:left;vertical-align:top}</style></head>\n` +
    `<body><h1>DRL trading lab: the course</h1>\n<p>Rendered notebooks with their outputs and interactive figures; they open offline. ` +
    `Worked solutions are folded away under each exercise.</p>\n` +
    `<table><tr><th></th><th>notebook</th><th>what it teaches</th><th>exercises</th></tr>\n${rows}\n</table></body></html>\n`
  );
}

/** The course table of notebooks/README.md (a generated block, checked by course.test.ts). */
export function courseTableMarkdown(course: readonly CourseNotebook[] = COURSE): string {
  return [
    "| # | notebook | what it teaches | runs in | needs | exercises |",
    "| ---: | --- | --- | --- | --- | --- |",
    ...course.map(
      (n, i) =>
        `| ${i + 1} | [${n.file.replace(/\.ipynb$/, "")}](${n.file}): ${n.title} | ${n.teaches} | about ${n.minutes} min | ${n.needs.length === 0 ? "the tslab kernel" : `the tslab kernel, ${n.needs.join(", ")}`} | ${n.exercises ? "yes, with checks and worked solutions" : "not yet"} |`,
    ),
  ].join("\n");
}
