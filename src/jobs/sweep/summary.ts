/**
 * What a sweep says: every finished trial's in- and out-of-sample metrics summarised over its runs (seeds ×
 * folds) with bootstrap intervals (the evaluation module's summariseRuns), ranked by the chosen out-of-sample
 * metric, and, for the number of trials actually tried, the deflated Sharpe ratio of the best trial and the
 * deflated information ratio of the best trial against the benchmark (the evaluation module's
 * deflatedAgainstBenchmark): the probability that its out-of-sample Sharpe ratio (or its excess over the
 * benchmark) beats the best that as many unskilled trials would show by luck.
 *
 * A trial's out-of-sample return series (the DSR's input) is, per fold, the per-bar mean of its seeds' returns
 * (the return of splitting the capital over the seeds), folds concatenated in time order.
 */
import { summariseRuns, type MetricSummary, type SeedSummary } from "../../eval/seeds.js";
import { deflatedAgainstBenchmark, type BestTrialDeflation } from "../../eval/stats.js";
import { periodsPerYear, type BacktestMetrics } from "../../eval/metrics.js";
import type { RANK_METRICS, TrialSpec } from "./spec.js";
import type { TrialResult } from "./trial.js";

export type RankMetric = (typeof RANK_METRICS)[number];

export interface TrialSummary {
  readonly id: string;
  readonly index: number;
  readonly varied: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  readonly folds: number;
  readonly runs: number;
  readonly inSample: SeedSummary;
  readonly outOfSample: SeedSummary;
  /** The benchmark's out-of-sample metrics over the same runs (the same for every seed of a fold). */
  readonly benchmarkOutOfSample: SeedSummary;
  /** Mean over the trial's runs of the rank metric out of sample (null when undefined for every run). */
  readonly rankValue: number | null;
  /** 1-based rank (ties keep the sweep's order); null when the rank metric is undefined. */
  readonly rank: number | null;
  readonly seconds: number;
}

export interface SweepSummary {
  readonly rankMetric: RankMetric;
  /** Finished trials, best first. */
  readonly trials: readonly TrialSummary[];
  readonly failed: readonly { readonly id: string; readonly index: number; readonly varied: Readonly<Record<string, unknown>>; readonly reason: string }[];
  /** Trials that produced out-of-sample returns: the N of the deflated Sharpe ratio. */
  readonly trialsTried: number;
  /** The best trial by out-of-sample Sharpe, deflated for trialsTried (null without a trial). */
  readonly deflated: (BestTrialDeflation & { readonly annualisedSharpe: number; readonly observations: number }) | null;
  /**
   * The deflated information ratio: the same deflation applied to the trials' active returns (trial − benchmark,
   * bar by bar), the best trial being the one with the highest information ratio. Does the best trial beat the
   * benchmark by more than luck over N trials would? (null without a trial).
   */
  readonly deflatedInformation: (BestTrialDeflation & { readonly annualisedRatio: number; readonly observations: number }) | null;
  readonly level: number;
}

export interface SummariseOptions {
  readonly rankMetric?: RankMetric;
  readonly resamples?: number;
  readonly seed?: number;
}

/** A trial's out-of-sample returns: per fold, the per-bar mean over its seeds; folds in order. */
export function trialReturns(result: TrialResult): Float64Array {
  const parts: number[] = [];
  for (const fold of result.folds) {
    const runs = result.runs.filter((r) => r.fold === fold.index);
    const n = Math.max(0, ...runs.map((r) => r.oosReturns.length));
    for (let t = 0; t < n; t++) {
      // A run that ended early (ruin) holds no more returns: the mean is over the runs that still trade.
      let s = 0;
      let c = 0;
      for (const r of runs) {
        const x = r.oosReturns[t];
        if (x !== undefined) {
          s += x;
          c++;
        }
      }
      parts.push(c > 0 ? s / c : 0);
    }
  }
  return Float64Array.from(parts);
}

/** The benchmark's out-of-sample returns over the same bars as trialReturns (the same for every seed of a fold). */
export function trialBenchmarkReturns(result: TrialResult): Float64Array {
  const parts: number[] = [];
  for (const fold of result.folds) {
    const runs = result.runs.filter((r) => r.fold === fold.index);
    const n = Math.max(0, ...runs.map((r) => r.oosReturns.length));
    const bench = runs.reduce<readonly number[]>((b, r) => (r.oosBenchmarkReturns.length > b.length ? r.oosBenchmarkReturns : b), []);
    for (let t = 0; t < n; t++) parts.push(bench[t] ?? 0);
  }
  return Float64Array.from(parts);
}

export function summariseSweep(
  specs: readonly TrialSpec[],
  outcomes: ReadonlyMap<string, { readonly result: TrialResult } | { readonly reason: string }>,
  opts: SummariseOptions = {},
): SweepSummary {
  const rankMetric = opts.rankMetric ?? "sharpe";
  const resamples = opts.resamples ?? 2000;
  const finished: { spec: TrialSpec; result: TrialResult }[] = [];
  const failed: SweepSummary["failed"][number][] = [];
  for (const spec of specs) {
    const o = outcomes.get(spec.id);
    if (o === undefined) continue;
    if ("result" in o) finished.push({ spec, result: o.result });
    else failed.push({ id: spec.id, index: spec.index, varied: spec.varied, reason: o.reason });
  }
  const summaries = finished.map(({ spec, result }, k): TrialSummary => {
    const seed = (opts.seed ?? 0) * 7919 + k;
    const ins = summariseRuns(result.runs.map((r) => r.inSample.agent), { resamples, seed });
    const oos = summariseRuns(result.runs.map((r) => r.outOfSample.agent), { resamples, seed });
    const bench = summariseRuns(result.runs.map((r) => r.outOfSample.benchmark), { resamples, seed });
    return {
      id: spec.id,
      index: spec.index,
      varied: spec.varied,
      seeds: spec.seeds,
      folds: spec.folds.length,
      runs: result.runs.length,
      inSample: ins,
      outOfSample: oos,
      benchmarkOutOfSample: bench,
      rankValue: oos.metrics[rankMetric].mean,
      rank: null,
      seconds: result.seconds,
    };
  });
  const order = summaries
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (b.s.rankValue ?? -Infinity) - (a.s.rankValue ?? -Infinity) || a.s.index - b.s.index);
  const ranked = order.map(({ s }, r) => ({ ...s, rank: s.rankValue === null ? null : r + 1 }));
  const withReturns = finished
    .map(({ spec, result }) => ({ name: spec.id, returns: trialReturns(result), benchmark: trialBenchmarkReturns(result), result }))
    .filter((t) => t.returns.length >= 3);
  let deflated: SweepSummary["deflated"] = null;
  let deflatedInformation: SweepSummary["deflatedInformation"] = null;
  if (withReturns.length > 0) {
    // The evaluation module's pair: the DSR of the trials' own returns and of their returns over the benchmark.
    const d = deflatedAgainstBenchmark(withReturns);
    const annualise = (name: string, perBar: number): { factor: number; observations: number } => {
      const t = withReturns.find((x) => x.name === name)!;
      const periodMs = t.result.runs[0] ? periodOf(t.result.runs[0].outOfSample.agent) : 3_600_000;
      return { factor: perBar * Math.sqrt(periodsPerYear(periodMs)), observations: t.returns.length };
    };
    const s = annualise(d.sharpe.best, d.sharpe.sharpe);
    deflated = { ...d.sharpe, annualisedSharpe: s.factor, observations: s.observations };
    const i = annualise(d.informationRatio.best, d.informationRatio.sharpe);
    deflatedInformation = { ...d.informationRatio, annualisedRatio: i.factor, observations: i.observations };
  }
  return { rankMetric, trials: ranked, failed, trialsTried: withReturns.length, deflated, deflatedInformation, level: 0.95 };
}

/** The bar length behind a metrics record (years and steps give it back). */
function periodOf(m: BacktestMetrics): number {
  return m.steps > 0 && m.years > 0 ? (m.years * 365 * 24 * 3_600_000) / m.steps : 3_600_000;
}

/** "mean [lo, hi]" of a summarised metric, with a formatter. */
export function withInterval(s: MetricSummary, f: (x: number) => string): string {
  if (s.mean === null) return "–";
  return s.ci === null ? f(s.mean) : `${f(s.mean)} [${f(s.ci.lo)}, ${f(s.ci.hi)}]`;
}
