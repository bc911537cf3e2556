/**
 * The report of a training or backtest run: `reports/<run>/report.html`, one self-contained offline page
 * (plotly.js inlined, no network), plus `summary.json` with the same numbers for machines. Both are written
 * atomically.
 *
 * Contents: training curves (when a metrics JSONL exists next to the checkpoint); per window (in-sample,
 * out-of-sample, …) the equity against the baselines, the trades over the price, the coins held, the
 * drawdowns, the metrics table with confidence intervals over seeds, the deflated information ratio against
 * buy-and-hold (the headline) next to the deflated Sharpe ratio, the Sharpe-difference test; then
 * free sections (walk-forward, deflated Sharpe); and the run's config, seeds, data hash and versions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml, htmlTable, writeHtmlPage, type PageSection, type PageSpec } from "../charts/index.js";
import type { BacktestTrace } from "../eval/backtest.js";
import { METRIC_FIELDS, type BacktestMetrics } from "../eval/metrics.js";
import type { PerfectForesightResult } from "../eval/perfect-foresight.js";
import type { SeedSummary } from "../eval/seeds.js";
import type { SharpeDifferenceTest } from "../eval/stats.js";
import type { WindowEvaluation } from "../eval/evaluate.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { checkOutput, claimOutput, type CheckedOutput, type ClaimedOutput, type OutputKind } from "../util/safe-output.js";
import { clearTitle, drawdownsFigure, equityFigure, holdingsFigure, tradesFigure } from "./backtest-figures.js";
import { formatMetric, formatWithCi, METRIC_LABELS, METRIC_UNITS } from "./format.js";
import { deflationHtml, deflationJson, type DeflationPair } from "./deflation.js";
import type { Provenance } from "./provenance.js";
import { trainingFigures, type TrainingLog } from "./training-log.js";

/** One strategy's result on a window: a trace to draw, its metrics, and (over seeds) their summary. */
export interface StrategyResult {
  readonly name: string;
  readonly trace: BacktestTrace;
  readonly metrics: BacktestMetrics;
  /** Summary over K runs (seeds); the table then shows "mean [lo, hi]". */
  readonly summary?: SeedSummary;
}

export interface ReportWindow {
  /** e.g. "in-sample (2018-05-06 → 2019-06-27)". */
  readonly label: string;
  /** The strategy the window is about (the agent), or null when only baselines ran. */
  readonly subject: StrategyResult | null;
  /** Baselines on the same window, same fees. */
  readonly baselines: readonly StrategyResult[];
  /** The agent's other seeds (drawn thin on the equity chart). */
  readonly otherSeeds?: readonly BacktestTrace[];
  /** The perfect-foresight DP result, for its bound and method. */
  readonly bound?: PerfectForesightResult | null;
  /** Sharpe of the subject against buy-and-hold. */
  readonly sharpeTest?: SharpeDifferenceTest | null;
  /** Deflated information ratio against buy-and-hold (the headline) and deflated Sharpe ratio of the subject's runs. */
  readonly deflation?: DeflationPair | null;
  /** Extra sentences under the window's heading (trusted HTML). */
  readonly notesHtml?: string;
}

export interface RunReport {
  readonly title: string;
  /** Folder name under reports/. */
  readonly runName: string;
  /** One or two sentences under the title (trusted HTML). */
  readonly introHtml?: string;
  readonly trainingLog?: TrainingLog | null;
  readonly windows: readonly ReportWindow[];
  /** Further sections (walk-forward table, deflated Sharpe, …), drawn after the windows. */
  readonly extraSections?: readonly PageSection[];
  readonly provenance: Provenance;
}

/** The metrics table of a window: one row per metric, one column per strategy. */
export function metricsTableHtml(window: ReportWindow): string {
  const cols = [...(window.subject ? [window.subject] : []), ...window.baselines];
  const header = ["metric", ...cols.map((c) => (c.summary ? `${c.name} (mean of ${c.summary.runs} [${Math.round(c.summary.level * 100)}% CI])` : c.name))];
  const rows = METRIC_FIELDS.map((f) => [
    METRIC_LABELS[f],
    ...cols.map((c) => {
      const unit = METRIC_UNITS[f];
      if (!c.summary) return formatMetric(unit, c.metrics[f]);
      const s = c.summary.metrics[f];
      return formatWithCi(unit, s.mean, s.ci?.lo ?? null, s.ci?.hi ?? null);
    }),
  ]);
  const withShare = cols.filter((c) => c.summary);
  if (withShare.length > 0) {
    rows.push(["runs that beat buy-and-hold", ...cols.map((c) => (c.summary ? `${Math.round(c.summary.beatBuyAndHoldShare * 100)}% of ${c.summary.runs}` : "–"))]);
  }
  return htmlTable(header, rows);
}

function sharpeTestHtml(t: SharpeDifferenceTest, subject: string): string {
  return (
    `<p>Sharpe difference, ${escapeHtml(subject)} − buy-and-hold (annualised): <b>${t.difference.toFixed(2)}</b> ` +
    `(${t.sharpeA.toFixed(2)} vs ${t.sharpeB.toFixed(2)}), ${Math.round(t.ci.level * 100)}% CI [${t.ci.lo.toFixed(2)}, ${t.ci.hi.toFixed(2)}], ` +
    `two-sided p = ${t.pValue.toFixed(3)} (paired stationary bootstrap of hourly returns, mean block ${t.meanBlock} h, ${t.resamples} resamples).</p>`
  );
}

function boundHtml(b: PerfectForesightResult, realised: BacktestTrace | undefined): string {
  const method = b.method === "levels" ? "exact DP over the reachable exposure levels" : `DP over a grid of ${b.gridSize} coin shares (an approximation)`;
  const real = realised ? `; its path replayed through the env (minimum-trade thresholds included) ends at ${formatMetric("pct", realised.value[realised.steps]! / realised.value[0]! - 1)}` : "";
  return `<p>Perfect-foresight upper bound: ${formatMetric("pct", b.totalReturn)} (${method})${real}. It is hidden in the equity chart (click its legend entry): it dwarfs every real strategy.</p>`;
}

function provenanceHtml(p: Provenance): string {
  const rows: [string, string][] = [
    ["command", p.command],
    ["written", p.createdAt],
    ["seeds", p.seeds.join(", ")],
    ["data", p.data.source],
    ["data SHA-256", p.data.sha256],
    ["data rows", `${p.data.rows} (${p.data.first} → ${p.data.last})`],
    ...(p.checkpoints && p.checkpoints.length > 0 ? [["checkpoints", p.checkpoints.join(", ")] as [string, string]] : []),
    ...Object.entries(p.versions).map(([k, v]) => [k, v] as [string, string]),
  ];
  return `${htmlTable(["", ""], rows)}\n<h3>config</h3>\n<pre>${escapeHtml(JSON.stringify(p.config, null, 2))}</pre>`;
}

/** The page spec of a run report (exposed for tests and notebooks). */
export function runReportPage(report: RunReport): PageSpec {
  const sections: PageSection[] = [];
  if (report.trainingLog) {
    const figs = trainingFigures(report.trainingLog);
    const bad = report.trainingLog.badLines.length > 0 ? ` ${report.trainingLog.badLines.length} unreadable line(s): ${report.trainingLog.badLines.slice(0, 10).join(", ")}.` : "";
    sections.push({ heading: "Training", html: `<p>${report.trainingLog.rows} log lines from <code>${escapeHtml(report.trainingLog.path)}</code>.${escapeHtml(bad)}</p>` });
    for (const f of figs) sections.push({ figure: f });
  }
  for (const w of report.windows) {
    const subject = w.subject;
    const byName = new Map(w.baselines.map((b) => [b.name, b]));
    const main = subject ?? w.baselines.find((b) => b.name.startsWith("ma_crossover")) ?? w.baselines[0];
    let html = w.notesHtml ?? "";
    if (w.deflation && subject) html += deflationHtml(w.deflation, subject.name);
    if (w.sharpeTest && subject) html += sharpeTestHtml(w.sharpeTest, subject.name);
    if (w.bound) html += boundHtml(w.bound, byName.get("perfect_foresight")?.trace);
    sections.push({ heading: w.label, html });
    const runs = [...(subject ? [subject.trace] : []), ...w.baselines.map((b) => b.trace)];
    sections.push({ figure: equityFigure({ runs, extraRuns: w.otherSeeds ?? [], hiddenNames: ["perfect_foresight"], title: `${w.label}: portfolio value` }) });
    if (main) {
      sections.push({ figure: tradesFigure(main.trace) });
      sections.push({ figure: holdingsFigure(main.trace) });
    }
    sections.push({ figure: drawdownsFigure(runs.filter((r) => r.name !== "perfect_foresight")) });
    sections.push({ html: metricsTableHtml(w) });
  }
  sections.push(...(report.extraSections ?? []));
  sections.push({ heading: "Provenance", html: provenanceHtml(report.provenance) });
  return {
    title: report.title,
    ...(report.introHtml === undefined ? {} : { intro: report.introHtml }),
    sections: sections.map((s) => (s.figure === undefined ? s : { ...s, figure: clearTitle(s.figure) })),
  };
}

/** JSON twin of the report: every window's metrics (and summaries), the bound, the tests, the provenance. */
export function runReportSummary(report: RunReport): Record<string, unknown> {
  return {
    format: REPORT_FORMAT,
    title: report.title,
    runName: report.runName,
    windows: report.windows.map((w) => ({
      label: w.label,
      subject: w.subject ? { name: w.subject.name, metrics: w.subject.metrics, summary: w.subject.summary ?? null } : null,
      baselines: w.baselines.map((b) => ({ name: b.name, metrics: b.metrics })),
      bound: w.bound ? { method: w.bound.method, totalReturn: w.bound.totalReturn, logGrowth: w.bound.logGrowth, gridSize: w.bound.gridSize } : null,
      sharpeTest: w.sharpeTest ?? null,
      deflation: w.deflation ? deflationJson(w.deflation) : null,
    })),
    provenance: report.provenance,
  };
}

export interface WrittenReport {
  readonly dir: string;
  readonly html: string;
  readonly json: string;
  /** The report this one replaced (described), or null. */
  readonly replaced: string | null;
}

/** Marks summary.json as this project's (with the title and provenance fields of older reports). */
export const REPORT_FORMAT = "drl-trading-lab/run-report";
/** The files a report folder holds. */
export const REPORT_FILES = ["report.html", "summary.json", "trace.csv"] as const;

/** What a folder holds if it is one of this project's reports, else null. */
export function describeReport(dir: string): string | null {
  try {
    const s = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
    const mine = s["format"] === REPORT_FORMAT || (typeof s["title"] === "string" && typeof s["provenance"] === "object" && s["provenance"] !== null);
    if (!mine) return null;
    const created = (s["provenance"] as { createdAt?: unknown } | null)?.createdAt;
    return `a report ("${String(s["title"])}"${typeof created === "string" ? `, written ${created}` : ""})`;
  } catch {
    return null;
  }
}

/** A report folder as an output (src/util/safe-output.ts). */
export const REPORT_OUTPUT: OutputKind = { name: "report", type: "folder", entries: REPORT_FILES, describe: describeReport };

/** Checks, before any work, that `<reportsDir>/<runName>` may be written (`field`: the flag naming it). */
export function checkReportOutput(reportsDir: string, runName: string, force: boolean, field = "run"): CheckedOutput {
  return checkOutput(join(reportsDir, runName), { kind: REPORT_OUTPUT, force, field });
}

/** Claims (checks and locks) `<reportsDir>/<runName>` for a job that writes its report at the end. */
export function claimReportOutput(reportsDir: string, runName: string, force: boolean, field = "run"): ClaimedOutput {
  return claimOutput(join(reportsDir, runName), { kind: REPORT_OUTPUT, force, field });
}

export interface WriteReportOptions {
  /** Replace an existing report of this project (never anything else). */
  readonly force?: boolean;
  /** The folder, already claimed by the job (claimReportOutput); the job releases it. */
  readonly claimed?: ClaimedOutput;
}

/**
 * Writes `<reportsDir>/<runName>/report.html` and `summary.json`, atomically. The folder is claimed first
 * (unless the job did): a folder that is not this project's report is never written into, an existing
 * report is replaced only with `force`.
 */
export function writeRunReport(report: RunReport, reportsDir = "reports", opts: WriteReportOptions = {}): WrittenReport {
  const dir = join(reportsDir, report.runName);
  const claim = opts.claimed ?? claimOutput(dir, { kind: REPORT_OUTPUT, force: opts.force === true, field: "run" });
  try {
    const html = join(dir, "report.html");
    const json = join(dir, "summary.json");
    writeHtmlPage(html, runReportPage(report));
    writeFileAtomic(json, `${JSON.stringify(runReportSummary(report), null, 2)}\n`);
    return { dir, html, json, replaced: claim.replacing };
  } finally {
    if (opts.claimed === undefined) claim.release();
  }
}

/** A report window from an evaluation: the agent's first run as the subject, summarised over all its runs. */
export function reportWindowFrom(label: string, ev: WindowEvaluation, opts: { readonly subjectName?: string; readonly notesHtml?: string } = {}): ReportWindow {
  const first = ev.agentRuns[0];
  const subject: StrategyResult | null =
    first === undefined
      ? null
      : {
          name: opts.subjectName ?? first.name,
          trace: first,
          metrics: ev.agentMetrics[0]!,
          ...(ev.agentSummary ? { summary: ev.agentSummary } : {}),
        };
  return {
    label,
    subject,
    baselines: ev.baselineMetrics.map((b) => ({ name: b.name, trace: b.trace, metrics: b.metrics })),
    otherSeeds: ev.agentRuns.slice(1),
    bound: ev.baselines.bound,
    sharpeTest: ev.sharpeTest,
    deflation: ev.deflation,
    ...(opts.notesHtml === undefined ? {} : { notesHtml: opts.notesHtml }),
  };
}
