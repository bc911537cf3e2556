/**
 * A portfolio backtest runs one policy over a whole window in full-series mode through the portfolio's pure
 * core (startPortfolioEpisode / applyTargets / observePortfolio): the same rebalance, fills and fees as the
 * vec env the agent trains on. The trace satisfies the evaluation module's EquityRecord, so the portfolio's
 * metrics are computeMetrics' (src/eval/metrics.ts), with the equal-weight buy-and-hold as `holdValue`.
 */
import { EvalError } from "../eval/errors.js";
import type { EquityRecord } from "../eval/metrics.js";
import type { Policy } from "../agent/policy.js";
import { Rng } from "../util/rng.js";
import { allocPortfolioState, applyTargets, observePortfolio, PortfolioStepScratch, startPortfolioEpisode } from "./core.js";
import type { PortfolioMarket, PortfolioModel } from "./model.js";
import { LEG_REASONS, LegCode } from "./rebalance.js";

/** What a policy may read at a decision besides the observation: rows after `row` are off limits. */
export interface PortfolioPolicyContext {
  readonly step: number;
  readonly row: number;
  readonly market: PortfolioMarket;
  readonly cash: number;
  /** K coins (a view: read, never keep). */
  readonly coins: Float64Array;
  readonly value: number;
  /** The policy's own seeded random stream. */
  readonly rng: Rng;
}

/** Anything that allocates: the agent (through its action scheme) or a baseline (weights directly). */
export interface PortfolioPolicy {
  readonly name: string;
  reset(): void;
  /** Writes target weights into `targets` (K values) and returns true, or returns false to hold (no trade). */
  act(observation: Float32Array, ctx: PortfolioPolicyContext, targets: Float64Array): boolean;
}

/** One backtest, step by step; (n + 1)-arrays hold the state before the first step, then after each. */
export interface PortfolioTrace extends EquityRecord {
  readonly name: string;
  readonly symbols: readonly string[];
  readonly steps: number;
  readonly terminated: boolean;
  readonly firstRow: number;
  /** n + 1 valuation timestamps. */
  readonly timestamp: Float64Array;
  /** (n + 1) × K closes. */
  readonly prices: Float64Array;
  readonly cash: Float64Array;
  /** (n + 1) × K coins. */
  readonly coins: Float64Array;
  /** n × K target weights of each step (NaN on a step that held). */
  readonly targets: Float64Array;
  /** n × K weights held through each step (after its trades, at the decision closes). */
  readonly weights: Float64Array;
  /** n × K leg codes (LegCode). */
  readonly legCode: Uint8Array;
  readonly legNotional: Float64Array;
  readonly legFee: Float64Array;
  /** n rewards (the env's reward scheme). */
  readonly reward: Float64Array;
  readonly legReasons: readonly (string | null)[];
}

/**
 * Runs `policy` over the model's whole window. EquityRecord fields: `holdValue` is the equal-weight
 * buy-and-hold benchmark; `exposure` is the gross weight in assets (Σ weights); `executed` counts the legs
 * traded at each step (so the metrics' `trades` counts legs); `turnedIntoHold` is 1 where the policy asked
 * for a rebalance and no leg traded.
 */
export function runPortfolioBacktest(model: PortfolioModel, policy: PortfolioPolicy, opts: { readonly seed?: number } = {}): PortfolioTrace {
  if (!model.fullEpisode) {
    throw new EvalError("not_full_series", "a backtest needs the env in full-series mode (episode.mode = \"full\")", "episode.mode");
  }
  const market = model.market;
  const K = model.assets;
  const first = market.firstRow;
  const maxSteps = market.lastRow - first;
  const state = allocPortfolioState(1, K, model.rewards.stateSize);
  const scratch = new PortfolioStepScratch(K);
  const obs = new Float32Array(model.layout.size);
  const rng = new Rng(opts.seed ?? 0);
  const n1 = maxSteps + 1;
  const timestamp = new Float64Array(n1);
  const prices = new Float64Array(n1 * K);
  const cash = new Float64Array(n1);
  const coins = new Float64Array(n1 * K);
  const value = new Float64Array(n1);
  const holdValue = new Float64Array(n1);
  const targets = new Float64Array(maxSteps * K);
  const weights = new Float64Array(maxSteps * K);
  const legCode = new Uint8Array(maxSteps * K);
  const legNotional = new Float64Array(maxSteps * K);
  const legFee = new Float64Array(maxSteps * K);
  const reward = new Float64Array(maxSteps);
  const exposure = new Float64Array(maxSteps);
  const executed = new Uint8Array(maxSteps);
  const turnedIntoHold = new Uint8Array(maxSteps);
  const tradedNotional = new Float64Array(maxSteps);
  const fees = new Float64Array(maxSteps);

  startPortfolioEpisode(model, state, 0, first);
  const record = (k: number): void => {
    const row = state.row[0]!;
    timestamp[k] = market.timestamp[row]!;
    cash[k] = state.cash[0]!;
    value[k] = state.value[0]!;
    holdValue[k] = state.holdValue[0]!;
    for (let j = 0; j < K; j++) {
      prices[k * K + j] = market.close[row * K + j]!;
      coins[k * K + j] = state.coins[j]!;
    }
  };
  record(0);
  policy.reset();
  const ctx = { step: 0, row: first, market, cash: 0, coins: state.coins.subarray(0, K), value: 0, rng };
  let steps = 0;
  let terminated = false;
  const r = scratch.rebalance;
  while (steps < maxSteps) {
    const row = state.row[0]!;
    observePortfolio(model, state, 0, obs, 0);
    ctx.step = steps;
    ctx.row = row;
    ctx.cash = state.cash[0]!;
    ctx.value = state.value[0]!;
    const rebalance = policy.act(obs, ctx, scratch.targets);
    if (rebalance) {
      let sum = 0;
      for (let j = 0; j < K; j++) {
        const w = scratch.targets[j]!;
        if (!(w >= 0 && w <= 1)) throw new EvalError("invalid_action", `policy "${policy.name}" gave target weight ${w} for ${market.symbols[j]} at step ${steps}`, "policy.act");
        sum += w;
      }
      if (sum > 1 + 1e-9) throw new EvalError("invalid_action", `policy "${policy.name}" gave target weights summing to ${sum} at step ${steps}`, "policy.act");
    }
    scratch.hold = !rebalance;
    applyTargets(model, state, 0, scratch);
    let held = 0;
    for (let j = 0; j < K; j++) {
      const at = steps * K + j;
      targets[at] = rebalance ? scratch.targets[j]! : Number.NaN;
      legCode[at] = r.legCode[j]!;
      legNotional[at] = r.legNotional[j]!;
      legFee[at] = r.legFee[j]!;
      const v = r.coins[j]! * market.close[row * K + j]!;
      weights[at] = v;
      held += v;
    }
    const v = r.cash + held;
    let gross = 0;
    for (let j = 0; j < K; j++) {
      const w = v > 0 ? weights[steps * K + j]! / v : 0;
      weights[steps * K + j] = w;
      gross += w;
    }
    exposure[steps] = gross;
    executed[steps] = r.legsTraded;
    turnedIntoHold[steps] = rebalance && r.legsTraded === 0 ? 1 : 0;
    tradedNotional[steps] = r.notional;
    fees[steps] = r.fee;
    reward[steps] = scratch.reward;
    steps++;
    record(steps);
    if (scratch.terminated) {
      terminated = true;
      break;
    }
    if (scratch.truncated) break;
  }
  const n = steps;
  const cut = <T extends Float64Array | Uint8Array>(x: T, len: number): T => (len === x.length ? x : (x.subarray(0, len) as T));
  return {
    name: policy.name,
    symbols: market.symbols,
    steps: n,
    terminated,
    firstRow: first,
    periodMs: medianStep(market.timestamp),
    timestamp: cut(timestamp, n + 1),
    prices: cut(prices, (n + 1) * K),
    cash: cut(cash, n + 1),
    coins: cut(coins, (n + 1) * K),
    value: cut(value, n + 1),
    holdValue: cut(holdValue, n + 1),
    targets: cut(targets, n * K),
    weights: cut(weights, n * K),
    legCode: cut(legCode, n * K),
    legNotional: cut(legNotional, n * K),
    legFee: cut(legFee, n * K),
    reward: cut(reward, n),
    exposure: cut(exposure, n),
    executed: cut(executed, n),
    turnedIntoHold: cut(turnedIntoHold, n),
    tradedNotional: cut(tradedNotional, n),
    fees: cut(fees, n),
    legReasons: LEG_REASONS,
  };
}

/** Bar length: the median gap between the first ~100 timestamps (robust to the odd missing hour). */
function medianStep(ts: Float64Array): number {
  const k = Math.min(ts.length - 1, 101);
  if (k < 1) return 3_600_000;
  const gaps = Float64Array.from({ length: k }, (_, i) => ts[i + 1]! - ts[i]!).sort();
  return gaps[k >> 1]!;
}

/** The trained agent as a backtest policy: its action (greedy or sampled) through the model's weight scheme. */
export function portfolioAgentPolicy(policy: Policy<unknown>, model: PortfolioModel, mode: "greedy" | "sample" = "greedy", name = "agent"): PortfolioPolicy {
  const size = model.actions.actionSize;
  const continuous = policy.head.kind === "diagonal_gaussian";
  if (model.actions.discrete ? policy.head.kind !== "categorical" : !continuous || policy.head.dims !== size) {
    throw new EvalError("invalid_options", `the agent's ${policy.head.kind} head does not fit this env's actions "${model.actions.name}" (${size} value(s))`, "actions.kind");
  }
  const action = new Float64Array(size);
  return {
    name,
    reset: () => policy.reset(),
    act(obs, ctx, targets) {
      const decision = policy.act(obs, mode === "sample" ? { mode: "sample", rng: ctx.rng } : { mode: "greedy" });
      // Greedy for the diagonal head is its mean u = μ, which the scheme maps to weights.
      if (continuous) action.set(decision.values!);
      else action[0] = decision.action;
      model.actions.targetWeights(action, 0, targets);
      return true;
    },
  };
}

/** A policy that replays actions of the model's scheme (a perfect-foresight path, a recorded run). */
export function replayPortfolioActions(name: string, model: PortfolioModel, actions: ArrayLike<number>): PortfolioPolicy {
  const size = model.actions.actionSize;
  return {
    name,
    reset() {},
    act(_obs, ctx, targets) {
      if ((ctx.step + 1) * size > actions.length) throw new EvalError("invalid_options", `the replayed path has ${actions.length / size} actions, step ${ctx.step} asked`, name);
      model.actions.targetWeights(actions, ctx.step * size, targets);
      return true;
    },
  };
}

/** Per-asset figures of one backtest: what the policy held, traded and earned in each asset. */
export interface AssetBreakdown {
  readonly symbol: string;
  /** Mean weight held through the steps. */
  readonly averageWeight: number;
  /** Legs traded in the asset. */
  readonly trades: number;
  readonly tradedNotional: number;
  readonly feesPaid: number;
  /** Σ_t coins held through step t × (close_{t+1} − close_t): the asset's mark-to-market P&L (USD), fees excluded. */
  readonly pnl: number;
  /** pnl / initial value. */
  readonly pnlShare: number;
  /** Legs asked for that did not trade because the asset had no bar (missing_bar). */
  readonly missingBarHolds: number;
}

export function assetBreakdown(trace: PortfolioTrace): AssetBreakdown[] {
  const K = trace.symbols.length;
  const n = trace.steps;
  return trace.symbols.map((symbol, k) => {
    let w = 0, trades = 0, notional = 0, fee = 0, pnl = 0, missing = 0;
    for (let t = 0; t < n; t++) {
      const at = t * K + k;
      w += trace.weights[at]!;
      if (trace.legCode[at] === LegCode.TRADE) trades++;
      if (trace.legCode[at] === LegCode.MISSING_BAR) missing++;
      notional += trace.legNotional[at]!;
      fee += trace.legFee[at]!;
      pnl += trace.coins[(t + 1) * K + k]! * (trace.prices[(t + 1) * K + k]! - trace.prices[t * K + k]!);
    }
    return {
      symbol,
      averageWeight: n > 0 ? w / n : 0,
      trades,
      tradedNotional: notional,
      feesPaid: fee,
      pnl,
      pnlShare: pnl / trace.value[0]!,
      missingBarHolds: missing,
    };
  });
}
