/**
 * Performance metrics of one backtest, each defined in docs/evaluation.md. Pure functions of an equity record;
 * no knowledge of the env or the agent, so that baselines, the agent and hand-worked test curves all go
 * through the same formulas.
 *
 * Conventions: `value[0]` is the portfolio value before the first step and `value[t + 1]` the value after
 * step t, so a record of n steps has n + 1 values and n one-period returns r_t = value[t+1] / value[t] − 1.
 * Risk-free rate 0. Undefined ratios (zero volatility, zero drawdown, no exposed period) are `null`.
 */

/** One year of bars: 365 × 24 hours (crypto trades every hour of every day). */
export const HOURS_PER_YEAR = 365 * 24;
const MS_PER_HOUR = 3_600_000;

/** What the metrics need from a backtest (a `BacktestTrace` satisfies it). */
export interface EquityRecord {
  /** Portfolio value in quote currency, n + 1 entries: before the first step, then after each step. */
  readonly value: Float64Array;
  /** Value of passively holding the starting cash and coins, n + 1 entries aligned with `value`. */
  readonly holdValue: Float64Array;
  /** Share of value held in coins during step t (after the step's trade), n entries. */
  readonly exposure: Float64Array;
  /** 1 where step t's buy or sell was executed, n entries. */
  readonly executed: Uint8Array;
  /** 1 where step t asked for a trade that the env turned into a hold (too small, no cash, …), n entries. */
  readonly turnedIntoHold: Uint8Array;
  /** Quote-currency notional traded at step t (0 when nothing traded), n entries. */
  readonly tradedNotional: Float64Array;
  /** Fees paid at step t in quote currency, n entries. */
  readonly fees: Float64Array;
  /** Length of one step (bar) in milliseconds; annualisation uses 365 × 24 hours per year. */
  readonly periodMs: number;
}

/** Field names are the `--json` contract of `npm run backtest` (documented in docs/evaluation.md). */
export interface BacktestMetrics {
  /** Number of steps (bars traded). */
  readonly steps: number;
  /** Length of the window in years (steps × bar length / (365 × 24 h)). */
  readonly years: number;
  readonly initialValue: number;
  readonly finalValue: number;
  /** value[n] / value[0] − 1. */
  readonly totalReturn: number;
  /** holdValue[n] / holdValue[0] − 1: the starting cash and coins held untouched. */
  readonly buyAndHoldReturn: number;
  /** totalReturn − buyAndHoldReturn (a difference of simple returns, not a ratio). */
  readonly excessReturn: number;
  /** (value[n] / value[0])^(1 / years) − 1; −1 after ruin. */
  readonly annualisedReturn: number;
  /** Sample standard deviation (n − 1) of one-step returns × √(steps per year). */
  readonly annualisedVolatility: number;
  /** mean(r) / std(r) × √(steps per year); null when std(r) = 0. */
  readonly sharpe: number | null;
  /** mean(r) / √(mean(min(r, 0)²)) × √(steps per year); null when no step lost money. */
  readonly sortino: number | null;
  /** Largest fall from a running peak, as a fraction of that peak (0 … 1). */
  readonly maxDrawdown: number;
  /** Hours from the peak before the largest drawdown until value first regained it (or the end of the window). */
  readonly maxDrawdownDurationHours: number;
  /** Longest span, in hours, from any peak until value regained it (or the end of the window). */
  readonly longestDrawdownHours: number;
  /** annualisedReturn / maxDrawdown; null when maxDrawdown = 0. */
  readonly calmar: number | null;
  /** Buys and sells executed. */
  readonly trades: number;
  /** Buys and sells asked for but turned into holds by the env. */
  readonly turnedIntoHolds: number;
  /** Σ traded notional / mean(value): how many times the average portfolio was traded over the window. */
  readonly turnover: number;
  /** Σ fees, quote currency. */
  readonly feesPaid: number;
  /** Mean over steps of the coin share of value held during the step. */
  readonly averageExposure: number;
  /** Share of exposed steps (exposure > 0) whose one-step return was positive; null when never exposed. */
  readonly winRate: number | null;
}

export function periodsPerYear(periodMs: number): number {
  if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
  return (HOURS_PER_YEAR * MS_PER_HOUR) / periodMs;
}

/** One-step simple returns of an equity curve: n + 1 values → n returns. A step from value 0 returns 0. */
export function stepReturns(value: ArrayLike<number>): Float64Array {
  const n = Math.max(0, value.length - 1);
  const r = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const v0 = value[t]!;
    r[t] = v0 > 0 ? value[t + 1]! / v0 - 1 : 0;
  }
  return r;
}

export interface DrawdownStats {
  /** Largest peak-to-trough fall as a fraction of the peak. */
  readonly maxDrawdown: number;
  /** Steps from the peak of the largest drawdown until the curve regained the peak (or the end). */
  readonly maxDrawdownDurationSteps: number;
  /** Longest span, in steps, from a peak until the curve regained it (or the end, if it never did). */
  readonly longestDrawdownSteps: number;
  /** Drawdown at each point, 0 … 1, same length as the curve. */
  readonly series: Float64Array;
}

export function drawdowns(value: ArrayLike<number>): DrawdownStats {
  const n = value.length;
  const series = new Float64Array(n);
  let peak = -Infinity;
  let peakAt = 0;
  let underwater = false;
  let maxDd = 0;
  let maxDdPeakAt = 0;
  let longest = 0;
  for (let t = 0; t < n; t++) {
    const v = value[t]!;
    if (v >= peak) {
      // Back at (or above) the running peak: the drawdown that started at peakAt lasted until now.
      if (underwater) longest = Math.max(longest, t - peakAt);
      underwater = false;
      peak = v;
      peakAt = t;
    }
    const dd = peak > 0 ? 1 - v / peak : 0;
    series[t] = dd;
    if (dd > 0) underwater = true;
    if (dd > maxDd) {
      maxDd = dd;
      maxDdPeakAt = peakAt;
    }
  }
  if (underwater) longest = Math.max(longest, n - 1 - peakAt);
  let duration = 0;
  if (maxDd > 0) {
    const peakValue = value[maxDdPeakAt]!;
    let recovered = n - 1;
    for (let t = maxDdPeakAt + 1; t < n; t++) {
      if (value[t]! >= peakValue) {
        recovered = t;
        break;
      }
    }
    duration = recovered - maxDdPeakAt;
  }
  return { maxDrawdown: maxDd, maxDrawdownDurationSteps: duration, longestDrawdownSteps: longest, series };
}

/** Mean and sample standard deviation (divisor n − 1; 0 for fewer than two points). */
export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  const n = x.length;
  if (n === 0) return { mean: Number.NaN, std: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const mean = s / n;
  if (n < 2) return { mean, std: 0 };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/** Annualised Sharpe ratio of one-step returns (risk-free 0); null when the returns do not vary. */
export function annualisedSharpe(returns: ArrayLike<number>, stepsPerYear: number): number | null {
  const { mean, std } = meanStd(returns);
  // Returns that are constant up to rounding have no meaningful ratio.
  if (!(std > 1e-15)) return null;
  return (mean / std) * Math.sqrt(stepsPerYear);
}

export function computeMetrics(rec: EquityRecord): BacktestMetrics {
  const n = rec.value.length - 1;
  if (n < 1) throw new RangeError(`metrics need at least one step (two values), got ${rec.value.length} values`);
  for (const [name, len] of [
    ["holdValue", rec.holdValue.length - 1],
    ["exposure", rec.exposure.length],
    ["executed", rec.executed.length],
    ["turnedIntoHold", rec.turnedIntoHold.length],
    ["tradedNotional", rec.tradedNotional.length],
    ["fees", rec.fees.length],
  ] as const) {
    if (len !== n) throw new RangeError(`EquityRecord.${name} covers ${len} steps, value covers ${n}`);
  }
  const ppy = periodsPerYear(rec.periodMs);
  const hoursPerStep = rec.periodMs / MS_PER_HOUR;
  const v0 = rec.value[0]!;
  const vn = rec.value[n]!;
  const totalReturn = vn / v0 - 1;
  const buyAndHoldReturn = rec.holdValue[n]! / rec.holdValue[0]! - 1;
  const years = n / ppy;
  const annualisedReturn = vn <= 0 ? -1 : Math.pow(vn / v0, 1 / years) - 1;

  const r = stepReturns(rec.value);
  const { std } = meanStd(r);
  const annualisedVolatility = std * Math.sqrt(ppy);
  const sharpe = annualisedSharpe(r, ppy);
  let meanR = 0;
  let downSq = 0;
  for (let t = 0; t < n; t++) {
    const x = r[t]!;
    meanR += x;
    if (x < 0) downSq += x * x;
  }
  meanR /= n;
  const downside = Math.sqrt(downSq / n);
  const sortino = downside > 0 ? (meanR / downside) * Math.sqrt(ppy) : null;

  const dd = drawdowns(rec.value);
  const calmar = dd.maxDrawdown > 0 ? annualisedReturn / dd.maxDrawdown : null;

  let trades = 0, holds = 0, notional = 0, fees = 0, exposureSum = 0, exposed = 0, wins = 0, valueSum = 0;
  for (let t = 0; t < n; t++) {
    trades += rec.executed[t]!;
    holds += rec.turnedIntoHold[t]!;
    notional += rec.tradedNotional[t]!;
    fees += rec.fees[t]!;
    const e = rec.exposure[t]!;
    exposureSum += e;
    if (e > 0) {
      exposed++;
      if (r[t]! > 0) wins++;
    }
  }
  for (let t = 0; t <= n; t++) valueSum += rec.value[t]!;
  const meanValue = valueSum / (n + 1);

  return {
    steps: n,
    years,
    initialValue: v0,
    finalValue: vn,
    totalReturn,
    buyAndHoldReturn,
    excessReturn: totalReturn - buyAndHoldReturn,
    annualisedReturn,
    annualisedVolatility,
    sharpe,
    sortino,
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownDurationHours: dd.maxDrawdownDurationSteps * hoursPerStep,
    longestDrawdownHours: dd.longestDrawdownSteps * hoursPerStep,
    calmar,
    trades,
    turnedIntoHolds: holds,
    turnover: meanValue > 0 ? notional / meanValue : 0,
    feesPaid: fees,
    averageExposure: exposureSum / n,
    winRate: exposed > 0 ? wins / exposed : null,
  };
}

/** The metric fields that are numbers (for tables, seed aggregation and confidence intervals), in display order. */
export const METRIC_FIELDS = [
  "totalReturn",
  "buyAndHoldReturn",
  "excessReturn",
  "annualisedReturn",
  "annualisedVolatility",
  "sharpe",
  "sortino",
  "maxDrawdown",
  "maxDrawdownDurationHours",
  "longestDrawdownHours",
  "calmar",
  "trades",
  "turnedIntoHolds",
  "turnover",
  "feesPaid",
  "averageExposure",
  "winRate",
  "finalValue",
] as const satisfies readonly (keyof BacktestMetrics)[];

export type MetricField = (typeof METRIC_FIELDS)[number];
