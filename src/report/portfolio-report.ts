/**
 * The report of a portfolio run: per window, the equity of the agent's seeds against the equal-weight
 * benchmarks and each asset's buy-and-hold, the agent's weights over time, the metrics table (mean and 95 %
 * interval over seeds for the agent), the per-asset breakdown, the Sharpe tests and the perfect-foresight
 * bound; then the alignment report and the provenance. One offline HTML page plus summary.json, atomically.
 */
import { join } from "node:path";
import { areaFigure, drawdownFigure, escapeHtml, htmlTable, lineFigure, writeHtmlPage, type PageSection } from "../charts/index.js";
import type { AlignmentReport } from "../portfolio/align.js";
import type { PortfolioWindowEvaluation, StrategyRun } from "../portfolio/evaluate.js";
import type { MetricField } from "../eval/metrics.js";
import type { SharpeDifferenceTest } from "../eval/stats.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { claimOutput } from "../util/safe-output.js";
import { REPORT_OUTPUT, type WriteReportOptions } from "./run-report.js";
import { clearTitle } from "./backtest-figures.js";
import { formatMetric, formatWithCi, METRIC_LABELS, METRIC_UNITS, textTable } from "./format.js";
import type { Provenance } from "./provenance.js";

export interface PortfolioReportWindow {
  /** e.g. "out-of-sample (2022-07-01 → 2023-01-01)". */
  readonly label: string;
  readonly evaluation: PortfolioWindowEvaluation;
}

export interface PortfolioReport {
  readonly title: string;
  readonly runName: string;
  readonly windows: readonly PortfolioReportWindow[];
  readonly alignment: AlignmentReport;
  readonly provenance: Provenance;
}

/** The metrics the portfolio tables show, in order (computeMetrics' fields; `excessReturn` is over equal_weight_hold). */
export const PORTFOLIO_TABLE_FIELDS: readonly MetricField[] = ["totalReturn", "excessReturn", "sharpe", "maxDrawdown", "annualisedVolatility", "turnover", "feesPaid", "trades"];

const COLORS: Readonly<Record<string, string>> = { agent: "#1f77b4", equal_weight_hold: "#7f7f7f", perfect_foresight: "#9467bd" };
const color = (name: string, i: number): string => COLORS[name] ?? (name.startsWith("equal_weight_rebalanced") ? "#2ca02c" : ["#ff7f0e", "#8c564b", "#e377c2", "#17becf"][i % 4]!);

/** One row per strategy: the agent as "mean [lo, hi]" over its seeds, then the baselines. */
export function portfolioTableRows(ev: PortfolioWindowEvaluation): { header: string[]; rows: string[][] } {
  const header = ["strategy", ...PORTFOLIO_TABLE_FIELDS.map((f) => (f === "excessReturn" ? "excess vs equal-weight hold" : METRIC_LABELS[f])), "average weights"];
  const rows: string[][] = [];
  const weights = (runs: readonly StrategyRun[]): string =>
    runs[0]!.assets.map((a, k) => `${a.symbol} ${formatMetric("pct", runs.reduce((s, r) => s + r.assets[k]!.averageWeight, 0) / runs.length)}`).join(", ");
  if (ev.agentRuns.length > 0) {
    const s = ev.agentSummary;
    rows.push([
      ev.agentRuns.length > 1 ? `agent (mean of ${ev.agentRuns.length} seeds [95% CI])` : "agent",
      ...PORTFOLIO_TABLE_FIELDS.map((f) => {
        const unit = METRIC_UNITS[f];
        if (!s) return formatMetric(unit, ev.agentRuns[0]!.metrics[f]);
        const m = s.metrics[f];
        return formatWithCi(unit, m.mean, m.ci?.lo ?? null, m.ci?.hi ?? null);
      }),
      weights(ev.agentRuns),
    ]);
  }
  for (const b of ev.baselines) rows.push([b.name, ...PORTFOLIO_TABLE_FIELDS.map((f) => formatMetric(METRIC_UNITS[f], b.metrics[f])), weights([b])]);
  return { header, rows };
}

function sharpeLine(t: SharpeDifferenceTest | null, against: string): string {
  if (t === null) return "";
  return `Sharpe difference agent − ${against} (annualised, first seed): ${t.difference.toFixed(2)} (${t.sharpeA.toFixed(2)} vs ${t.sharpeB.toFixed(2)}), 95% CI [${t.ci.lo.toFixed(2)}, ${t.ci.hi.toFixed(2)}], p = ${t.pValue.toFixed(3)}`;
}

function boundLine(ev: PortfolioWindowEvaluation): string {
  const b = ev.bound;
  if (b === null) return "";
  if (!b.computable) return `perfect-foresight bound: not computed (${b.reason})`;
  return `perfect-foresight bound: ln growth ${b.logGrowth.toFixed(1)} over ${b.combinations.length} weight combinations (exact DP; its path replayed through the env is the perfect_foresight row)`;
}

/** The console summary of all windows. */
export function portfolioSummaryText(windows: readonly PortfolioReportWindow[]): string {
  return windows
    .map((w) => {
      const { header, rows } = portfolioTableRows(w.evaluation);
      const lines = [w.label, textTable(header, rows), sharpeLine(w.evaluation.sharpeVsHold, "equal_weight_hold"), sharpeLine(w.evaluation.sharpeVsRebalanced, "equal_weight_rebalanced"), boundLine(w.evaluation)];
      return lines.filter((l) => l !== "").join("\n");
    })
    .join("\n\n");
}

function assetTableHtml(ev: PortfolioWindowEvaluation): string {
  const strategies = [...(ev.agentRuns.length > 0 ? [{ name: ev.agentRuns.length > 1 ? `agent (mean of ${ev.agentRuns.length})` : "agent", runs: ev.agentRuns }] : []), ...ev.baselines.filter((b) => b.name !== "perfect_foresight").map((b) => ({ name: b.name, runs: [b] }))];
  const rows: string[][] = [];
  for (const s of strategies) {
    s.runs[0]!.assets.forEach((a, k) => {
      const mean = (f: (r: StrategyRun) => number) => s.runs.reduce((acc, r) => acc + f(r), 0) / s.runs.length;
      rows.push([
        s.name,
        a.symbol,
        formatMetric("pct", mean((r) => r.assets[k]!.averageWeight)),
        formatMetric("pct", mean((r) => r.assets[k]!.pnlShare)),
        formatMetric("count", mean((r) => r.assets[k]!.trades)),
        formatMetric("usd", mean((r) => r.assets[k]!.feesPaid)),
      ]);
    });
  }
  return htmlTable(["strategy", "asset", "average weight", "P&L (share of start value)", "legs traded", "fees (USD)"], rows);
}

export function portfolioReportSections(report: PortfolioReport): PageSection[] {
  const sections: PageSection[] = [];
  for (const w of report.windows) {
    const ev = w.evaluation;
    const notes = [sharpeLine(ev.sharpeVsHold, "equal_weight_hold"), sharpeLine(ev.sharpeVsRebalanced, "equal_weight_rebalanced"), boundLine(ev)].filter((l) => l !== "");
    sections.push({ heading: w.label, html: notes.map((l) => `<p>${escapeHtml(l)}</p>`).join("\n") });
    const seeds = ev.agentRuns.slice(1).map((r) => ({ name: "other seeds", x: r.trace.timestamp, y: r.trace.value, color: "#aec7e8", width: 0.8 }));
    const main = [...ev.agentRuns.slice(0, 1), ...ev.baselines.filter((b) => b.name !== "perfect_foresight")];
    sections.push({
      figure: clearTitle(lineFigure([...seeds, ...main.map((r, i) => ({ name: r.name, x: r.trace.timestamp, y: r.trace.value, color: color(r.name, i), width: i === 0 ? 2 : 1.3 }))], { title: `${w.label}: portfolio value`, yTitle: "value (USD)" })),
    });
    const first = ev.agentRuns[0];
    if (first) {
      const K = first.trace.symbols.length;
      const n = first.trace.steps;
      const x = first.trace.timestamp.subarray(0, n);
      const series = first.trace.symbols.map((s, k) => ({ name: s, x, y: Float64Array.from({ length: n }, (_, t) => 100 * first.trace.weights[t * K + k]!) }));
      sections.push({ figure: clearTitle(areaFigure(series, { title: "agent (first seed): weight of each asset", yTitle: "% of value" })) });
    }
    sections.push({ figure: clearTitle(drawdownFigure(main.map((r, i) => ({ name: r.name, value: r.trace.value, x: r.trace.timestamp, color: color(r.name, i) })), { title: "drawdown", yTitle: "%" })) });
    const { header, rows } = portfolioTableRows(ev);
    sections.push({ html: htmlTable(header, rows) });
    sections.push({ html: assetTableHtml(ev) });
  }
  sections.push({ heading: "Data alignment", html: `<pre>${escapeHtml(report.alignment.lines.join("\n"))}</pre>` });
  const p = report.provenance;
  sections.push({
    heading: "Provenance",
    html:
      htmlTable(["", ""], [
        ["command", p.command],
        ["written", p.createdAt],
        ["seeds", p.seeds.join(", ")],
        ["data", p.data.source],
        ["data SHA-256", p.data.sha256],
        ["rows", `${p.data.rows} (${p.data.first} → ${p.data.last})`],
        ...(p.checkpoints ?? []).map((c) => ["checkpoint", c] as [string, string]),
        ...Object.entries(p.versions),
      ]) + `<h3>config</h3><pre>${escapeHtml(JSON.stringify(p.config, null, 2))}</pre>`,
  });
  return sections;
}

/** JSON twin of the report: per window the agent's summary, every baseline's metrics, the tests and the bound. */
export function portfolioReportSummary(report: PortfolioReport): Record<string, unknown> {
  return {
    title: report.title,
    runName: report.runName,
    windows: report.windows.map((w) => portfolioWindowJson(w)),
    alignment: report.alignment,
    provenance: report.provenance,
  };
}

export function portfolioWindowJson(w: PortfolioReportWindow): Record<string, unknown> {
  const ev = w.evaluation;
  const b = ev.bound;
  return {
    label: w.label,
    agent: {
      runs: ev.agentRuns.map((r) => ({ name: r.name, metrics: r.metrics, assets: r.assets })),
      summary: ev.agentSummary,
    },
    baselines: ev.baselines.map((x) => ({ name: x.name, metrics: x.metrics, assets: x.assets })),
    sharpeVsHold: ev.sharpeVsHold,
    sharpeVsRebalanced: ev.sharpeVsRebalanced,
    bound: b === null ? null : b.computable ? { computable: true, logGrowth: b.logGrowth, combinations: b.combinations.length } : b,
  };
}

/**
 * Writes `<reportsDir>/<runName>/report.html` and `summary.json` atomically, into a folder claimed as a report
 * (src/util/safe-output.ts): never into a folder the project did not write; an existing report only with `force`.
 */
export function writePortfolioReport(report: PortfolioReport, reportsDir = "reports", opts: WriteReportOptions = {}): { dir: string; html: string; json: string; replaced: string | null } {
  const dir = join(reportsDir, report.runName);
  const claim = opts.claimed ?? claimOutput(dir, { kind: REPORT_OUTPUT, force: opts.force === true, field: "run" });
  try {
    const html = join(dir, "report.html");
    const json = join(dir, "summary.json");
    writeHtmlPage(html, { title: report.title, sections: portfolioReportSections(report) });
    writeFileAtomic(json, `${JSON.stringify(portfolioReportSummary(report), null, 2)}\n`);
    return { dir, html, json, replaced: claim.replacing };
  } finally {
    if (opts.claimed === undefined) claim.release();
  }
}
