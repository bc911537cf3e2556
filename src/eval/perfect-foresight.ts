/**
 * The perfect-foresight upper bound: the best final value any policy could reach on a window, knowing every
 * future price, under the env's own action set, fill prices and fees. Computed by dynamic programming over the
 * coin share of the portfolio value, in log-value (so the objective adds up over steps):
 *
 *   J_n(s) = 0,   J_t(s) = max_a [ ln g_t(s, a) + J_{t+1}(s'_t(s, a)) ]
 *
 * where a step from share s with action a multiplies the value by g_t(s, a) and moves the share to s'_t(s, a).
 * Both come from the env's pure `decide` + `executeOrder` (the same code path as training), on a portfolio of
 * value 1, so the DP is exact for every scheme whose trades scale with the portfolio. The minimum-trade
 * thresholds (minCash, minCoins, minTradeUsd) break that scaling; the DP ignores them (they are set to 0) and
 * the forward path it returns is replayed through the real env, thresholds included, for the realised value.
 *
 * Two methods (docs/evaluation.md):
 * - "levels" (exact): used whenever the shares reachable from the start stay a small finite set, as for
 *   target-exposure levels filled at the decision price: after a trade the share is the chosen level (valued
 *   at the buy or the sell fill price) whatever the share before, so at most 2K + 1 states per step.
 * - "grid" (approximation): anything else, e.g. the article's buy-50%-of-cash / sell-50%-of-coins, whose
 *   share is continuous. J_{t+1} is kept on a uniform grid of G shares in [0, 1] and linearly interpolated.
 *   Checked against brute-force enumeration of all 3^n action sequences on short series (perfect-foresight.test.ts).
 */
import type { Candles } from "../data/candles.js";
import type { EnvConfig } from "../env/config.js";
import { createActionScheme, Order, type ActionScheme } from "../env/actions/index.js";
import { executeOrder, Fill } from "../env/fill.js";
import type { PreparedMarket } from "../env/market.js";
import { coins, usd } from "../env/units.js";

/** Prices of one step of the window: decide at `decision`, fill at `buy`/`sell`, mark the value at `mark`. */
export interface TradePath {
  readonly steps: number;
  /** Close of the decision row (what the agent has seen). */
  readonly decision: Float64Array;
  /** Fill price of a buy, slippage included. */
  readonly buy: Float64Array;
  /** Fill price of a sell, slippage included. */
  readonly sell: Float64Array;
  /** Price the value is marked at after the step: the close of the next row. */
  readonly mark: Float64Array;
}

/**
 * The prices of `steps` steps starting at candle row `startRow`, as the env fills them: step t decides on
 * row startRow + t and is marked at the close of the next row; a "close" fill trades at the decision close,
 * a "next_open" fill at the next row's open; slippage makes buys dearer and sells cheaper.
 */
export function tradePath(candles: Candles, config: EnvConfig, startRow: number, steps: number): TradePath {
  if (!(Number.isInteger(startRow) && Number.isInteger(steps) && startRow >= 0 && steps >= 0 && startRow + steps <= candles.length - 1)) {
    throw new RangeError(`a path of ${steps} steps from row ${startRow} needs rows up to ${startRow + steps}, have ${candles.length}`);
  }
  const slip = config.fill.slippageBps / 10_000;
  const decision = new Float64Array(steps), buy = new Float64Array(steps), sell = new Float64Array(steps), mark = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const row = startRow + t;
    const p = candles.close[row]!;
    const q = config.fill.at === "close" ? p : candles.open[row + 1]!;
    decision[t] = p;
    buy[t] = q * (1 + slip);
    sell[t] = q * (1 - slip);
    mark[t] = candles.close[row + 1]!;
  }
  return { steps, decision, buy, sell, mark };
}

/** The trade path of an env's whole full-series window, read from its prepared market (the env's own prices). */
export function marketTradePath(market: PreparedMarket): TradePath {
  const first = market.firstRow;
  const steps = market.lastRow - first;
  const decision = new Float64Array(steps), buy = new Float64Array(steps), sell = new Float64Array(steps), mark = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    const row = first + t;
    decision[t] = market.close[row]!;
    buy[t] = market.fillBase[row]! * market.buyFactor;
    sell[t] = market.fillBase[row]! * market.sellFactor;
    mark[t] = market.close[row + 1]!;
  }
  return { steps, decision, buy, sell, mark };
}

export interface PerfectForesightOptions {
  /** Grid points over the coin share [0, 1] for the "grid" method. */
  readonly gridSize?: number;
  /** Targets tried for a continuous-exposure scheme (evenly spaced in [0, 1]); the bound is for this subset. */
  readonly continuousLevels?: number;
}

export interface PerfectForesightResult {
  readonly method: "levels" | "grid";
  /** The DP's optimal ln(final value / initial value): the upper bound (an approximation for "grid"). */
  readonly logGrowth: number;
  /** exp(logGrowth) − 1. */
  readonly totalReturn: number;
  /** The forward path the DP picks from the real starting share: one action per step (index or target share). */
  readonly actions: Float64Array;
  /** ln growth of following `actions` on the scale-free model (no thresholds); ≤ logGrowth up to grid error. */
  readonly pathLogGrowth: number;
  readonly gridSize: number;
}

/** The DP's view of a scheme: a finite action list, each a number `decide` accepts. */
function actionValues(config: EnvConfig, continuousLevels: number): Float64Array {
  const a = config.actions;
  if (a.kind === "reference") return Float64Array.of(0, 1, 2);
  if (a.kind === "exposure_levels") return Float64Array.from(a.levels, (_, i) => i);
  // Hold / buy / sell with a size: sell all, sell half, hold, buy with half, buy with all (the bound for these five).
  if (a.kind === "side_and_size") return Float64Array.of(-1, -0.5, 0, 0.5, 1);
  return Float64Array.from({ length: continuousLevels }, (_, i) => i / (continuousLevels - 1));
}

/** The config with every minimum-trade threshold at 0, so that trades scale with the portfolio. */
function scaleFreeConfig(config: EnvConfig): EnvConfig {
  const a = config.actions;
  const actions =
    a.kind === "reference" || a.kind === "side_and_size" ? { ...a, minCash: usd(0), minCoins: coins(0) } : { ...a, minTradeUsd: usd(0) };
  return { ...config, actions };
}

/** One step of a value-1 portfolio with coin share s: returns ln(value after) and writes the share after. */
class ShareStep {
  private readonly order = new Order();
  private readonly fill = new Fill();
  /** Share after the last `apply`. */
  share = 0;

  constructor(
    private readonly scheme: ActionScheme,
    private readonly commission: number,
  ) {}

  apply(path: TradePath, t: number, s: number, action: number): number {
    const p = path.decision[t]!;
    const cash = 1 - s;
    const held = s / p;
    this.scheme.decide(action, cash, held, p, this.order);
    executeOrder(cash, held, this.order, path.buy[t]!, path.sell[t]!, this.commission, this.fill);
    const m = path.mark[t]!;
    const coinValue = this.fill.coins * m;
    const v = this.fill.cash + coinValue;
    this.share = v > 0 ? coinValue / v : 0;
    return Math.log(v);
  }
}

function interp(row: Float64Array, s: number): number {
  const g = row.length - 1;
  const x = (s < 0 ? 0 : s > 1 ? 1 : s) * g;
  const i = Math.min(g - 1, Math.floor(x));
  const w = x - i;
  return row[i]! + w * (row[i + 1]! - row[i]!);
}

/**
 * The perfect-foresight bound over `path`, starting from `initialCash` and `initialCoins` (only their share
 * at the first decision price matters).
 */
export function perfectForesight(
  path: TradePath,
  config: EnvConfig,
  initialCash: number,
  initialCoins: number,
  opts: PerfectForesightOptions = {},
): PerfectForesightResult {
  const free = scaleFreeConfig(config);
  const scheme = createActionScheme(free);
  const actions = actionValues(config, opts.continuousLevels ?? 21);
  const step = new ShareStep(scheme, config.commission);
  const n = path.steps;
  const p0 = n > 0 ? path.decision[0]! : 1;
  const v0 = initialCash + initialCoins * p0;
  const s0 = v0 > 0 ? (initialCoins * p0) / v0 : 0;
  if (n === 0) {
    return { method: "grid", logGrowth: 0, totalReturn: 0, actions: new Float64Array(0), pathLogGrowth: 0, gridSize: 0 };
  }
  const exact = finiteStateDp(path, step, actions, s0, 2 * actions.length + 1);
  return exact ?? gridDp(path, step, actions, s0, opts.gridSize ?? 1001);
}

/**
 * Exact DP over the finite set of shares reachable from the start, when that set stays small: true for
 * target-exposure levels with fills at the decision price, where the share after a trade is the drift of the
 * chosen level from the buy or the sell fill price, whatever the share before (at most 2K + 1 states per step).
 * Returns null as soon as a step reaches more than `maxStates` distinct shares (then the grid DP is used).
 */
function finiteStateDp(path: TradePath, step: ShareStep, actions: Float64Array, s0: number, maxStates: number): PerfectForesightResult | null {
  const n = path.steps;
  const k = actions.length;
  // Per step t: the reachable shares, and for each (state, action) the log growth and the next state's index.
  const stateCount = new Int32Array(n + 1);
  const gain = new Float64Array(n * maxStates * k);
  const succ = new Int32Array(n * maxStates * k);
  let shares = Float64Array.of(s0);
  let nextShares = new Float64Array(maxStates);
  stateCount[0] = 1;
  for (let t = 0; t < n; t++) {
    let m = 0;
    for (let i = 0; i < stateCount[t]!; i++) {
      for (let a = 0; a < k; a++) {
        const g = step.apply(path, t, shares[i]!, actions[a]!);
        const s = step.share;
        let j = 0;
        // Shares equal to 1e-12 are one state: the difference in value it makes is far below any reported digit.
        while (j < m && Math.abs(nextShares[j]! - s) > 1e-12) j++;
        if (j === m) {
          if (m === maxStates) return null;
          nextShares[m++] = s;
        }
        const at = (t * maxStates + i) * k + a;
        gain[at] = g;
        succ[at] = j;
      }
    }
    stateCount[t + 1] = m;
    [shares, nextShares] = [nextShares.slice(0, Math.max(m, 1)), new Float64Array(maxStates)];
  }
  // Backward: J[t][i] over the reachable states; choice[t][i] the best action.
  const choice = new Int32Array(n * maxStates);
  let next = new Float64Array(maxStates);
  let cur = new Float64Array(maxStates);
  for (let t = n - 1; t >= 0; t--) {
    for (let i = 0; i < stateCount[t]!; i++) {
      let best = -Infinity;
      let bestA = 0;
      for (let a = 0; a < k; a++) {
        const at = (t * maxStates + i) * k + a;
        const q = gain[at]! + next[succ[at]!]!;
        if (q > best) {
          best = q;
          bestA = a;
        }
      }
      cur[i] = best;
      choice[t * maxStates + i] = bestA;
    }
    [next, cur] = [cur, next];
  }
  const out = new Float64Array(n);
  let i = 0;
  let realised = 0;
  for (let t = 0; t < n; t++) {
    const a = choice[t * maxStates + i]!;
    out[t] = actions[a]!;
    const at = (t * maxStates + i) * k + a;
    realised += gain[at]!;
    i = succ[at]!;
  }
  const logGrowth = next[0]!;
  return { method: "levels", logGrowth, totalReturn: Math.expm1(logGrowth), actions: out, pathLogGrowth: realised, gridSize: k };
}

/**
 * Grid DP. Memory stays O((n / B + B) · G) with B = ⌈√n⌉: the backward pass keeps every B-th value row,
 * and the forward pass recomputes one block of rows at a time from the checkpoint after it.
 */
function gridDp(path: TradePath, step: ShareStep, actions: Float64Array, s0: number, gridSize: number): PerfectForesightResult {
  const n = path.steps;
  const g = Math.max(3, gridSize);
  const block = Math.max(1, Math.ceil(Math.sqrt(n)));
  const grid = Float64Array.from({ length: g }, (_, i) => i / (g - 1));
  // checkpoints[c] = J at time c · block (J_n = 0 is the last one when n is a multiple of block).
  const nCheck = Math.floor(n / block) + 1;
  const checkpoints: Float64Array[] = new Array<Float64Array>(nCheck);

  const backupRow = (t: number, nextRow: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < g; i++) out[i] = bestAction(path, step, actions, t, grid[i]!, nextRow).value;
  };

  let next = new Float64Array(g); // J_n = 0
  let cur = new Float64Array(g);
  if (n % block === 0) checkpoints[n / block] = next.slice();
  for (let t = n - 1; t >= 0; t--) {
    backupRow(t, next, cur);
    [next, cur] = [cur, next];
    if (t % block === 0) checkpoints[t / block] = next.slice();
  }

  // Forward pass: pick the best action from the actual share, block by block.
  const out = new Float64Array(n);
  const rows: Float64Array[] = Array.from({ length: block + 1 }, () => new Float64Array(g));
  let s = s0;
  let realised = 0;
  let bound = Number.NaN;
  for (let b0 = 0; b0 < n; b0 += block) {
    const b1 = Math.min(n, b0 + block);
    // rows[i] = J_{b0 + i}, for i = 0 … b1 − b0; J_{b1} is a checkpoint or J_n = 0.
    const endRow = rows[b1 - b0]!;
    if (b1 === n) endRow.fill(0);
    else endRow.set(checkpoints[b1 / block]!);
    for (let t = b1 - 1; t > b0; t--) backupRow(t, rows[t + 1 - b0]!, rows[t - b0]!);
    for (let t = b0; t < b1; t++) {
      const nextRow = rows[t + 1 - b0]!;
      const choice = bestAction(path, step, actions, t, s, nextRow);
      if (t === 0) bound = choice.value;
      out[t] = actions[choice.index]!;
      realised += step.apply(path, t, s, actions[choice.index]!);
      s = step.share;
    }
  }
  // The bound: the first step evaluated exactly from the start share, then J_1 interpolated.
  return {
    method: "grid",
    logGrowth: bound,
    totalReturn: Math.expm1(bound),
    actions: out,
    pathLogGrowth: realised,
    gridSize: g,
  };
}

/** Scratch for `bestAction`: the DP's inner loop allocates nothing. */
const best = { index: 0, value: -Infinity };

/** The action maximising ln g_t(s, a) + J_{t+1}(s'), with J_{t+1} interpolated on the grid. */
function bestAction(path: TradePath, step: ShareStep, actions: Float64Array, t: number, s: number, nextRow: Float64Array): typeof best {
  best.value = -Infinity;
  best.index = 0;
  for (let a = 0; a < actions.length; a++) {
    const q = step.apply(path, t, s, actions[a]!) + interp(nextRow, step.share);
    if (q > best.value) {
      best.value = q;
      best.index = a;
    }
  }
  return best;
}
