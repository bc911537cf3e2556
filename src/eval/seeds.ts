/**
 * Summaries over K independent runs (training seeds, or sampled backtests of one checkpoint): the mean of
 * every metric with a seeded percentile-bootstrap confidence interval over the runs, and the share of runs
 * that beat buy-and-hold.
 */
import { METRIC_FIELDS, type BacktestMetrics, type MetricField } from "./metrics.js";
import { bootstrapCI, mean, type ConfidenceInterval } from "./stats.js";

export interface MetricSummary {
  /** Runs in which the metric was defined (not null). */
  readonly runs: number;
  readonly mean: number | null;
  /** Sample standard deviation over runs (0 for one run). */
  readonly std: number | null;
  /** Bootstrap interval of the mean over runs; null for fewer than 2 runs. */
  readonly ci: ConfidenceInterval | null;
  readonly min: number | null;
  readonly max: number | null;
}

export interface SeedSummary {
  /** Number of runs summarised. */
  readonly runs: number;
  readonly metrics: Readonly<Record<MetricField, MetricSummary>>;
  /** Share of runs whose total return beat the buy-and-hold return of the same window (excessReturn > 0). */
  readonly beatBuyAndHoldShare: number;
  readonly level: number;
  readonly resamples: number;
}

export interface SeedSummaryOptions {
  /** Coverage of the intervals (default 0.95). */
  readonly level?: number;
  /** Bootstrap resamples (default 2000). */
  readonly resamples?: number;
  /** Seed of the bootstrap (default 0). */
  readonly seed?: number;
}

export function summariseRuns(runs: readonly BacktestMetrics[], opts: SeedSummaryOptions = {}): SeedSummary {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const metrics = {} as Record<MetricField, MetricSummary>;
  METRIC_FIELDS.forEach((field, k) => {
    const xs = runs.map((r) => r[field]).filter((v): v is number => v !== null && Number.isFinite(v));
    if (xs.length === 0) {
      metrics[field] = { runs: 0, mean: null, std: null, ci: null, min: null, max: null };
      return;
    }
    const m = mean(xs);
    const std = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
    // Each metric gets its own bootstrap stream, so adding a metric never changes the others' intervals.
    const ci = xs.length > 1 ? bootstrapCI(xs, mean, { level, resamples, seed: (opts.seed ?? 0) * 1000 + k }) : null;
    metrics[field] = { runs: xs.length, mean: m, std, ci, min: Math.min(...xs), max: Math.max(...xs) };
  });
  const beat = runs.filter((r) => r.excessReturn > 0).length;
  return { runs: runs.length, metrics, beatBuyAndHoldShare: runs.length > 0 ? beat / runs.length : 0, level, resamples };
}
