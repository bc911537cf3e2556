/**
 * Report sections of a coached backtest: equity with and without the coach, the guidance timeline under it, the
 * guidance mix and the receiver's counters, and the decision traces (published guidance and impasses).
 */
import { escapeHtml, htmlTable, lineFigure, type PageSection } from "../charts/index.js";
import type { BacktestTrace } from "../eval/backtest.js";
import { computeMetrics } from "../eval/metrics.js";
import type { CoachedBacktest } from "./coached-backtest.js";
import type { DecisionTrace } from "./cycle.js";

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(2)}%`);
const num = (x: number | null): string => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(2));

/** Coach on vs off in one table, with the differences. */
export function coachComparisonRows(off: BacktestTrace, on: BacktestTrace): Array<[string, string, string, string]> {
  const a = computeMetrics(off);
  const b = computeMetrics(on);
  const row = (label: string, x: number | null, y: number | null, f: (v: number | null) => string): [string, string, string, string] => [label, f(x), f(y), x === null || y === null ? "–" : f(y - x)];
  return [
    row("total return", a.totalReturn, b.totalReturn, pct),
    row("Sharpe (annualised)", a.sharpe, b.sharpe, num),
    row("max drawdown", a.maxDrawdown, b.maxDrawdown, pct),
    row("turnover (× value)", a.turnover, b.turnover, num),
    row("trades", a.trades, b.trades, (v) => (v === null ? "–" : String(Math.round(v)))),
    row("fees paid", a.feesPaid, b.feesPaid, num),
  ];
}

export function traceTableHtml(traces: readonly DecisionTrace[], max = 60): string {
  const rows = traces.slice(0, max).map((t) => [
    iso(t.ts),
    t.stateSeq ?? "–",
    t.decision,
    t.chosen ? `${t.chosen.rule} (${t.chosen.source})` : "–",
    t.guidance ? `${t.guidance.guidance} = ${t.guidance.value} v${t.guidance.version}` : t.output,
    t.why,
  ]);
  const more = traces.length > max ? `<p>… and ${traces.length - max} more in the run's decisions.json.</p>` : "";
  return htmlTable(["time (UTC)", "seq", "decision", "chosen", "output", "why"], rows) + more;
}

export function coachReportSections(off: BacktestTrace, coached: CoachedBacktest): PageSection[] {
  const on = coached.trace;
  const ts = on.timestamp.subarray(0, on.steps);
  const mix = Object.entries(coached.mix)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${escapeHtml(k)}: ${v}`)
    .join(", ");
  const r = coached.receiver;
  return [
    {
      heading: "Coach: on vs off (same policy, same seed, same ticks)",
      html:
        htmlTable(["", "coach off", "coach on", "on − off"], coachComparisonRows(off, on)) +
        `<p>Decisions: ${mix}. Impasses: ${coached.impasses}. Guidance published: ${coached.guidance.length}; the trader's receiver applied ${r.applied}, ` +
        `ignored ${r.duplicates + r.oldVersions}, rejected ${r.rejected}.</p>`,
      figure: lineFigure(
        [
          { name: `${off.name} (coach off)`, x: off.timestamp, y: off.value },
          { name: `${on.name}`, x: on.timestamp, y: on.value },
        ],
        { title: "Portfolio value", yTitle: "USD" },
      ),
    },
    {
      heading: "Guidance timeline",
      html: "<p>What was in force on each decision: the exposure-cap multiplier (adjust_risk), the size multiplier (size) and the ticks held by timing guidance. 1 = neutral.</p>",
      figure: lineFigure(
        [
          { name: "exposure cap × (adjust_risk)", x: ts, y: coached.timeline.riskScale },
          { name: "size ×", x: ts, y: coached.timeline.sizeScale },
          { name: "held by timing", x: ts, y: Float64Array.from(coached.timeline.waiting) },
          { name: "coin share held", x: ts, y: on.exposure, dash: "dot" },
        ],
        { title: "Guidance in force", yTitle: "multiplier / share" },
      ),
    },
    {
      heading: "Decision traces (published guidance and impasses)",
      html: traceTableHtml(coached.traces),
    },
  ];
}
