/** Number formatting for report tables and console summaries: one place decides how each metric reads. */
import type { MetricField } from "../eval/metrics.js";

/** How a metric is printed: a percentage, a ratio, hours, a count or money. */
export type MetricUnit = "pct" | "ratio" | "hours" | "count" | "usd";

export const METRIC_UNITS: Readonly<Record<MetricField, MetricUnit>> = {
  totalReturn: "pct",
  buyAndHoldReturn: "pct",
  excessReturn: "pct",
  annualisedReturn: "pct",
  annualisedVolatility: "pct",
  sharpe: "ratio",
  sortino: "ratio",
  maxDrawdown: "pct",
  maxDrawdownDurationHours: "hours",
  longestDrawdownHours: "hours",
  calmar: "ratio",
  trades: "count",
  turnedIntoHolds: "count",
  turnover: "ratio",
  feesPaid: "usd",
  averageExposure: "pct",
  winRate: "pct",
  finalValue: "usd",
};

/** Human names of the metrics, in the order of METRIC_FIELDS. */
export const METRIC_LABELS: Readonly<Record<MetricField, string>> = {
  totalReturn: "total return",
  buyAndHoldReturn: "buy-and-hold return",
  excessReturn: "excess over buy-and-hold",
  annualisedReturn: "annualised return",
  annualisedVolatility: "annualised volatility",
  sharpe: "Sharpe (annualised)",
  sortino: "Sortino (annualised)",
  maxDrawdown: "max drawdown",
  maxDrawdownDurationHours: "max drawdown duration (h)",
  longestDrawdownHours: "longest drawdown (h)",
  calmar: "Calmar",
  trades: "trades",
  turnedIntoHolds: "trades turned into holds",
  turnover: "turnover (× mean value)",
  feesPaid: "fees paid (USD)",
  averageExposure: "average exposure",
  winRate: "win rate (exposed hours)",
  finalValue: "final value (USD)",
};

export function formatMetric(unit: MetricUnit, v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  switch (unit) {
    case "pct":
      return `${formatSig(v * 100)}%`;
    case "ratio":
      return formatSig(v);
    case "hours":
      return Math.round(v).toLocaleString("en-US");
    case "count":
      return Math.round(v).toLocaleString("en-US");
    case "usd":
      return v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
}

/** Two decimals for everyday magnitudes, scientific notation for the perfect-foresight kind of numbers. */
function formatSig(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return x.toExponential(2).replace("e+", "e");
  return x.toFixed(2);
}

/** "mean [lo, hi]" for a metric summarised over runs. */
export function formatWithCi(unit: MetricUnit, mean: number | null, lo: number | null, hi: number | null): string {
  const m = formatMetric(unit, mean);
  if (lo === null || hi === null) return m;
  return `${m} [${formatMetric(unit, lo)}, ${formatMetric(unit, hi)}]`;
}

/** A plain-text table with aligned columns (for the console). */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
