/**
 * The sweep's one ranked table (console and table.txt), its report page (report.html) and summary.json, from a
 * SweepSummary. Numbers are formatted by the report module's formatters, as every other report.
 */
import { baseLayout, escapeHtml, htmlTable, markersTrace, type Figure, type PageSection } from "../../charts/index.js";
import { formatMetric, textTable } from "../../report/format.js";
import type { MetricSummary } from "../../eval/seeds.js";
import type { SweepSummary, TrialSummary } from "./summary.js";

const pct = (x: number): string => formatMetric("pct", x);
const ratio = (x: number): string => formatMetric("ratio", x);

function cell(s: MetricSummary, f: (x: number) => string): string {
  if (s.mean === null) return "–";
  return s.ci === null ? f(s.mean) : `${f(s.mean)} [${f(s.ci.lo)}, ${f(s.ci.hi)}]`;
}

function value(v: unknown): string {
  const s = typeof v === "number" ? String(Number.isInteger(v) ? v : +v.toPrecision(4)) : typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

export function sweepTable(summary: SweepSummary): { header: string[]; rows: string[][] } {
  const fields = [...new Set(summary.trials.flatMap((t) => Object.keys(t.varied)))];
  const m = summary.rankMetric;
  const rankFormat = m === "sharpe" || m === "sortino" || m === "calmar" ? ratio : pct;
  const header = [
    "rank",
    "trial",
    ...fields,
    `OOS ${m} (mean [95% CI])`,
    "OOS return",
    "OOS excess vs benchmark",
    "benchmark OOS return",
    "IS Sharpe",
    "OOS max drawdown",
    "runs",
  ];
  const rows = summary.trials.map((t: TrialSummary) => [
    t.rank === null ? "–" : String(t.rank),
    t.id,
    ...fields.map((f) => (f in t.varied ? value(t.varied[f]) : "")),
    cell(t.outOfSample.metrics[m], rankFormat),
    cell(t.outOfSample.metrics.totalReturn, pct),
    cell(t.outOfSample.metrics.excessReturn, pct),
    cell(t.benchmarkOutOfSample.metrics.totalReturn, pct),
    cell(t.inSample.metrics.sharpe, ratio),
    cell(t.outOfSample.metrics.maxDrawdown, pct),
    String(t.runs),
  ]);
  return { header, rows };
}

export function deflationLines(summary: SweepSummary): string[] {
  const d = summary.deflated;
  const lines = [`${summary.trials.length} trial(s) finished, ${summary.failed.length} failed; ranked by out-of-sample ${summary.rankMetric}.`];
  if (d !== null) {
    lines.push(
      `best out-of-sample Sharpe: ${d.best}, ${d.annualisedSharpe.toFixed(2)} annualised (${d.sharpe.toPrecision(3)} per bar over ${d.observations} bars, seeds averaged).`,
      `deflated Sharpe ratio for N = ${d.trials} trial(s) tried: ${d.dsr.toFixed(3)} (the probability that its true Sharpe beats ${d.sr0.toPrecision(3)} per bar, the expected best of ${d.trials} unskilled trials; without the correction, P(true Sharpe > 0) = ${d.psrVsZero.toFixed(3)}).`,
    );
  }
  const di = summary.deflatedInformation;
  if (di !== null) {
    lines.push(
      `against the benchmark: best information ratio ${di.best}, ${Number.isFinite(di.annualisedRatio) ? di.annualisedRatio.toFixed(2) : "–"} annualised; deflated for N = ${di.trials}: ${Number.isFinite(di.dsr) ? di.dsr.toFixed(3) : "–"} (the probability that it beats the benchmark by more than the best of ${di.trials} unskilled trials would by luck).`,
    );
  }
  for (const f of summary.failed) lines.push(`failed: ${f.id} (trial ${f.index}): ${f.reason}`);
  return lines;
}

export function sweepText(summary: SweepSummary): string {
  const { header, rows } = sweepTable(summary);
  return [textTable(header, rows), "", ...deflationLines(summary)].join("\n");
}

/** In-sample against out-of-sample Sharpe, one point per trial: skill carries over only if the points rise. */
function overfitFigure(summary: SweepSummary): Figure {
  const pts = summary.trials.filter((t) => t.inSample.metrics.sharpe.mean !== null && t.outOfSample.metrics.sharpe.mean !== null);
  const layout = baseLayout({ title: "trials: in-sample vs out-of-sample Sharpe (mean over runs)", xTitle: "in-sample Sharpe", yTitle: "out-of-sample Sharpe", xType: "linear" });
  return {
    data: [
      {
        ...markersTrace({ name: "trial", x: pts.map((t) => t.inSample.metrics.sharpe.mean!), y: pts.map((t) => t.outOfSample.metrics.sharpe.mean!) }),
        text: pts.map((t) => t.id),
      },
    ],
    layout,
  };
}

export function sweepReportSections(summary: SweepSummary, provenance: Readonly<Record<string, unknown>>): PageSection[] {
  const { header, rows } = sweepTable(summary);
  return [
    { heading: "Trials, ranked", html: htmlTable(header, rows) + deflationLines(summary).map((l) => `<p>${escapeHtml(l)}</p>`).join("\n") },
    { figure: overfitFigure(summary) },
    { heading: "Provenance", html: `<pre>${escapeHtml(JSON.stringify(provenance, null, 2))}</pre>` },
  ];
}
