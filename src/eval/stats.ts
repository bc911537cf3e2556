/**
 * Statistics for judging backtests: bootstrap confidence intervals, the stationary bootstrap test of a Sharpe
 * ratio difference, the deflated Sharpe ratio, and the deflated information ratio (the deflated Sharpe ratio of
 * the returns in excess of a benchmark). Every random draw goes through a seeded `Rng`, so the same
 * seed gives the same interval bit for bit. Formulas are in docs/evaluation.md.
 */
import { Rng } from "../util/rng.js";

/** Euler–Mascheroni constant, used by the expected maximum of N Sharpe ratios. */
export const EULER_GAMMA = 0.5772156649015329;

/** Standard normal CDF Φ(x) = erfc(−x/√2) / 2. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function: the Taylor series of erf near 0, the continued fraction of erfc elsewhere. */
function erfc(x: number): number {
  // For |x| < 0.5 the series of erf converges fast; beyond, the continued fraction form is accurate.
  const ax = Math.abs(x);
  if (ax < 0.5) {
    // erf(x) = 2/√π Σ (−1)^k x^(2k+1) / (k! (2k+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let k = 1; k < 40; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Lentz's continued fraction for erfc(ax) = exp(−ax²)/√π · 1/(ax + 1/2/(ax + 1/(ax + 3/2/(ax + …))))
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = ax + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const r = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return x >= 0 ? r : 2 - r;
}

/**
 * Standard normal quantile Φ⁻¹(p): Acklam's rational approximation (relative error 1.15e-9) polished by one
 * Halley step against `normalCdf`, which brings it to about machine precision.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Quantile of a sorted sample by linear interpolation between order statistics (Hyndman & Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface ConfidenceInterval {
  /** The statistic on the original sample. */
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
  /** Coverage the interval was built for, e.g. 0.95. */
  readonly level: number;
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples. */
  readonly resamples?: number;
  /** Two-sided coverage of the interval, e.g. 0.95. */
  readonly level?: number;
  /** Seed of the resampling; the same seed gives the same interval. */
  readonly seed?: number;
}

/**
 * Percentile bootstrap interval of `statistic` over i.i.d. resamples of `sample` (Efron): draw n values with
 * replacement, recompute, and take the (1 − level)/2 and (1 + level)/2 quantiles of the recomputed values.
 */
export function bootstrapCI(
  sample: ArrayLike<number>,
  statistic: (x: Float64Array) => number,
  opts: BootstrapOptions = {},
): ConfidenceInterval {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0);
  const n = sample.length;
  const estimate = statistic(Float64Array.from(sample));
  if (n < 2) return { estimate, lo: estimate, hi: estimate, level };
  const buf = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buf[i] = sample[rng.int(n)]!;
    stats[b] = statistic(buf);
  }
  stats.sort();
  return { estimate, lo: quantileSorted(stats, (1 - level) / 2), hi: quantileSorted(stats, (1 + level) / 2), level };
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/**
 * Fills `out` with the indices of one stationary-bootstrap resample of a series of length out.length
 * (Politis & Romano 1994): blocks start at uniform positions, wrap around the end, and have geometric lengths
 * of mean `meanBlock`, so that the resample keeps the series' short-range dependence.
 */
export function stationaryBootstrapIndices(out: Int32Array, meanBlock: number, rng: Rng): Int32Array {
  const n = out.length;
  if (n === 0) return out;
  const pNew = 1 / Math.max(1, meanBlock);
  let idx = rng.int(n);
  out[0] = idx;
  for (let i = 1; i < n; i++) {
    idx = rng.uniform() < pNew ? rng.int(n) : (idx + 1) % n;
    out[i] = idx;
  }
  return out;
}

/** Per-period Sharpe ratio mean / sample std; NaN when the std is 0. */
export function sharpePerPeriod(x: ArrayLike<number>): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const m = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i]! - m) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  return sd > 1e-15 ? m / sd : Number.NaN;
}

export interface SharpeDifferenceOptions extends BootstrapOptions {
  /** Mean block length of the stationary bootstrap, in periods (default: n^(1/3), at least 1). */
  readonly meanBlock?: number;
  /** Periods per year, to report annualised Sharpe ratios (the test itself is scale-free). */
  readonly periodsPerYear?: number;
}

export interface SharpeDifferenceTest {
  /** Annualised Sharpe ratio of series a and of series b. */
  readonly sharpeA: number;
  readonly sharpeB: number;
  /** sharpeA − sharpeB (annualised). */
  readonly difference: number;
  /** Percentile interval of the difference over paired stationary-bootstrap resamples. */
  readonly ci: ConfidenceInterval;
  /** Two-sided p-value of H0: equal Sharpe ratios (share of centred resampled differences at least as extreme). */
  readonly pValue: number;
  readonly resamples: number;
  readonly meanBlock: number;
}

/**
 * Paired stationary-bootstrap test of a Sharpe ratio difference between two return series observed on the
 * same periods (e.g. the agent and buy-and-hold hour by hour). Both series are resampled with the same indices,
 * so their correlation is kept. The p-value centres the bootstrap distribution on the observed difference
 * (its spread under H0 is taken to be its spread around the estimate): p = P*(|Δ* − Δ| ≥ |Δ|).
 */
export function sharpeDifferenceTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: SharpeDifferenceOptions = {},
): SharpeDifferenceTest {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`paired series differ in length: ${n} and ${b.length}`);
  if (n < 3) throw new RangeError(`the Sharpe difference test needs at least 3 paired returns, got ${n}`);
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const meanBlock = opts.meanBlock ?? Math.max(1, Math.round(Math.cbrt(n)));
  const scale = Math.sqrt(opts.periodsPerYear ?? 1);
  const rng = new Rng(opts.seed ?? 0);
  const sa = sharpePerPeriod(a) * scale;
  const sb = sharpePerPeriod(b) * scale;
  const diff = sa - sb;
  const idx = new Int32Array(n);
  const bufA = new Float64Array(n);
  const bufB = new Float64Array(n);
  const diffs = new Float64Array(resamples);
  let extreme = 0;
  let valid = 0;
  for (let r = 0; r < resamples; r++) {
    stationaryBootstrapIndices(idx, meanBlock, rng);
    for (let i = 0; i < n; i++) {
      bufA[i] = a[idx[i]!]!;
      bufB[i] = b[idx[i]!]!;
    }
    const d = (sharpePerPeriod(bufA) - sharpePerPeriod(bufB)) * scale;
    if (Number.isNaN(d)) continue;
    diffs[valid++] = d;
    if (Math.abs(d - diff) >= Math.abs(diff)) extreme++;
  }
  const sorted = diffs.subarray(0, valid).sort();
  const ci = {
    estimate: diff,
    lo: quantileSorted(sorted, (1 - level) / 2),
    hi: quantileSorted(sorted, (1 + level) / 2),
    level,
  };
  // +1 in numerator and denominator: a bootstrap p-value is never exactly 0 (Davison & Hinkley 1997, §4.2).
  const pValue = Number.isNaN(diff) || valid === 0 ? Number.NaN : (extreme + 1) / (valid + 1);
  return { sharpeA: sa, sharpeB: sb, difference: diff, ci, pValue, resamples: valid, meanBlock };
}

/** Sample skewness and (non-excess) kurtosis with population moments, as in Bailey & López de Prado. */
export function skewKurtosis(x: ArrayLike<number>): { skewness: number; kurtosis: number } {
  const n = x.length;
  const m = mean(x);
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skewness: m3 / Math.pow(m2, 1.5), kurtosis: m4 / (m2 * m2) };
}

/**
 * Expected maximum of N independent Sharpe ratio estimates whose true value is 0 and whose variance across
 * trials is `variance` (Bailey & López de Prado 2014, eq. 6 / the "False Strategy" theorem):
 * SR0 = √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
}

/**
 * Probabilistic Sharpe ratio: the probability that the true per-period Sharpe ratio exceeds `benchmark`,
 * given an estimate from T observations with the given skewness and (non-excess) kurtosis:
 * PSR = Φ((SR − SR*) √(T − 1) / √(1 − γ3 SR + (γ4 − 1)/4 SR²)).
 */
export function probabilisticSharpe(sharpe: number, benchmark: number, observations: number, skewness: number, kurtosis: number): number {
  const denom = Math.sqrt(1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe);
  return normalCdf(((sharpe - benchmark) * Math.sqrt(observations - 1)) / denom);
}

export interface DeflatedSharpeInput {
  /** The selected strategy's Sharpe ratio, PER PERIOD (not annualised). */
  readonly sharpe: number;
  /** How many configurations were tried (N ≥ 1). */
  readonly trials: number;
  /** Variance of the per-period Sharpe ratios across the trials. */
  readonly sharpeVariance: number;
  /** Number of return observations T behind `sharpe`. */
  readonly observations: number;
  /** Skewness of the selected strategy's returns. */
  readonly skewness: number;
  /** Kurtosis (non-excess: 3 for a normal distribution) of the selected strategy's returns. */
  readonly kurtosis: number;
}

export interface DeflatedSharpe {
  /** Expected maximum per-period Sharpe ratio of `trials` unskilled strategies. */
  readonly sr0: number;
  /** Probability that the true Sharpe ratio beats sr0: the deflated Sharpe ratio (0 … 1). */
  readonly dsr: number;
}

/** Deflated Sharpe ratio (Bailey & López de Prado 2014): the PSR against the expected maximum of N trials. */
export function deflatedSharpe(input: DeflatedSharpeInput): DeflatedSharpe {
  const sr0 = expectedMaxSharpe(input.trials, input.sharpeVariance);
  return { sr0, dsr: probabilisticSharpe(input.sharpe, sr0, input.observations, input.skewness, input.kurtosis) };
}

export interface TrialReturns {
  /** Name of the configuration (or configuration × seed) that produced the returns. */
  readonly name: string;
  /** One-period returns on the evaluation window. */
  readonly returns: ArrayLike<number>;
}

export interface BestTrialDeflation extends DeflatedSharpe {
  /** The trial with the highest per-period Sharpe ratio. */
  readonly best: string;
  /** Its per-period Sharpe ratio. */
  readonly sharpe: number;
  readonly trials: number;
  /** Variance of the per-period Sharpe ratios across the trials. */
  readonly sharpeVariance: number;
  /** PSR of the best trial against a true Sharpe of 0 (no correction for the selection). */
  readonly psrVsZero: number;
}

/**
 * When several configurations were tried, the best one's Sharpe ratio is inflated by the selection: the
 * deflated Sharpe ratio of the best trial, with N = the number of trials and the variance of their Sharpe
 * ratios measured on the trials themselves.
 */
export function deflatedSharpeOfBest(trials: readonly TrialReturns[]): BestTrialDeflation {
  if (trials.length === 0) throw new RangeError("deflatedSharpeOfBest needs at least one trial");
  const srs = trials.map((t) => sharpePerPeriod(t.returns));
  let k = 0;
  srs.forEach((s, i) => {
    if (s > srs[k]! || Number.isNaN(srs[k]!)) k = i;
  });
  const valid = srs.filter((s) => Number.isFinite(s));
  const m = mean(valid);
  const variance = valid.length > 1 ? valid.reduce((s, x) => s + (x - m) ** 2, 0) / (valid.length - 1) : 0;
  const best = trials[k]!;
  const { skewness, kurtosis } = skewKurtosis(best.returns);
  const sharpe = srs[k]!;
  const d = deflatedSharpe({ sharpe, trials: trials.length, sharpeVariance: variance, observations: best.returns.length, skewness, kurtosis });
  return {
    ...d,
    best: best.name,
    sharpe,
    trials: trials.length,
    sharpeVariance: variance,
    psrVsZero: probabilisticSharpe(sharpe, 0, best.returns.length, skewness, kurtosis),
  };
}

/**
 * Active returns: subject − benchmark, period by period (e.g. the agent's hourly returns minus buy-and-hold's
 * over the same hours). Their Sharpe ratio is the information ratio against the benchmark.
 */
export function activeReturns(subject: ArrayLike<number>, benchmark: ArrayLike<number>): Float64Array {
  if (subject.length !== benchmark.length) throw new RangeError(`active returns need paired series, got ${subject.length} and ${benchmark.length} periods`);
  const out = new Float64Array(subject.length);
  for (let i = 0; i < out.length; i++) out[i] = subject[i]! - benchmark[i]!;
  return out;
}

export interface TrialAgainstBenchmark extends TrialReturns {
  /** The benchmark's returns over the same periods (e.g. buy-and-hold). */
  readonly benchmark: ArrayLike<number>;
}

/**
 * The two questions a report answers about the best of several trials, side by side:
 * - `informationRatio`: **does it beat the benchmark?** The deflated Sharpe ratio of the active returns
 *   (trial − benchmark, per period): a *deflated information ratio*. The best trial is the one with the highest
 *   information ratio, N is the number of trials and V the variance of their information ratios. This is the
 *   headline whenever the question is "does the agent beat holding?": in a rising market an agent that merely
 *   holds coins has a high Sharpe ratio of its own and an information ratio near zero.
 * - `sharpe`: **are its own returns better than nothing?** The deflated Sharpe ratio of the trials' own returns.
 *   It credits the market's own rise to whoever held coins through it.
 * A trial whose active returns are all 0 (it held the benchmark exactly) has no information ratio (NaN); it
 * still counts as a trial.
 */
export function deflatedAgainstBenchmark(trials: readonly TrialAgainstBenchmark[]): { readonly informationRatio: BestTrialDeflation; readonly sharpe: BestTrialDeflation } {
  return {
    informationRatio: deflatedSharpeOfBest(trials.map((t) => ({ name: t.name, returns: activeReturns(t.returns, t.benchmark) }))),
    sharpe: deflatedSharpeOfBest(trials),
  };
}
