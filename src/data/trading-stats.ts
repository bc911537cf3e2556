import type { Candles } from "./candles.js";
import { autocorrelation } from "./market-stats.js";

/**
 * The statistics that decide whether a market is a fair place to do trading research: how predictable the
 * sign of the next return is (autocorrelation at several lags, variance ratios), how much simple rules earn by
 * timing (moving-average pairs, momentum), how volatility clusters, how fat the tails and how deep the
 * drawdowns. Computed per window (typically a calendar year) so that a synthetic market can be set against the
 * spread of real years (docs/market.md).
 *
 * Conventions:
 * - The window is rows [startRow, endRow). Returns inside it: r_t = ln(close_t / close_{t−1}) for
 *   t = startRow + 1 … endRow − 1 (a gap in the series is stepped over, as in market-stats.ts).
 * - Rules decide on the close of row t from closes of rows ≤ t (history before the window included, so a
 *   window has no warm-up) and hold p_t ∈ {0, 1} over the next bar: g_t = p_t · R_{t+1} − fee · |p_t − p_{t−1}|,
 *   with R_{t+1} = close_{t+1} / close_t − 1 and p before the window's first decision taken as the rule's
 *   signal one bar earlier (entering the window is not charged as a trade).
 * - A rule's **timing information ratio** measures what its timing earns beyond its average exposure: with p̄
 *   the mean position over the window, a_t = g_t − p̄ · R_{t+1}, IR = mean(a) / std(a) · √(8760). A rule that
 *   holds a random 60 % of the hours has an expected IR of about 0 (minus fees), whatever the market's drift;
 *   a free lunch shows up as a large positive IR across many rules.
 */

/** Lags (hours) of the return autocorrelations reported. */
export const RETURN_ACF_LAGS = [1, 2, 3, 6, 12, 24, 168] as const;
/** Horizons (hours) of the variance ratios reported. */
export const VARIANCE_RATIO_HORIZONS = [6, 24, 168] as const;
/** The 30 moving-average pairs (fast, slow) of notebook 05: fast ∈ {3 … 96}, slow = fast × {2 … 32}. */
export const MA_PAIRS: readonly (readonly [number, number])[] = [3, 6, 12, 24, 48, 96].flatMap((fast) =>
  [2, 4, 8, 16, 32].map((k) => [fast, fast * k] as const),
);
/** Look-backs (hours) of the momentum rules: long while close_t > close_{t−k}. */
export const MOMENTUM_LOOKBACKS = [6, 24, 72, 168, 336, 720] as const;
/** Commission per unit of position change (the article's 0.075 %). */
export const RULE_FEE = 0.00075;

const HOURS_PER_YEAR = 8760;

export interface RuleResult {
  /** e.g. "MA(24,168)" or "momentum(168)". */
  readonly name: string;
  /** Σ ln(1 + g_t): the rule's log growth over the window, fees paid. */
  readonly logReturn: number;
  /** Timing information ratio (annualised), see the module comment. */
  readonly timingIr: number;
  /** p̄, mean position over the window. */
  readonly exposure: number;
  /** Σ |p_t − p_{t−1}|: position changes inside the window. */
  readonly trades: number;
}

export interface RuleFamilyStats {
  readonly rules: readonly RuleResult[];
  /** Median timing IR over the family. */
  readonly medianTimingIr: number;
  /** Largest timing IR in the family. */
  readonly maxTimingIr: number;
  /** Share of rules whose timing IR is > 0. */
  readonly positiveShare: number;
  /** Median over the family of (rule log return − buy-and-hold log return). */
  readonly medianExcessLogReturn: number;
}

export interface TradingStats {
  readonly firstIso: string;
  readonly lastIso: string;
  /** Returns in the window. */
  readonly returns: number;
  /** Buy-and-hold log return over the window: ln(close_last / close_first). */
  readonly buyAndHoldLogReturn: number;
  /** Sample std of hourly log returns × √8760. */
  readonly annualisedVol: number;
  readonly skew: number;
  readonly excessKurtosis: number;
  /** Share of returns more than 3 sample std from the mean. */
  readonly tailShare3Sigma: number;
  /** ρ(k) of r for each lag of {@link RETURN_ACF_LAGS}, same order. */
  readonly acfReturn: readonly number[];
  /** ρ(1) of daily log returns (sums of 24 consecutive hourly returns, non-overlapping). */
  readonly acfDailyReturnLag1: number;
  /**
   * Variance ratio VR(q) = Var(Σ of q consecutive r, overlapping) / (q · Var(r)) for each horizon of
   * {@link VARIANCE_RATIO_HORIZONS}: 1 for a random walk, > 1 when moves persist (trends), < 1 when they revert.
   */
  readonly varianceRatio: readonly number[];
  /** ρ(1), ρ(24), ρ(168) of |r|: volatility clustering. */
  readonly acfAbsReturn: readonly [number, number, number];
  /** Largest fall of the close from its running peak inside the window (0 … 1). */
  readonly maxDrawdown: number;
  /** MA(24,168), the baseline of the reports. */
  readonly maCrossover: RuleResult;
  /** The 30 MA pairs of {@link MA_PAIRS}. */
  readonly maPairs: RuleFamilyStats;
  /** The momentum rules of {@link MOMENTUM_LOOKBACKS}. */
  readonly momentum: RuleFamilyStats;
}

export interface RowWindow {
  readonly startRow: number;
  readonly endRow: number;
}

/** Prefix sums of the closes, for O(1) moving averages. */
function prefixSums(close: Float64Array): Float64Array {
  const prefix = new Float64Array(close.length + 1);
  for (let i = 0; i < close.length; i++) prefix[i + 1] = prefix[i]! + close[i]!;
  return prefix;
}

type Signal = (row: number) => number;

function maSignal(prefix: Float64Array, fast: number, slow: number): Signal {
  const sma = (row: number, k: number): number => {
    const from = Math.max(0, row + 1 - k);
    return (prefix[row + 1]! - prefix[from]!) / (row + 1 - from);
  };
  return (row) => (sma(row, fast) > sma(row, slow) ? 1 : 0);
}

function momentumSignal(close: Float64Array, lookback: number): Signal {
  return (row) => (row >= lookback && close[row]! > close[row - lookback]! ? 1 : 0);
}

/** Runs one long/flat rule over the window's decisions (rows startRow … endRow − 2). */
export function runRule(name: string, close: Float64Array, w: RowWindow, signal: Signal, fee = RULE_FEE): RuleResult {
  const n = w.endRow - 1 - w.startRow;
  if (n < 2) return { name, logReturn: Number.NaN, timingIr: Number.NaN, exposure: Number.NaN, trades: 0 };
  const pos = new Float64Array(n);
  const mkt = new Float64Array(n);
  let prev = w.startRow > 0 ? signal(w.startRow - 1) : 0;
  let sumP = 0;
  let trades = 0;
  let logReturn = 0;
  const gross = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = w.startRow + i;
    const p = signal(row);
    const R = close[row + 1]! / close[row]! - 1;
    const change = Math.abs(p - prev);
    const g = p * R - fee * change;
    pos[i] = p;
    mkt[i] = R;
    gross[i] = g;
    sumP += p;
    trades += change;
    logReturn += Math.log1p(g);
    prev = p;
  }
  const pBar = sumP / n;
  let m = 0;
  for (let i = 0; i < n; i++) m += gross[i]! - pBar * mkt[i]!;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (gross[i]! - pBar * mkt[i]! - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  return { name, logReturn, timingIr: sd > 0 ? (m / sd) * Math.sqrt(HOURS_PER_YEAR) : Number.NaN, exposure: pBar, trades };
}

function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function family(rules: readonly RuleResult[], buyAndHoldLogReturn: number): RuleFamilyStats {
  const irs = rules.map((r) => r.timingIr);
  return {
    rules,
    medianTimingIr: median(irs),
    maxTimingIr: Math.max(...irs.filter((x) => Number.isFinite(x))),
    positiveShare: irs.filter((x) => x > 0).length / rules.length,
    medianExcessLogReturn: median(rules.map((r) => r.logReturn - buyAndHoldLogReturn)),
  };
}

/** VR(q) of a return series, as defined on {@link TradingStats.varianceRatio}; NaN when too short. */
export function varianceRatio(r: Float64Array, q: number): number {
  const N = r.length;
  if (N < q + 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < N; i++) mean += r[i]!;
  mean /= N;
  let v1 = 0;
  for (let i = 0; i < N; i++) v1 += (r[i]! - mean) ** 2;
  v1 /= N - 1;
  // Overlapping q-sums S_i = r_i + … + r_{i+q−1}, i = 0 … N − q, centred on q · mean.
  let s = 0;
  for (let i = 0; i < q; i++) s += r[i]!;
  let vq = (s - q * mean) ** 2;
  for (let i = q; i < N; i++) {
    s += r[i]! - r[i - q]!;
    vq += (s - q * mean) ** 2;
  }
  vq /= N - q;
  return v1 > 0 ? vq / (q * v1) : Number.NaN;
}

function maxDrawdown(close: Float64Array, w: RowWindow): number {
  let peak = -Infinity;
  let dd = 0;
  for (let t = w.startRow; t < w.endRow; t++) {
    const c = close[t]!;
    if (c > peak) peak = c;
    dd = Math.max(dd, 1 - c / peak);
  }
  return dd;
}

/** The figures of {@link TradingStats} over rows [startRow, endRow) of `candles` (default: all rows). */
export function tradingStats(candles: Candles, window?: RowWindow): TradingStats {
  const w = window ?? { startRow: 0, endRow: candles.length };
  if (!(w.startRow >= 0 && w.endRow <= candles.length && w.endRow - w.startRow >= 3)) {
    throw new RangeError(`tradingStats needs a window of at least 3 rows inside the series, got [${w.startRow}, ${w.endRow}) of ${candles.length}`);
  }
  const close = candles.close;
  const N = w.endRow - w.startRow - 1;
  const r = new Float64Array(N);
  for (let i = 0; i < N; i++) r[i] = Math.log(close[w.startRow + i + 1]! / close[w.startRow + i]!);
  let mean = 0;
  for (let i = 0; i < N; i++) mean += r[i]!;
  mean /= N;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < N; i++) {
    const d = r[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= N;
  m3 /= N;
  m4 /= N;
  const sd = Math.sqrt((m2 * N) / (N - 1));
  let tail = 0;
  for (let i = 0; i < N; i++) if (Math.abs(r[i]! - mean) > 3 * sd) tail++;
  const abs = r.map(Math.abs);
  const days = Math.floor(N / 24);
  const daily = new Float64Array(days);
  for (let d = 0; d < days; d++) for (let h = 0; h < 24; h++) daily[d]! += r[d * 24 + h]!;
  const buyAndHoldLogReturn = Math.log(close[w.endRow - 1]! / close[w.startRow]!);

  const prefix = prefixSums(close);
  const maRules = MA_PAIRS.map(([f, s]) => runRule(`MA(${f},${s})`, close, w, maSignal(prefix, f, s)));
  const momRules = MOMENTUM_LOOKBACKS.map((k) => runRule(`momentum(${k})`, close, w, momentumSignal(close, k)));
  const iso = (row: number) => new Date(candles.timestamp[row]!).toISOString();
  return {
    firstIso: iso(w.startRow),
    lastIso: iso(w.endRow - 1),
    returns: N,
    buyAndHoldLogReturn,
    annualisedVol: sd * Math.sqrt(HOURS_PER_YEAR),
    skew: m3 / Math.pow(m2, 1.5),
    excessKurtosis: m4 / (m2 * m2) - 3,
    tailShare3Sigma: tail / N,
    acfReturn: RETURN_ACF_LAGS.map((k) => autocorrelation(r, k)),
    acfDailyReturnLag1: autocorrelation(daily, 1),
    varianceRatio: VARIANCE_RATIO_HORIZONS.map((q) => varianceRatio(r, q)),
    acfAbsReturn: [autocorrelation(abs, 1), autocorrelation(abs, 24), autocorrelation(abs, 168)],
    maxDrawdown: maxDrawdown(close, w),
    maCrossover: runRule("MA(24,168)", close, w, maSignal(prefix, 24, 168)),
    maPairs: family(maRules, buyAndHoldLogReturn),
    momentum: family(momRules, buyAndHoldLogReturn),
  };
}

export interface YearWindow extends RowWindow {
  readonly year: number;
  /** Share of the calendar year's hours present in the series. */
  readonly coverage: number;
}

/** The calendar years (UTC) of a series, with the rows each covers; years covering < `minCoverage` are left out. */
export function calendarYears(candles: Candles, minCoverage = 0.9): YearWindow[] {
  const out: YearWindow[] = [];
  let start = 0;
  while (start < candles.length) {
    const year = new Date(candles.timestamp[start]!).getUTCFullYear();
    const next = Date.UTC(year + 1, 0, 1);
    let end = start;
    while (end < candles.length && candles.timestamp[end]! < next) end++;
    const hours = (next - Date.UTC(year, 0, 1)) / 3_600_000;
    const coverage = (end - start) / hours;
    if (coverage >= minCoverage) out.push({ year, startRow: start, endRow: end, coverage });
    start = end;
  }
  return out;
}
