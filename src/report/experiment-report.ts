/** Turns an experiment's windows into a run report and a console summary table. */
import type { WindowResult } from "../eval/experiment.js";
import type { BacktestMetrics } from "../eval/metrics.js";
import { deflationText } from "./deflation.js";
import { formatMetric, formatWithCi, textTable } from "./format.js";
import type { Provenance } from "./provenance.js";
import { reportWindowFrom, type RunReport } from "./run-report.js";
import type { TrainingLog } from "./training-log.js";
import type { PageSection } from "../charts/index.js";

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

export interface ExperimentReportInput {
  readonly title: string;
  readonly runName: string;
  readonly introHtml?: string;
  readonly results: readonly WindowResult[];
  readonly provenance: Provenance;
  readonly trainingLog?: TrainingLog | null;
  /** Name of the agent in tables and legends (default "agent"). */
  readonly subjectName?: string;
  readonly extraSections?: readonly PageSection[];
}

export function experimentReport(input: ExperimentReportInput): RunReport {
  return {
    title: input.title,
    runName: input.runName,
    ...(input.introHtml === undefined ? {} : { introHtml: input.introHtml }),
    trainingLog: input.trainingLog ?? null,
    windows: input.results.map((r) =>
      reportWindowFrom(`${r.window.label} (${isoDay(r.first)} → ${isoDay(r.last)} UTC, ${r.model.market.lastRow - r.model.market.firstRow} steps)`, r.evaluation, {
        subjectName: input.subjectName ?? "agent",
      }),
    ),
    ...(input.extraSections === undefined ? {} : { extraSections: input.extraSections }),
    provenance: input.provenance,
  };
}

/** Columns of the console summary. */
const SUMMARY_COLUMNS: ReadonlyArray<{ readonly key: keyof BacktestMetrics; readonly label: string; readonly unit: "pct" | "ratio" | "count" | "usd" }> = [
  { key: "totalReturn", label: "return", unit: "pct" },
  { key: "excessReturn", label: "vs B&H", unit: "pct" },
  { key: "sharpe", label: "Sharpe", unit: "ratio" },
  { key: "maxDrawdown", label: "max DD", unit: "pct" },
  { key: "trades", label: "trades", unit: "count" },
  { key: "feesPaid", label: "fees", unit: "usd" },
];

/** One plain-text table per window: the agent (mean [CI] over its runs) and every baseline. */
export function summaryText(results: readonly WindowResult[], subjectName = "agent"): string {
  const blocks: string[] = [];
  for (const r of results) {
    const ev = r.evaluation;
    const rows: string[][] = [];
    if (ev.agentRuns.length > 0) {
      const s = ev.agentSummary;
      rows.push([
        s ? `${subjectName} (${s.runs} runs)` : subjectName,
        ...SUMMARY_COLUMNS.map((c) => {
          if (!s) return formatMetric(c.unit, ev.agentMetrics[0]![c.key] as number | null);
          const m = s.metrics[c.key as keyof typeof s.metrics];
          return formatWithCi(c.unit, m.mean, m.ci?.lo ?? null, m.ci?.hi ?? null);
        }),
      ]);
    }
    for (const b of ev.baselineMetrics) rows.push([b.name, ...SUMMARY_COLUMNS.map((c) => formatMetric(c.unit, b.metrics[c.key] as number | null))]);
    const head = `${r.window.label}: ${isoDay(r.first)} → ${isoDay(r.last)} UTC`;
    const beat = ev.agentSummary ? `\n${Math.round(ev.agentSummary.beatBuyAndHoldShare * 100)}% of ${subjectName} runs beat buy-and-hold.` : "";
    const test = ev.sharpeTest
      ? `\nSharpe ${subjectName} − B&H = ${ev.sharpeTest.difference.toFixed(2)} [${ev.sharpeTest.ci.lo.toFixed(2)}, ${ev.sharpeTest.ci.hi.toFixed(2)}], p = ${ev.sharpeTest.pValue.toFixed(3)}`
      : "";
    const deflated = ev.deflation ? `\n${deflationText(ev.deflation, subjectName)}` : "";
    blocks.push(`${head}\n${textTable(["strategy", ...SUMMARY_COLUMNS.map((c) => c.label)], rows)}${beat}${deflated}${test}`);
  }
  return blocks.join("\n\n");
}
