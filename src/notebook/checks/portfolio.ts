/**
 * Checks of notebook 08's exercises (several assets). The truth is a forward simulation of the fills (sell
 * coins for cash, spend cash on coins, commission taken from what is received) or a plain loop over a trace,
 * never the rebalance's sizing formula or the evaluation code the exercises are about.
 */
import { holds, near, type Check } from "../exercises.js";

export interface Holdings {
  readonly cash: number;
  /** Coins of each asset. */
  readonly coins: readonly number[];
  /** Decision (and fill) price of each asset. */
  readonly prices: readonly number[];
}

export interface RebalanceAnswer {
  /** Coins of asset `sellAsset` to sell. */
  readonly sellCoins: number | null;
  /** USD to spend on asset `buyAsset`. */
  readonly buyUsd: number | null;
  /** Portfolio value after both legs, at the decision prices (USD). */
  readonly valueAfter: number | null;
}

/** Cash, coins and weights after selling `sell` coins of one asset, then spending `buy` USD on another. */
export function simulateLegs(h: Holdings, commission: number, sellAsset: number, sell: number, buyAsset: number, buy: number): { cash: number; coins: number[]; value: number; weights: number[] } {
  const keep = 1 - commission;
  const coins = [...h.coins];
  let cash = h.cash;
  coins[sellAsset] = coins[sellAsset]! - sell;
  cash += keep * sell * h.prices[sellAsset]!;
  cash -= buy;
  coins[buyAsset] = coins[buyAsset]! + (keep * buy) / h.prices[buyAsset]!;
  let value = cash;
  coins.forEach((c, k) => (value += c * h.prices[k]!));
  return { cash, coins, value, weights: coins.map((c, k) => (c * h.prices[k]!) / value) };
}

/**
 * Exercise "a rebalance by hand": the student's two legs, filled in order (the sell first), must land every
 * asset on its target weight and leave the value they say.
 */
export function rebalanceChecks(a: RebalanceAnswer, h: Holdings, targets: readonly number[], commission: number, sellAsset: number, buyAsset: number): Check[] {
  if (a.sellCoins === null || a.buyUsd === null) return [near("coins to sell", a.sellCoins, 0, 0), near("USD to spend", a.buyUsd, 0, 0), near("value after", a.valueAfter, 0, 0)];
  const sim = simulateLegs(h, commission, sellAsset, a.sellCoins, buyAsset, a.buyUsd);
  const off = Math.max(...targets.map((w, k) => Math.abs(sim.weights[k]! - w)));
  return [
    holds("the sell leaves coins to hold", a.sellCoins >= 0 && a.sellCoins <= h.coins[sellAsset]!, "sell a positive amount, at most what is held"),
    holds("the buy is paid by the cash there is", a.buyUsd >= 0 && sim.cash >= -1e-9, `after your legs the cash is ${sim.cash.toFixed(2)} USD`),
    holds("every weight lands on its target (within 1e-6)", off <= 1e-6, `your legs leave weights ${sim.weights.map((w) => w.toFixed(4)).join(" / ")}`),
    near("value after the legs (USD)", a.valueAfter, sim.value, 0.01),
  ];
}

/** The part of a portfolio trace these checks read. */
export interface PortfolioTraceLike {
  readonly steps: number;
  readonly value: ArrayLike<number>;
  /** (steps + 1) × K closes. */
  readonly prices: ArrayLike<number>;
  /** steps × K leg codes (0 = traded). */
  readonly legCode: ArrayLike<number>;
  /** steps × K fees (USD). */
  readonly legFee: ArrayLike<number>;
}

export interface EqualWeightAnswer {
  /** 1/K of the starting cash spent on each asset at the first close, held to the end. */
  readonly totalReturn: number | null;
}

/**
 * Exercise "the equal-weight benchmark by hand": spend 1/K of the start value on each asset at the first close
 * (commission taken from the coins), value the coins at the last close.
 */
export function equalWeightHoldChecks(a: EqualWeightAnswer, trace: PortfolioTraceLike, assets: number, commission: number): Check[] {
  const n = trace.steps;
  const v0 = trace.value[0]!;
  let end = 0;
  for (let k = 0; k < assets; k++) {
    const coins = ((1 - commission) * (v0 / assets)) / trace.prices[k]!;
    end += coins * trace.prices[n * assets + k]!;
  }
  return [near("equal-weight hold, total return", a.totalReturn, end / v0 - 1, 1e-4)];
}

export interface RebalanceKnobAnswer {
  readonly legsWeekly: number | null;
  readonly feesWeekly: number | null;
  readonly weeklyBeatsDaily: boolean | null;
}

/** Legs traded and fees paid by a trace, by a plain loop. */
export function legsAndFees(trace: PortfolioTraceLike): { legs: number; fees: number } {
  let legs = 0, fees = 0;
  for (let i = 0; i < trace.legCode.length; i++) {
    if (trace.legCode[i] === 0) legs++;
    fees += trace.legFee[i]!;
  }
  return { legs, fees };
}

/** Exercise "change a knob": weekly against daily rebalancing to equal weights. */
export function rebalanceKnobChecks(a: RebalanceKnobAnswer, weekly: PortfolioTraceLike, daily: PortfolioTraceLike): Check[] {
  const w = legsAndFees(weekly);
  const finalOf = (t: PortfolioTraceLike) => t.value[t.steps]!;
  const beats = finalOf(weekly) > finalOf(daily);
  return [
    near("legs traded, weekly", a.legsWeekly, w.legs, 0),
    near("fees paid, weekly (USD)", a.feesWeekly, w.fees, 0.01),
    holds("does weekly end above daily?", a.weeklyBeatsDaily === null ? null : a.weeklyBeatsDaily === beats, "compare the final values of the two runs"),
  ];
}

export interface AllocatorIntervalAnswer {
  readonly meanExcessPoints: number | null;
  readonly intervalSpansZero: boolean | null;
  /** Does this show the allocator has a real edge over equal weights (false, whatever the interval says)? */
  readonly showsRealEdge: boolean | null;
}

/**
 * Exercise "what the interval does not show": the agents' mean excess over the equal-weight hold (points),
 * recomputed from the value curves, whether its interval [lo, hi] contains 0, and the judgement that a few seeds
 * on one test window show no edge either way: the interval is over seeds of one window, not over markets.
 */
export function allocatorIntervalChecks(a: AllocatorIntervalAnswer, agents: readonly PortfolioTraceLike[], benchmark: PortfolioTraceLike, lo: number, hi: number): Check[] {
  const bench = benchmark.value[benchmark.steps]! / benchmark.value[0]! - 1;
  let sum = 0;
  for (const t of agents) sum += t.value[t.steps]! / t.value[0]! - 1 - bench;
  const mean = agents.length === 0 ? Number.NaN : sum / agents.length;
  return [
    near("mean excess over equal-weight hold (points)", a.meanExcessPoints, 100 * mean, 0.05),
    holds("does the interval contain 0?", a.intervalSpansZero === null ? null : a.intervalSpansZero === (lo <= 0 && hi >= 0), "read lo and hi of the excess column"),
    holds("does it show a real edge over equal weights?", a.showsRealEdge === null ? null : a.showsRealEdge === false, `${agents.length} seeds on one test window: the interval measures seed-to-seed spread on these bars (and with 3 seeds a bootstrap "95 %" interval covers far less), not what another window or market would give`),
  ];
}
