/**
 * A backtest runs one policy over a whole window in the env's full-series mode, through the env's pure core
 * (`startEpisode` / `stepEpisode` / `observe`): the same transition, fills and fees as the vec env that
 * training steps. Every step is recorded column by column (typed arrays, nothing allocated per step).
 */
import type { Candles } from "../data/candles.js";
import {
  allocEnvState,
  createEnvModel,
  HoldCode,
  observe,
  startEpisode,
  stepEpisode,
  StepScratch,
  HOLD_REASONS,
  type EnvConfig,
  type EnvConfigRequest,
  type EnvModel,
  type PreparedMarket,
} from "../env/index.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { Rng } from "../util/rng.js";
import { EvalError } from "./errors.js";
import type { EquityRecord } from "./metrics.js";

/** What a policy may read at a decision, besides the observation. Causal: rows after `row` are off limits. */
export interface PolicyContext {
  /** Step index within the window (0 at the first decision). */
  readonly step: number;
  /** Candle row the decision is taken on (its close is the last price seen). */
  readonly row: number;
  /** The env's prepared market (closes, timestamps); indicator baselines read rows ≤ `row` only. */
  readonly market: PreparedMarket;
  readonly cash: number;
  readonly coins: number;
  /** Portfolio value at the close of `row`. */
  readonly value: number;
  /** The policy's own seeded random stream (sampled actions, random baselines). */
  readonly rng: Rng;
}

/** Anything that picks actions: the trained agent (through an adapter), or a baseline. */
export interface BacktestPolicy {
  /** Name in tables and charts, e.g. "agent", "random", "ma_crossover(24,168)". */
  readonly name: string;
  /** Called once before the first step (clears recurrent state). */
  reset(): void;
  /** The action for this observation: an index for a discrete space, a value for a box. */
  act(observation: Float32Array, ctx: PolicyContext): number;
}

/** One backtest, step by step. Arrays of length n + 1 hold the state before the first step, then after each. */
export interface BacktestTrace extends EquityRecord {
  /** The policy's name. */
  readonly name: string;
  /** Steps taken (n): rows − 1 of the window, fewer when the episode terminated (ruin). */
  readonly steps: number;
  /** True when the env ended the episode early (value below the ruin fraction). */
  readonly terminated: boolean;
  /** Candle rows of the window: decisions on firstRow … firstRow + n − 1, marked through firstRow + n. */
  readonly firstRow: number;
  /** n + 1: timestamp (ms UTC, bar open) of each valuation row. */
  readonly timestamp: Float64Array;
  /** n + 1: close of each valuation row (the valuation price). */
  readonly price: Float64Array;
  /** n + 1: cash after each step (entry 0: the start). */
  readonly cash: Float64Array;
  /** n + 1: coins after each step. */
  readonly coins: Float64Array;
  /** n: the action taken at step t. */
  readonly action: Float64Array;
  /** n: HoldCode of step t (0 = executed; see HOLD_REASONS). */
  readonly holdCode: Uint8Array;
  /** n: +1 buy, −1 sell, 0 nothing traded. */
  readonly side: Int8Array;
  /** n: fill price of step t's trade, NaN when nothing traded. */
  readonly fillPrice: Float64Array;
  /** n: the env's reward for step t. */
  readonly reward: Float64Array;
  /** Labels of the action space (discrete), or of its single dimension (box). */
  readonly actionLabels: readonly string[];
  /** Hold reasons by HoldCode index (null for TRADE). */
  readonly holdReasons: readonly (string | null)[];
}

export interface BacktestWindow {
  /** First bar (open time) of the window, inclusive; ISO date or ms. Default: the first candle. */
  readonly start?: string | number;
  /** End of the window, exclusive; ISO date or ms. Default: after the last candle. */
  readonly end?: string | number;
}

/**
 * The env config a backtest runs with: the given config (or preset) in full-series mode over the window.
 * The rest of the config (fees, fills, actions, observation) is kept as is, so that a checkpoint is tested
 * under the conditions it was trained with.
 */
export function fullSeriesConfig(config: EnvConfig | EnvConfigRequest, window: BacktestWindow = {}): EnvConfigRequest {
  const base: EnvConfigRequest = typeof config === "string" ? { preset: config } : config;
  const episode: { mode: "full"; from?: string | number; to?: string | number } = { mode: "full" };
  if (window.start !== undefined) episode.from = window.start;
  if (window.end !== undefined) episode.to = window.end;
  return { ...base, episode } as EnvConfigRequest;
}

/** The env model of a backtest: full series over the window, features from the config or given. */
export function backtestModel(
  candles: Candles,
  config: EnvConfig | EnvConfigRequest,
  window: BacktestWindow = {},
  features?: FeatureMatrix,
): EnvModel {
  try {
    return createEnvModel({ candles, config: fullSeriesConfig(config, window), ...(features ? { features } : {}) });
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "invalid_market") {
      throw new EvalError("invalid_window", `${err.message} (window ${JSON.stringify(window)})`, "window");
    }
    throw err;
  }
}

export interface BacktestOptions {
  /** Seed of the policy's random stream (sampled actions, random baselines). */
  readonly seed?: number;
  /**
   * Called after each step with what it did (the coach in the loop reads it, src/coach/coached-backtest.ts). The
   * view is one object reused every step: copy what you keep. It cannot change the step.
   */
  readonly onStep?: (view: BacktestStepView) => void;
}

/** One step as an observer sees it right after it (all the values a trader would report at the decision's close). */
export class BacktestStepView {
  /** Step index (0 at the first decision). */
  step = 0;
  /** The decision row: its close is the decision price. */
  row = 0;
  /** The action the policy asked for. */
  action = 0;
  /** HoldCode of the step after the order filter (TRADE: executed). */
  holdCode = 0;
  /** +1 buy, −1 sell, 0 nothing traded. */
  side = 0;
  /** Cash and coins after the fill. */
  cash = 0;
  coins = 0;
  /** Commission paid on this step and traded notional. */
  fee = 0;
  notional = 0;
  /** The env's reward for the step (it is realised at the next bar's close). */
  reward = 0;
}

/** Runs `policy` over the model's whole window and records every step. */
export function runBacktest(model: EnvModel, policy: BacktestPolicy, opts: BacktestOptions = {}): BacktestTrace {
  if (!model.fullEpisode) {
    throw new EvalError("not_full_series", "a backtest needs the env in full-series mode (episode.mode = \"full\"); build it with backtestModel()", "episode.mode");
  }
  const market = model.market;
  const first = market.firstRow;
  const maxSteps = market.lastRow - first;
  const state = allocEnvState(1, model.rewards.stateSize);
  const scratch = new StepScratch();
  const obs = new Float32Array(model.layout.size);
  const rng = new Rng(opts.seed ?? 0);

  const timestamp = new Float64Array(maxSteps + 1);
  const price = new Float64Array(maxSteps + 1);
  const cash = new Float64Array(maxSteps + 1);
  const coins = new Float64Array(maxSteps + 1);
  const value = new Float64Array(maxSteps + 1);
  const holdValue = new Float64Array(maxSteps + 1);
  const action = new Float64Array(maxSteps);
  const holdCode = new Uint8Array(maxSteps);
  const side = new Int8Array(maxSteps);
  const fillPrice = new Float64Array(maxSteps);
  const reward = new Float64Array(maxSteps);
  const exposure = new Float64Array(maxSteps);
  const executed = new Uint8Array(maxSteps);
  const turnedIntoHold = new Uint8Array(maxSteps);
  const tradedNotional = new Float64Array(maxSteps);
  const fees = new Float64Array(maxSteps);

  startEpisode(model, state, 0, first);
  const record = (k: number): void => {
    const row = state.row[0]!;
    timestamp[k] = market.timestamp[row]!;
    price[k] = market.close[row]!;
    cash[k] = state.cash[0]!;
    coins[k] = state.coins[0]!;
    value[k] = state.value[0]!;
    holdValue[k] = state.holdValue[0]!;
  };
  record(0);
  policy.reset();
  const discrete = model.actions.discrete;
  const n0 = model.actions.space.kind === "discrete" ? model.actions.space.n : 0;
  let steps = 0;
  let terminated = false;
  const onStep = opts.onStep;
  const view = new BacktestStepView();
  const ctx = {
    step: 0,
    row: first,
    market,
    cash: 0,
    coins: 0,
    value: 0,
    rng,
  };
  while (steps < maxSteps) {
    const row = state.row[0]!;
    observe(model, state, 0, obs, 0);
    ctx.step = steps;
    ctx.row = row;
    ctx.cash = state.cash[0]!;
    ctx.coins = state.coins[0]!;
    ctx.value = state.value[0]!;
    const a = policy.act(obs, ctx);
    if (discrete ? !(Number.isInteger(a) && a >= 0 && a < n0) : Number.isNaN(a)) {
      throw new EvalError("invalid_action", `policy "${policy.name}" returned ${a} at step ${steps} (row ${row})`, "policy.act");
    }
    stepEpisode(model, state, 0, a, scratch);
    const f = scratch.fill;
    const code = scratch.holdCode;
    action[steps] = a;
    holdCode[steps] = code;
    executed[steps] = code === HoldCode.TRADE ? 1 : 0;
    turnedIntoHold[steps] = code !== HoldCode.TRADE && code !== HoldCode.HOLD_ACTION ? 1 : 0;
    side[steps] = code !== HoldCode.TRADE ? 0 : f.coinsDelta > 0 ? 1 : -1;
    fillPrice[steps] = code === HoldCode.TRADE ? f.price : Number.NaN;
    tradedNotional[steps] = f.notional;
    fees[steps] = f.fee;
    reward[steps] = scratch.reward;
    // Coin share held through the step: after the trade, valued at the decision close.
    const p = market.close[row]!;
    const held = f.coins * p;
    const v = f.cash + held;
    exposure[steps] = v > 0 ? held / v : 0;
    if (onStep !== undefined) {
      view.step = steps;
      view.row = row;
      view.action = a;
      view.holdCode = code;
      view.side = side[steps]!;
      view.cash = f.cash;
      view.coins = f.coins;
      view.fee = f.fee;
      view.notional = f.notional;
      view.reward = scratch.reward;
      onStep(view);
    }
    steps++;
    record(steps);
    if (scratch.terminated) {
      terminated = true;
      break;
    }
    if (scratch.truncated) break;
  }
  const n = steps;
  const cut = <T extends Float64Array | Uint8Array | Int8Array>(x: T, len: number): T => (len === x.length ? x : (x.subarray(0, len) as T));
  return {
    name: policy.name,
    steps: n,
    terminated,
    firstRow: first,
    periodMs: medianPeriod(market.timestamp),
    timestamp: cut(timestamp, n + 1),
    price: cut(price, n + 1),
    cash: cut(cash, n + 1),
    coins: cut(coins, n + 1),
    value: cut(value, n + 1),
    holdValue: cut(holdValue, n + 1),
    action: cut(action, n),
    holdCode: cut(holdCode, n),
    side: cut(side, n),
    fillPrice: cut(fillPrice, n),
    reward: cut(reward, n),
    exposure: cut(exposure, n),
    executed: cut(executed, n),
    turnedIntoHold: cut(turnedIntoHold, n),
    tradedNotional: cut(tradedNotional, n),
    fees: cut(fees, n),
    actionLabels: model.actions.space.labels,
    holdReasons: HOLD_REASONS,
  };
}

/** Bar length: the median gap between the first ~100 timestamps (robust to the odd missing hour). */
export function medianPeriod(ts: Float64Array): number {
  const k = Math.min(ts.length - 1, 101);
  if (k < 1) return 3_600_000;
  const gaps = Float64Array.from({ length: k }, (_, i) => ts[i + 1]! - ts[i]!).sort();
  return gaps[k >> 1]!;
}

/** A policy that replays a fixed action sequence (the perfect-foresight path, a recorded run). */
export function replayPolicy(name: string, actions: ArrayLike<number>): BacktestPolicy {
  return {
    name,
    reset() {},
    act(_obs, ctx) {
      const a = actions[ctx.step];
      if (a === undefined) throw new EvalError("invalid_options", `the replayed path has ${actions.length} actions, step ${ctx.step} asked`, name);
      return a;
    },
  };
}

/**
 * Per-step rows for export. `timestamp` and `price` are the decision bar's open time and close; `cash` and
 * `coins` are after the step's trade; `value` is marked at the next bar's close; `exposure` is the coin share
 * held through the step.
 */
export function traceRows(trace: BacktestTrace): Array<Record<string, number | string | null>> {
  const rows: Array<Record<string, number | string | null>> = [];
  for (let t = 0; t < trace.steps; t++) {
    const a = trace.action[t]!;
    const code = trace.holdCode[t]!;
    rows.push({
      timestamp: new Date(trace.timestamp[t]!).toISOString(),
      price: trace.price[t]!,
      action: a,
      actionLabel: trace.actionLabels.length > 1 ? (trace.actionLabels[a] ?? null) : null,
      executed: trace.executed[t] === 1 ? (trace.side[t]! > 0 ? "buy" : "sell") : "hold",
      holdReason: trace.holdReasons[code] ?? null,
      fillPrice: Number.isNaN(trace.fillPrice[t]!) ? null : trace.fillPrice[t]!,
      fee: trace.fees[t]!,
      cash: trace.cash[t + 1]!,
      coins: trace.coins[t + 1]!,
      value: trace.value[t + 1]!,
      exposure: trace.exposure[t]!,
    });
  }
  return rows;
}

/** The per-step rows as CSV (header + one line per step; empty cells for nulls). */
export function traceCsv(trace: BacktestTrace): string {
  const rows = traceRows(trace);
  const cols = ["timestamp", "price", "action", "actionLabel", "executed", "holdReason", "fillPrice", "fee", "cash", "coins", "value", "exposure"];
  const cell = (v: number | string | null | undefined): string => {
    if (v === null || v === undefined) return "";
    const t = String(v);
    return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return [cols.join(","), ...rows.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}
