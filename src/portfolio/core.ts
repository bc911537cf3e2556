import { EnvError } from "../env/errors.js";
import { RewardInput } from "../env/rewards/reward-scheme.js";
import type { Rng } from "../util/rng.js";
import type { PortfolioModel } from "./model.js";
import { LegCode, rebalanceToWeights, RebalanceResult } from "./rebalance.js";

/**
 * The pure core of the portfolio env, as the single-asset env's core.ts: `PortfolioState` is N episodes'
 * explicit state (struct-of-arrays); startEpisode, transition and observe read only their arguments and write
 * only env i's slots and the scratch they are given, so the single env, the vec env, the backtest and the
 * checker all run this one code path.
 *
 * A step: the action becomes target weights (the scheme), the rebalance fills every leg through the env's
 * executeOrder at row t's fill prices, the clock moves to t + 1, the portfolio is valued at the closes of
 * t + 1, the reward scheme scores the step against the benchmark, and the terminal tests run.
 * The benchmark H (the reward's "hold" value, the observation's pnl_vs_hold, finishedEpisodes.profit) is the
 * equal-weight buy-and-hold: the initial cash split equally over the assets at the episode's first close,
 * fee-free, never rebalanced.
 */
export interface PortfolioState {
  readonly n: number;
  readonly assets: number;
  readonly row: Int32Array;
  readonly endRow: Int32Array;
  readonly startRow: Int32Array;
  readonly steps: Int32Array;
  readonly done: Uint8Array;
  readonly cash: Float64Array;
  /** n × K coins, env-major. */
  readonly coins: Float64Array;
  /** Value at the current row's closes. */
  readonly value: Float64Array;
  /** The benchmark's value at the current row's closes. */
  readonly holdValue: Float64Array;
  readonly startValue: Float64Array;
  readonly feesTotal: Float64Array;
  readonly returnSum: Float64Array;
  /** n × K coins of the benchmark, set at the episode's start. */
  readonly holdUnits: Float64Array;
  /** Reward schemes' memory: n × rewards.stateSize. */
  readonly rewardMemory: Float64Array;
}

export function allocPortfolioState(n: number, assets: number, rewardStateSize: number): PortfolioState {
  return {
    n,
    assets,
    row: new Int32Array(n),
    endRow: new Int32Array(n),
    startRow: new Int32Array(n),
    steps: new Int32Array(n),
    done: new Uint8Array(n),
    cash: new Float64Array(n),
    coins: new Float64Array(n * assets),
    value: new Float64Array(n),
    holdValue: new Float64Array(n),
    startValue: new Float64Array(n),
    feesTotal: new Float64Array(n),
    returnSum: new Float64Array(n),
    holdUnits: new Float64Array(n * assets),
    rewardMemory: new Float64Array(n * rewardStateSize),
  };
}

/** What one step did beyond the state. Mutable scratch, reused every step. */
export class PortfolioStepScratch {
  /** Set by a caller of applyTargets to skip the rebalance (no leg trades: buy-and-hold baselines). */
  hold = false;
  reward = 0;
  terminated = false;
  truncated = false;
  /** The target weights the action named. */
  readonly targets: Float64Array;
  readonly rebalance: RebalanceResult;
  readonly rewardInput = new RewardInput();

  constructor(readonly assets: number) {
    this.targets = new Float64Array(assets);
    this.rebalance = new RebalanceResult(assets);
  }
}

/** First row of a new episode, as the single env: uniform for random windows, the first usable row in full mode. */
export function samplePortfolioStart(model: PortfolioModel, rng: Rng, startOverride?: number): number {
  const { firstRow, lastRow } = model.market;
  const latest = model.fullEpisode ? firstRow : lastRow - model.episodeLength;
  if (startOverride !== undefined) {
    if (!(Number.isInteger(startOverride) && startOverride >= firstRow && startOverride <= latest)) {
      throw new EnvError("invalid_reset_option", `startRow must be an integer in [${firstRow}, ${latest}], got ${startOverride}`, "options.startRow");
    }
    return startOverride;
  }
  return model.fullEpisode ? firstRow : firstRow + rng.int(latest - firstRow + 1);
}

export function startPortfolioEpisode(model: PortfolioModel, s: PortfolioState, i: number, startRow: number): void {
  const K = model.assets;
  const close = model.market.close;
  const cash = model.initialCash;
  s.row[i] = startRow;
  s.startRow[i] = startRow;
  s.endRow[i] = model.fullEpisode ? model.market.lastRow : startRow + model.episodeLength;
  s.steps[i] = 0;
  s.done[i] = 0;
  s.cash[i] = cash;
  for (let k = 0; k < K; k++) {
    s.coins[i * K + k] = 0;
    s.holdUnits[i * K + k] = cash / K / close[startRow * K + k]!;
  }
  s.value[i] = cash;
  s.holdValue[i] = cash;
  s.startValue[i] = cash;
  s.feesTotal[i] = 0;
  s.returnSum[i] = 0;
  model.rewards.start(s.rewardMemory, i * model.rewards.stateSize, cash);
}

/** The transition of env i under the action at actions[offset …] (actionSize numbers). */
export function portfolioTransition(model: PortfolioModel, s: PortfolioState, i: number, actions: ArrayLike<number>, offset: number, out: PortfolioStepScratch): void {
  model.actions.targetWeights(actions, offset, out.targets);
  out.hold = false;
  applyTargets(model, s, i, out);
}

/** A step without a rebalance: every leg holds ("hold_action"). */
function keepPositions(s: PortfolioState, i: number, r: RebalanceResult): void {
  const K = r.assets;
  r.cash = s.cash[i]!;
  r.fee = 0;
  r.notional = 0;
  r.legsTraded = 0;
  r.plannedValue = Number.NaN;
  for (let k = 0; k < K; k++) {
    r.coins[k] = s.coins[i * K + k]!;
    r.coinsDelta[k] = 0;
    r.legNotional[k] = 0;
    r.legFee[k] = 0;
    r.legPrice[k] = Number.NaN;
    r.legCode[k] = LegCode.HOLD_ACTION;
  }
}

/**
 * The transition with the target weights already in out.targets (or out.hold set): the backtest's baselines (equal weights,
 * one asset, perfect foresight) trade through here without an action scheme, on the same code path.
 */
export function applyTargets(model: PortfolioModel, s: PortfolioState, i: number, out: PortfolioStepScratch): void {
  const K = model.assets;
  const market = model.market;
  const row = s.row[i]!;
  const r = out.rebalance;
  if (out.hold) keepPositions(s, i, r);
  else rebalanceToWeights(model.rebalance, s.cash[i]!, s.coins, i * K, market.close, market.fillBase, market.tradable, row * K, out.targets, r);
  const next = row + 1;
  let value = r.cash;
  let holdValue = 0;
  for (let k = 0; k < K; k++) {
    const p = market.close[next * K + k]!;
    value += r.coins[k]! * p;
    holdValue += s.holdUnits[i * K + k]! * p;
  }
  const ri = out.rewardInput;
  ri.prevValue = s.value[i]!;
  ri.value = value;
  ri.prevHoldValue = s.holdValue[i]!;
  ri.holdValue = holdValue;
  ri.notional = r.notional;
  ri.fee = r.fee;
  const reward = model.rewards.reward(ri, s.rewardMemory, i * model.rewards.stateSize);

  s.row[i] = next;
  s.steps[i]! += 1;
  s.cash[i] = r.cash;
  for (let k = 0; k < K; k++) s.coins[i * K + k] = r.coins[k]!;
  s.value[i] = value;
  s.holdValue[i] = holdValue;
  s.feesTotal[i]! += r.fee;
  s.returnSum[i]! += reward;
  const terminated = value < model.ruinFraction * s.startValue[i]!;
  const truncated = next === s.endRow[i];
  if (terminated || truncated) s.done[i] = 1;
  out.reward = reward;
  out.terminated = terminated;
  out.truncated = truncated;
}

/** The observation of env i into out[offset … offset + layout.size): causal (rows ≤ the clock's row only). */
export function observePortfolio(model: PortfolioModel, s: PortfolioState, i: number, out: Float32Array, offset: number): void {
  const market = model.market;
  const layout = model.layout;
  const n = layout.marketSize;
  const row = s.row[i]!;
  const from = row * market.featureCols;
  const features = market.paddedFeatures;
  for (let j = 0; j < n; j++) out[offset + j] = features[from + j]!;
  const K = model.assets;
  const value = s.value[i]!;
  let at = offset + n;
  if (layout.weights) {
    for (let k = 0; k < K; k++) out[at++] = value > 0 ? (s.coins[i * K + k]! * market.close[row * K + k]!) / value : 0;
  }
  if (layout.cashShare) out[at++] = value > 0 ? s.cash[i]! / value : 0;
  if (layout.pnlVsHold) {
    const h = s.holdValue[i]!;
    out[at++] = (value - h) / h;
  }
}
