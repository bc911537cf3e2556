import type { Rng } from "../util/rng.js";
import { HoldCode, Order, type ActionScheme } from "./actions/action-scheme.js";
import type { EnvConfig } from "./config.js";
import { EnvError } from "./errors.js";
import { executeOrder, Fill } from "./fill.js";
import type { PreparedMarket } from "./market.js";
import { writeObservation, type ObservationLayout } from "./observation.js";
import type { OrderFilter } from "./order-filter.js";
import { RewardInput, type RewardScheme } from "./rewards/reward-scheme.js";

/**
 * The pure core of the env. `EnvModel` is everything fixed for the env's life (market, schemes, parameters);
 * `EnvState` is the explicit state of N episodes, struct-of-arrays. The functions below are the env:
 *   startEpisode  — initial state of env i for a start row,
 *   stepEpisode   — transition: order → fill → move the clock → value → reward → terminal tests,
 *   observe       — the observation of env i.
 * They read only their arguments and write only env i's slots of the state (and the scratch they are given),
 * so the single env (N = 1), the vec env (N envs) and the checker all run this one code path.
 */
export interface EnvModel {
  readonly config: EnvConfig;
  readonly market: PreparedMarket;
  readonly actions: ActionScheme;
  readonly rewards: RewardScheme;
  readonly layout: ObservationLayout;
  readonly initialCash: number;
  readonly initialCoins: number;
  readonly commission: number;
  /** Terminated when value < ruinFraction × start value (0: never). */
  readonly ruinFraction: number;
  /** Steps per random episode; 0 in full mode. */
  readonly episodeLength: number;
  readonly fullEpisode: boolean;
  /**
   * Applied between the action scheme's order and the fill (the coach's guidance, a live risk manager); null:
   * none, and the env is exactly the action scheme's. A stateful filter belongs to one env (a backtest, a trader).
   */
  readonly orderFilter: OrderFilter | null;
}

/** N episodes' state, struct-of-arrays; slot i belongs to env i. */
export interface EnvState {
  readonly n: number;
  /** Row the clock is on (the observation's row). */
  readonly row: Int32Array;
  /** Row on which the episode is truncated. */
  readonly endRow: Int32Array;
  readonly startRow: Int32Array;
  /** Steps taken in the episode. */
  readonly steps: Int32Array;
  /** 1 once the episode terminated or truncated (the single env refuses to step it again). */
  readonly done: Uint8Array;
  readonly cash: Float64Array;
  readonly coins: Float64Array;
  /** Value at the current row's close. */
  readonly value: Float64Array;
  /** Value of the starting mix at the current row's close. */
  readonly holdValue: Float64Array;
  /** Value at the start of the episode. */
  readonly startValue: Float64Array;
  readonly feesTotal: Float64Array;
  /** Sum of the episode's rewards. */
  readonly returnSum: Float64Array;
  /** Reward schemes' memory: n × rewards.stateSize. */
  readonly rewardMemory: Float64Array;
}

export function allocEnvState(n: number, rewardStateSize: number): EnvState {
  return {
    n,
    row: new Int32Array(n),
    endRow: new Int32Array(n),
    startRow: new Int32Array(n),
    steps: new Int32Array(n),
    done: new Uint8Array(n),
    cash: new Float64Array(n),
    coins: new Float64Array(n),
    value: new Float64Array(n),
    holdValue: new Float64Array(n),
    startValue: new Float64Array(n),
    feesTotal: new Float64Array(n),
    returnSum: new Float64Array(n),
    rewardMemory: new Float64Array(n * rewardStateSize),
  };
}

/** Scratch of one step: what the transition did, beyond the state (read by the single env's info). */
export class StepScratch {
  /** The action to apply (`transition` reads it; `stepEpisode` writes it). A float from the start: no Smi field. */
  action = 0.5;
  reward = 0;
  terminated = false;
  truncated = false;
  /** HoldCode of the step: TRADE, or why the action became a hold. */
  holdCode: HoldCode = HoldCode.TRADE;
  readonly order = new Order();
  readonly fill = new Fill();
  readonly rewardInput = new RewardInput();
}

/**
 * First row of a new episode: uniform in [firstRow, lastRow + 1 − length) for random windows (the article:
 * `rng.integers(0, rows − 500)`), firstRow in full mode. `startOverride` pins it (evaluation, tests).
 */
export function sampleStartRow(model: EnvModel, rng: Rng, startOverride?: number): number {
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

/** Initial state of env i: the starting mix, the clock on `startRow`. */
export function startEpisode(model: EnvModel, s: EnvState, i: number, startRow: number): void {
  const p = model.market.close[startRow]!;
  const cash = model.initialCash;
  const coins = model.initialCoins;
  const value = cash + coins * p;
  s.row[i] = startRow;
  s.startRow[i] = startRow;
  s.endRow[i] = model.fullEpisode ? model.market.lastRow : startRow + model.episodeLength;
  s.steps[i] = 0;
  s.done[i] = 0;
  s.cash[i] = cash;
  s.coins[i] = coins;
  s.value[i] = value;
  s.holdValue[i] = model.initialCash + model.initialCoins * p;
  s.startValue[i] = value;
  s.feesTotal[i] = 0;
  s.returnSum[i] = 0;
  model.rewards.start(s.rewardMemory, i * model.rewards.stateSize, value);
}

/**
 * The transition of env i under `action`: the order is decided at close[row], passes the model's order filter
 * (if any), fills at the fill price of
 * row (close[row], or open[row+1]) through `executeOrder`, the clock moves to row+1, the portfolio is
 * valued at close[row+1], the reward scheme scores the step, and the terminal tests run. Writes the reward,
 * the flags and what traded into `out`.
 */
export function stepEpisode(model: EnvModel, s: EnvState, i: number, action: number, out: StepScratch): void {
  out.action = action;
  transition(model, s, i, out);
}

/**
 * `stepEpisode` with the action read from `out.action`. The vec env calls this form: a float action passed
 * as an argument to a function V8 does not inline is boxed (one heap number per step); a field store is not.
 */
export function transition(model: EnvModel, s: EnvState, i: number, out: StepScratch): void {
  const action = out.action;
  const market = model.market;
  const row = s.row[i]!;
  const cash = s.cash[i]!;
  const coins = s.coins[i]!;
  const order = out.order;
  const fill = out.fill;
  let code = model.actions.decide(action, cash, coins, market.close[row]!, order);
  const filter = model.orderFilter;
  if (filter !== null) code = filter.filter(code, order, cash, coins, market.close[row]!, row);
  const base = market.fillBase[row]!;
  executeOrder(cash, coins, order, base * market.buyFactor, base * market.sellFactor, model.commission, fill);

  const next = row + 1;
  const p = market.close[next]!;
  const value = fill.cash + fill.coins * p;
  const holdValue = model.initialCash + model.initialCoins * p;

  const ri = out.rewardInput;
  ri.prevValue = s.value[i]!;
  ri.value = value;
  ri.prevHoldValue = s.holdValue[i]!;
  ri.holdValue = holdValue;
  ri.notional = fill.notional;
  ri.fee = fill.fee;
  const reward = model.rewards.reward(ri, s.rewardMemory, i * model.rewards.stateSize);

  s.row[i] = next;
  s.steps[i]! += 1;
  s.cash[i] = fill.cash;
  s.coins[i] = fill.coins;
  s.value[i] = value;
  s.holdValue[i] = holdValue;
  s.feesTotal[i]! += fill.fee;
  s.returnSum[i]! += reward;

  const terminated = value < model.ruinFraction * s.startValue[i]!;
  const truncated = next === s.endRow[i];
  if (terminated || truncated) s.done[i] = 1;
  out.reward = reward;
  out.terminated = terminated;
  out.truncated = truncated;
  out.holdCode = code;
}

/** The observation of env i into out[offset … offset + layout.size). */
export function observe(model: EnvModel, s: EnvState, i: number, out: Float32Array, offset: number): void {
  writeObservation(model.market, model.layout, s.row[i]!, s.cash[i]!, s.coins[i]!, out, offset);
}
