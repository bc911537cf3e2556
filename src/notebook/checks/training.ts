/**
 * Checks of notebook 04's exercises (training the agent). Each takes the student's answer and the raw material
 * the notebook holds (a run's logged metrics, a backtest trace) and computes its truth with plain loops, never
 * with the code the exercise is about, so a worked solution that calls that code is checked against something
 * else.
 */
import { holds, near, type Check } from "../exercises.js";

const LN3 = Math.log(3);

export interface EntropyAnswer {
  readonly firstEntropy: number | null;
  readonly lastEntropy: number | null;
  /** last / ln 3: how far from a uniform choice among hold / buy / sell the policy ends. */
  readonly shareOfUniform: number | null;
  readonly moreDeterministic: boolean | null;
}

/** Exercise "read the entropy curve": `entropy` is the run's logged entropy, one value per update. */
export function entropyChecks(a: EntropyAnswer, entropy: readonly number[]): Check[] {
  if (entropy.length === 0) throw new RangeError("entropyChecks: the run logged no update");
  const first = entropy[0]!;
  const last = entropy[entropy.length - 1]!;
  return [
    near("entropy at the first update (nats)", a.firstEntropy, first, 0.01),
    near("entropy at the last update (nats)", a.lastEntropy, last, 0.01),
    near("last entropy as a share of ln 3", a.shareOfUniform, last / LN3, 0.01),
    holds("more deterministic at the end?", a.moreDeterministic === null ? null : a.moreDeterministic === last < first, "compare the first and the last point of the curve"),
  ];
}

export interface KlAnswer {
  readonly medianKl: number | null;
  readonly updatesAboveTarget: number | null;
  /** Mean explained variance over the last 10 updates is above 0: the critic beats predicting the mean. */
  readonly criticBeatsMean: boolean | null;
}

/**
 * Exercise "read the KL and value curves": the median of the logged approx_kl, how many updates moved the
 * policy by more than `target` (a common target_kl), and whether the critic ended better than a constant.
 */
export function klChecks(a: KlAnswer, approxKl: readonly number[], explainedVariance: readonly (number | null)[], target = 0.02): Check[] {
  if (approxKl.length === 0) throw new RangeError("klChecks: the run logged no update");
  const sorted = [...approxKl].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  let above = 0;
  for (const k of approxKl) if (k > target) above++;
  const tail = explainedVariance.slice(-10).filter((v): v is number => v !== null);
  let sum = 0;
  for (const v of tail) sum += v;
  const meanTail = tail.length === 0 ? Number.NaN : sum / tail.length;
  return [
    near("median approx_kl (nats)", a.medianKl, median, Math.max(1e-12, 0.05 * median)),
    near(`updates with approx_kl above ${target}`, a.updatesAboveTarget, above, 0),
    holds("critic better than predicting the mean?", a.criticBeatsMean === null ? null : a.criticBeatsMean === meanTail > 0, "average the explained variance of the last 10 updates and compare it with 0"),
  ];
}

export interface EmaRewardAnswer {
  readonly totalEmaReward: number | null;
  readonly totalLogReturnReward: number | null;
  readonly emaPaysLessForDrift: boolean | null;
}

/**
 * Exercise "change the reward, predict its effect": a portfolio that grows by `growth` per step for `steps`
 * steps, rewarded by the notebook's ExcessOverEma (100 · (r − ema), ema ← 0.95 ema + 0.05 r, ema starts at 0)
 * and by 100 · log return. With a constant log return r the EMA before step t is r (1 − 0.95^t), so the excess
 * is r · 0.95^t and the total a geometric sum: closed forms, not a run of the scheme.
 */
export function emaRewardChecks(a: EmaRewardAnswer, growth: number, steps: number, decay = 0.95): Check[] {
  const r = Math.log(1 + growth);
  const ema = (100 * r * (1 - decay ** steps)) / (1 - decay);
  const log = 100 * r * steps;
  return [
    near("total ExcessOverEma reward", a.totalEmaReward, ema, 1e-6 * Math.max(1, Math.abs(ema))),
    near("total log-return reward", a.totalLogReturnReward, log, 1e-6 * Math.max(1, Math.abs(log))),
    holds("does the EMA reward pay less for a steady drift?", a.emaPaysLessForDrift === null ? null : a.emaPaysLessForDrift === ema < log, "compare the two totals"),
  ];
}

/** The part of a backtest trace the out-of-sample exercise reads. */
export interface TraceLike {
  readonly steps: number;
  readonly value: ArrayLike<number>;
  readonly cash: ArrayLike<number>;
  readonly coins: ArrayLike<number>;
  readonly price: ArrayLike<number>;
}

export interface OneSeedAnswer {
  readonly excessPoints: number | null;
  readonly showsAgentBeatsHolding: boolean | null;
}

/**
 * Exercise "what one out-of-sample run does not show": the agent's excess over holding its starting mix, in
 * points, recomputed from the trace's cash, coins and prices; and the judgement that one seed on one planted
 * market does not show that the agent beats holding in general.
 */
export function oneSeedChecks(a: OneSeedAnswer, trace: TraceLike): Check[] {
  const n = trace.steps;
  const total = trace.value[n]! / trace.value[0]! - 1;
  const c0 = trace.cash[0]!, k0 = trace.coins[0]!;
  const hold = (c0 + k0 * trace.price[n]!) / (c0 + k0 * trace.price[0]!) - 1;
  return [
    near("excess over buy-and-hold (points)", a.excessPoints, 100 * (total - hold), 0.05),
    holds("does it show the agent beats holding?", a.showsAgentBeatsHolding === null ? null : a.showsAgentBeatsHolding === false, "one seed is one draw, on a market built to have a trend: see the learnability suite"),
  ];
}
