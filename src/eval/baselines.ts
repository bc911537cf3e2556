/**
 * Baselines on the same window, with the same fees and fills, through the same env code path as the agent:
 *   buy_and_hold        — the starting cash and coins held untouched (no trade, no fee);
 *   random              — uniformly random actions from a seeded stream;
 *   ma_crossover(f,s)   — long while the f-bar simple moving average of the close is above the s-bar one;
 *   perfect_foresight   — the DP's best action path (perfect-foresight.ts) replayed through the env.
 * Definitions in docs/evaluation.md.
 */
import type { EnvConfig, EnvModel } from "../env/index.js";
import { HOLD_REASONS, HoldCode, sampleAction } from "../env/index.js";
import { medianPeriod, replayPolicy, runBacktest, type BacktestPolicy, type BacktestTrace } from "./backtest.js";
import { marketTradePath, perfectForesight, type PerfectForesightOptions, type PerfectForesightResult } from "./perfect-foresight.js";

/**
 * The actions that move the portfolio most towards coins ("long") and towards cash ("flat") in a scheme,
 * plus the one that leaves it alone where the scheme has one. Declared per scheme kind here because the
 * action schemes do not carry this property themselves.
 */
export interface DirectionalActions {
  readonly long: number;
  readonly flat: number;
  /** The do-nothing action, or null where every action is a target (exposure schemes). */
  readonly hold: number | null;
}

export function directionalActions(actions: EnvConfig["actions"]): DirectionalActions {
  switch (actions.kind) {
    case "reference":
      return { long: 1, flat: 2, hold: 0 };
    case "exposure_levels": {
      let hi = 0, lo = 0;
      actions.levels.forEach((l, i) => {
        if (l > actions.levels[hi]!) hi = i;
        if (l < actions.levels[lo]!) lo = i;
      });
      return { long: hi, flat: lo, hold: null };
    }
    case "continuous_exposure":
      return { long: 1, flat: 0, hold: null };
    case "side_and_size":
      return { long: 1, flat: -1, hold: 0 };
  }
}

/** Uniformly random actions (an index for a discrete space, a value in the box for a continuous one). */
export function randomPolicy(model: EnvModel): BacktestPolicy {
  const space = model.actions.space;
  return { name: "random", reset() {}, act: (_obs, ctx) => sampleAction(space, ctx.rng) };
}

export interface MaCrossoverOptions {
  /** Bars in the fast moving average. */
  readonly fast?: number;
  /** Bars in the slow moving average. */
  readonly slow?: number;
}

/**
 * Long while SMA(fast) > SMA(slow) of the closes up to the decision row, flat otherwise. With the article's
 * actions this buys (or sells) half of what is left every bar while the signal lasts, so the exposure moves
 * geometrically towards 100 % (or 0 %) and the env turns the tiny tail trades into holds. Near the start of
 * the data an average covers the rows available.
 */
export function maCrossoverPolicy(model: EnvModel, opts: MaCrossoverOptions = {}): BacktestPolicy {
  const fast = opts.fast ?? 24;
  const slow = opts.slow ?? 168;
  if (!(Number.isInteger(fast) && Number.isInteger(slow) && fast >= 1 && slow > fast)) {
    throw new RangeError(`ma_crossover needs integers 1 ≤ fast < slow, got fast ${fast}, slow ${slow}`);
  }
  const dir = directionalActions(model.config.actions);
  const close = model.market.close;
  // Prefix sums of the closes: each SMA is O(1) and the policy allocates nothing per step.
  const prefix = new Float64Array(close.length + 1);
  for (let i = 0; i < close.length; i++) prefix[i + 1] = prefix[i]! + close[i]!;
  const sma = (row: number, k: number): number => {
    const from = Math.max(0, row + 1 - k);
    return (prefix[row + 1]! - prefix[from]!) / (row + 1 - from);
  };
  return {
    name: `ma_crossover(${fast},${slow})`,
    reset() {},
    act: (_obs, ctx) => (sma(ctx.row, fast) > sma(ctx.row, slow) ? dir.long : dir.flat),
  };
}

export interface BaselineOptions {
  /** Seed of the random policy. */
  readonly seed?: number;
  readonly maCrossover?: MaCrossoverOptions;
  readonly perfectForesight?: PerfectForesightOptions;
  /** Leave out the perfect-foresight DP (it costs O(steps × grid × actions)). */
  readonly skipPerfectForesight?: boolean;
}

export interface Baselines {
  readonly buyAndHold: BacktestTrace;
  readonly random: BacktestTrace;
  readonly maCrossover: BacktestTrace;
  /** The DP's path replayed through the env (thresholds included); null when skipped. */
  readonly perfectForesight: BacktestTrace | null;
  /** The DP's own result: the bound (log growth), its method and its path; null when skipped. */
  readonly bound: PerfectForesightResult | null;
}

/**
 * The starting mix held: a run in which nothing trades, valued at the env's closes exactly as the env values
 * the starting mix (`holdValue` of every trace), so it needs no hold action in the scheme.
 */
export function buyAndHoldTrace(model: EnvModel): BacktestTrace {
  const market = model.market;
  const first = market.firstRow;
  const n = market.lastRow - first;
  const cash0 = model.initialCash;
  const coins0 = model.initialCoins;
  const price = market.close.slice(first, first + n + 1);
  const value = Float64Array.from(price, (p) => cash0 + coins0 * p);
  return {
    name: "buy_and_hold",
    steps: n,
    terminated: false,
    firstRow: first,
    periodMs: medianPeriod(market.timestamp),
    timestamp: market.timestamp.slice(first, first + n + 1),
    price,
    cash: new Float64Array(n + 1).fill(cash0),
    coins: new Float64Array(n + 1).fill(coins0),
    value,
    holdValue: value.slice(),
    action: new Float64Array(n).fill(Number.NaN),
    holdCode: new Uint8Array(n).fill(HoldCode.HOLD_ACTION),
    side: new Int8Array(n),
    fillPrice: new Float64Array(n).fill(Number.NaN),
    reward: new Float64Array(n),
    exposure: Float64Array.from({ length: n }, (_, t) => (coins0 * price[t]!) / value[t]!),
    executed: new Uint8Array(n),
    turnedIntoHold: new Uint8Array(n),
    tradedNotional: new Float64Array(n),
    fees: new Float64Array(n),
    actionLabels: model.actions.space.labels,
    holdReasons: HOLD_REASONS,
  };
}

/** Every baseline on the model's window. */
export function runBaselines(model: EnvModel, opts: BaselineOptions = {}): Baselines {
  const random = runBacktest(model, randomPolicy(model), { seed: opts.seed ?? 0 });
  const maCrossover = runBacktest(model, maCrossoverPolicy(model, opts.maCrossover));
  const buyAndHold = buyAndHoldTrace(model);
  if (opts.skipPerfectForesight === true) return { buyAndHold, random, maCrossover, perfectForesight: null, bound: null };
  const bound = perfectForesight(marketTradePath(model.market), model.config, model.initialCash, model.initialCoins, opts.perfectForesight);
  const perfect = runBacktest(model, replayPolicy("perfect_foresight", bound.actions));
  return { buyAndHold, random, maCrossover, perfectForesight: perfect, bound };
}
