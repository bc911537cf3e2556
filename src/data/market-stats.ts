import type { Candles } from "./candles.js";
import { TIMEFRAME_MS } from "./candles.js";
import { findGaps } from "./gaps.js";

/**
 * Summary statistics of one candle series, chosen to say whether a series "looks like" hourly BTC: how wide
 * the hourly moves are, how fat their tails, how much volatility clusters, how deep the drawdowns run.
 * Used to calibrate the embedded synthetic market against real data (docs/market.md) and by
 * `npm run market-stats`.
 *
 * Conventions, once for every field below:
 * - r_t = ln(close_t / close_{t−1}) for consecutive rows t = 1 … n−1 (a gap in the series is stepped over:
 *   the return spans the gap; `missingBars` says how much that matters).
 * - x̄ is the mean of the returns, m_k = (1/N) Σ (r_t − x̄)^k their k-th central moment (N returns).
 * - Undefined figures (too few rows for a lag, zero variance) are NaN.
 */
export interface MarketStats {
  /** Rows in the series. */
  readonly bars: number;
  /** Open time of the first bar, ISO UTC ("" when empty). */
  readonly firstIso: string;
  /** Open time of the last bar, ISO UTC ("" when empty). */
  readonly lastIso: string;
  /** Bars missing inside the series (holes between consecutive timestamps), per the series' timeframe. */
  readonly missingBars: number;
  /** Close of the first bar. */
  readonly firstClose: number;
  /** Close of the last bar. */
  readonly lastClose: number;
  /** lastClose / firstClose − 1. */
  readonly totalReturn: number;
  /** x̄, the mean log return per bar. */
  readonly meanLogReturn: number;
  /** Sample standard deviation of the log returns: √(Σ (r_t − x̄)² / (N − 1)). */
  readonly stdLogReturn: number;
  /** stdLogReturn × √(bars per year), with 365 × 24 one-hour bars a year (scaled for other timeframes). */
  readonly annualisedVol: number;
  /** Skewness m_3 / m_2^{3/2} (population moments; 0 for a symmetric distribution). */
  readonly skew: number;
  /** Excess kurtosis m_4 / m_2² − 3 (0 for a normal distribution; > 0 means fat tails). */
  readonly excessKurtosis: number;
  /**
   * Sample autocorrelation of the returns at lag 1:
   * ρ(k) = Σ_{t=1}^{N−k} (r_t − x̄)(r_{t+k} − x̄) / Σ_{t=1}^{N} (r_t − x̄)².
   */
  readonly acfReturnLag1: number;
  /** ρ(1) of the absolute returns |r_t| (same formula with |r| and its own mean): volatility clustering. */
  readonly acfAbsReturnLag1: number;
  /** ρ(24) of |r_t|: one day apart (clustering plus any time-of-day pattern). */
  readonly acfAbsReturnLag24: number;
  /** ρ(168) of |r_t|: one week apart (the long memory of volatility). */
  readonly acfAbsReturnLag168: number;
  /** Share of returns with |r_t − x̄| > 3 × stdLogReturn (a normal distribution gives 0.27 %). */
  readonly tailShare3Sigma: number;
  /** Largest fall of the close from its running peak, as a fraction of that peak (0 … 1). */
  readonly maxDrawdown: number;
  /** Open time (ISO) of the peak before the largest drawdown ("" when there is no drawdown). */
  readonly maxDrawdownPeakIso: string;
  /** Open time (ISO) of the bar where the largest drawdown bottoms out ("" when there is no drawdown). */
  readonly maxDrawdownTroughIso: string;
  /** Hours from that peak until the close first regains it, or until the last bar when it never does. */
  readonly maxDrawdownDurationHours: number;
  /** Whether the close regained the peak of the largest drawdown before the series ended. */
  readonly maxDrawdownRecovered: boolean;
  /** Mean intrabar range (high − low) / open × 100, in percent. */
  readonly meanRangePct: number;
  /** Pearson correlation between volume_t and |r_t| over t = 1 … n−1 (volume rises with the move). */
  readonly volumeAbsReturnCorr: number;
}

const HOUR_MS = 3_600_000;
const HOURS_PER_YEAR = 365 * 24;

/** The figures of {@link MarketStats}, computed with plain loops (clarity over speed: O(n) anyway). */
export function marketStats(candles: Candles): MarketStats {
  const n = candles.length;
  const close = candles.close;
  const ts = candles.timestamp;
  const barMs = TIMEFRAME_MS[candles.meta.timeframe] ?? HOUR_MS;

  const returns = new Float64Array(Math.max(0, n - 1));
  for (let t = 1; t < n; t++) returns[t - 1] = Math.log(close[t]! / close[t - 1]!);
  const absReturns = returns.map(Math.abs);
  const N = returns.length;

  const mean = meanOf(returns);
  const m2 = centralMoment(returns, mean, 2);
  const std = N >= 2 ? Math.sqrt((m2 * N) / (N - 1)) : Number.NaN;

  let tail = 0;
  for (let i = 0; i < N; i++) if (Math.abs(returns[i]! - mean) > 3 * std) tail++;

  const dd = maxDrawdownOf(close);

  let rangeSum = 0;
  for (let t = 0; t < n; t++) rangeSum += ((candles.high[t]! - candles.low[t]!) / candles.open[t]!) * 100;

  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    bars: n,
    firstIso: n > 0 ? iso(ts[0]!) : "",
    lastIso: n > 0 ? iso(ts[n - 1]!) : "",
    missingBars: findGaps(candles, barMs).missingBars,
    firstClose: n > 0 ? close[0]! : Number.NaN,
    lastClose: n > 0 ? close[n - 1]! : Number.NaN,
    totalReturn: n > 0 ? close[n - 1]! / close[0]! - 1 : Number.NaN,
    meanLogReturn: mean,
    stdLogReturn: std,
    annualisedVol: std * Math.sqrt((HOURS_PER_YEAR * HOUR_MS) / barMs),
    skew: centralMoment(returns, mean, 3) / Math.pow(m2, 1.5),
    excessKurtosis: centralMoment(returns, mean, 4) / (m2 * m2) - 3,
    acfReturnLag1: autocorrelation(returns, 1),
    acfAbsReturnLag1: autocorrelation(absReturns, 1),
    acfAbsReturnLag24: autocorrelation(absReturns, 24),
    acfAbsReturnLag168: autocorrelation(absReturns, 168),
    tailShare3Sigma: N > 0 ? tail / N : Number.NaN,
    maxDrawdown: dd.depth,
    maxDrawdownPeakIso: dd.depth > 0 ? iso(ts[dd.peak]!) : "",
    maxDrawdownTroughIso: dd.depth > 0 ? iso(ts[dd.trough]!) : "",
    maxDrawdownDurationHours: dd.depth > 0 ? (ts[dd.end]! - ts[dd.peak]!) / HOUR_MS : 0,
    maxDrawdownRecovered: dd.recovered,
    meanRangePct: n > 0 ? rangeSum / n : Number.NaN,
    volumeAbsReturnCorr: pearson(candles.volume.subarray(1), absReturns),
  };
}

function meanOf(x: ArrayLike<number>): number {
  if (x.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

function centralMoment(x: ArrayLike<number>, mean: number, k: number): number {
  if (x.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.pow(x[i]! - mean, k);
  return s / x.length;
}

/** Sample autocorrelation ρ(k) as defined on {@link MarketStats.acfReturnLag1}; NaN when k ≥ N or no variance. */
export function autocorrelation(x: ArrayLike<number>, lag: number): number {
  const N = x.length;
  if (!(lag >= 1) || lag >= N) return Number.NaN;
  const mean = meanOf(x);
  let num = 0;
  let den = 0;
  for (let i = 0; i < N; i++) {
    const d = x[i]! - mean;
    den += d * d;
    if (i + lag < N) num += d * (x[i + lag]! - mean);
  }
  return den > 0 ? num / den : Number.NaN;
}

/** Pearson correlation of two equally long series; NaN when either has no variance. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const N = Math.min(x.length, y.length);
  if (N < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < N; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= N;
  my /= N;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < N; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

interface DrawdownEpisode {
  /** Depth as a fraction of the peak. */
  readonly depth: number;
  readonly peak: number;
  readonly trough: number;
  /** First row at or after the trough whose close ≥ the peak's close, or the last row. */
  readonly end: number;
  readonly recovered: boolean;
}

function maxDrawdownOf(close: Float64Array): DrawdownEpisode {
  const n = close.length;
  let peak = 0;
  let best: { depth: number; peak: number; trough: number } = { depth: 0, peak: 0, trough: 0 };
  for (let t = 0; t < n; t++) {
    if (close[t]! > close[peak]!) peak = t;
    const depth = 1 - close[t]! / close[peak]!;
    if (depth > best.depth) best = { depth, peak, trough: t };
  }
  if (best.depth === 0 || n === 0) return { ...best, end: 0, recovered: false };
  const level = close[best.peak]!;
  for (let t = best.trough + 1; t < n; t++) {
    if (close[t]! >= level) return { ...best, end: t, recovered: true };
  }
  return { ...best, end: n - 1, recovered: false };
}

/** One column of a side-by-side table: a label (file, window) and its figures. */
export interface MarketStatsColumn {
  readonly label: string;
  readonly stats: MarketStats;
}

const pct = (digits: number) => (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : "n/a");
const fixed = (digits: number) => (x: number) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");

/** The table's rows: label and how to print the figure (fields not listed are left out of the table). */
const TABLE_ROWS: readonly { label: string; show: (s: MarketStats) => string }[] = [
  { label: "first bar", show: (s) => s.firstIso.slice(0, 16) },
  { label: "last bar", show: (s) => s.lastIso.slice(0, 16) },
  { label: "bars", show: (s) => int(s.bars) },
  { label: "missing bars", show: (s) => int(s.missingBars) },
  { label: "first → last close", show: (s) => `${int(s.firstClose)} → ${int(s.lastClose)}` },
  { label: "hourly log-return std", show: (s) => pct(3)(s.stdLogReturn) },
  { label: "annualised vol", show: (s) => pct(1)(s.annualisedVol) },
  { label: "skew", show: (s) => fixed(2)(s.skew) },
  { label: "excess kurtosis", show: (s) => fixed(1)(s.excessKurtosis) },
  { label: "ACF r, lag 1", show: (s) => fixed(3)(s.acfReturnLag1) },
  { label: "ACF |r|, lag 1", show: (s) => fixed(3)(s.acfAbsReturnLag1) },
  { label: "ACF |r|, lag 24", show: (s) => fixed(3)(s.acfAbsReturnLag24) },
  { label: "ACF |r|, lag 168", show: (s) => fixed(3)(s.acfAbsReturnLag168) },
  { label: "share |r − mean| > 3σ", show: (s) => pct(2)(s.tailShare3Sigma) },
  { label: "max drawdown", show: (s) => pct(1)(s.maxDrawdown) },
  {
    label: "max drawdown duration",
    show: (s) => `${(s.maxDrawdownDurationHours / 24).toFixed(0)} d${s.maxDrawdownRecovered ? "" : " (not recovered)"}`,
  },
  { label: "mean (high − low) / open", show: (s) => `${fixed(2)(s.meanRangePct)} %` },
  { label: "corr(volume, |r|)", show: (s) => fixed(2)(s.volumeAbsReturnCorr) },
];

/** A side-by-side table of several series' figures: aligned plain text, or a Markdown table. */
export function formatMarketStatsTable(columns: readonly MarketStatsColumn[], format: "text" | "markdown" = "text"): string {
  const header = ["", ...columns.map((c) => c.label)];
  const body = TABLE_ROWS.map((row) => [row.label, ...columns.map((c) => row.show(c.stats))]);
  if (format === "markdown") {
    // A "|" inside a cell (as in |r|) would end the cell.
    const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
    return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...body.map(line)].join("\n");
  }
  const widths = header.map((_, j) => Math.max(...[header, ...body].map((r) => r[j]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  return [line(header), ...body.map(line)].join("\n");
}
