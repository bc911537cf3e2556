/**
 * The perfect-foresight bound of a portfolio window: the best final value any policy choosing among a finite
 * set of target-weight combinations could reach knowing every future price, under the env's own rebalance,
 * fills and fees. Dynamic programming in log-value, as the single-asset bound (src/eval/perfect-foresight.ts):
 *
 *   J_n(i) = 0,   J_t(i) = max_j [ ln c_t(i, j) + ln g_t(w_j) + J_{t+1}(j) ],
 *
 * where state i is the combination targeted at the previous step (or "all cash" at the start), c_t(i, j) is
 * the value kept by rebalancing from w_i drifted by the previous step's price moves to w_j (the portfolio's
 * own rebalanceToWeights on a value-1 portfolio), and g_t(w) = Σ_k w_k·close_{t+1,k}/close_{t,k} + (1 − Σ_k w_k)
 * the step's growth. It is exact when every rebalance lands on its target: fills at the decision close, no
 * minimum trade and no band (the DP sets both to 0; the path is replayed through the real env, thresholds included), and
 * every bar tradable. Otherwise (next-open fills, filled bars) it is not computed and says why.
 * Weight levels: the scheme's own combinations (the bound of the action space). Continuous schemes: the
 * combinations of `continuousLevels` (a bound for that subset of targets only).
 */
import { levelCombinations } from "./actions.js";
import type { PortfolioModel } from "./model.js";
import { rebalanceToWeights, RebalanceResult } from "./rebalance.js";

export type PortfolioBound =
  | {
      readonly computable: true;
      /** The DP's optimal ln(final / initial value). */
      readonly logGrowth: number;
      readonly totalReturn: number;
      /** The combinations the DP chose among (K weights each). */
      readonly combinations: readonly (readonly number[])[];
      /** The combination index chosen at each step, from the real start (all cash). */
      readonly path: Int32Array;
      /** True when the combinations are the action scheme's own (weight_levels): path[t] is an action index. */
      readonly actionIndices: boolean;
    }
  | { readonly computable: false; readonly reason: string };

export function portfolioPerfectForesight(model: PortfolioModel, continuousLevels: readonly number[] = [0, 0.25, 0.5, 0.75, 1]): PortfolioBound {
  if (!model.fullEpisode) return { computable: false, reason: "the env is not in full-series mode" };
  if (model.config.fill.at !== "close") return { computable: false, reason: "next-open fills: a rebalance does not land exactly on its target, so the DP's states are not finite" };
  const market = model.market;
  const K = model.assets;
  const first = market.firstRow;
  const n = market.lastRow - first;
  for (let t = first; t < market.lastRow; t++) {
    for (let k = 0; k < K; k++) {
      if (market.tradable[t * K + k] === 0) return { computable: false, reason: `${market.symbols[k]} has a filled (untradable) bar in the window` };
    }
  }
  const a = model.config.actions;
  const actionIndices = a.kind === "weight_levels";
  const combos = levelCombinations(actionIndices ? a.levels : continuousLevels, K);
  const M = combos.length;
  const W = Float64Array.from(combos.flat());

  // growth[t·M + j] = g_t(w_j); ratio[t·K + k] = close_{t+1,k} / close_{t,k}.
  const ratio = new Float64Array(n * K);
  const lnGrowth = new Float64Array(n * M);
  const growth = new Float64Array(n * M);
  for (let t = 0; t < n; t++) {
    const row = first + t;
    for (let k = 0; k < K; k++) ratio[t * K + k] = market.close[(row + 1) * K + k]! / market.close[row * K + k]!;
    for (let j = 0; j < M; j++) {
      let g = 1;
      for (let k = 0; k < K; k++) g += W[j * K + k]! * (ratio[t * K + k]! - 1);
      growth[t * M + j] = g;
      lnGrowth[t * M + j] = Math.log(g);
    }
  }

  const params = { ...model.rebalance, minTradeUsd: 0, band: 0 };
  const ones = new Float64Array(K).fill(1);
  const tradable = new Uint8Array(K).fill(1);
  const coins = new Float64Array(K);
  const targets = new Float64Array(K);
  const out = new RebalanceResult(K);
  /** ln of the value kept rebalancing a value-1 portfolio holding shares `u` into combination j. */
  const lnCost = (u: Float64Array, j: number): number => {
    let cash = 1;
    for (let k = 0; k < K; k++) {
      coins[k] = u[k]!;
      cash -= u[k]!;
      targets[k] = W[j * K + k]!;
    }
    rebalanceToWeights(params, Math.max(0, cash), coins, 0, ones, ones, tradable, 0, targets, out);
    let v = out.cash;
    for (let k = 0; k < K; k++) v += out.coins[k]!;
    return Math.log(v);
  };

  // choice[t·(M + 1) + i]: the best j at step t from state i (i = M: all cash, the start).
  const choice = new Int32Array(n * (M + 1));
  let next = new Float64Array(M); // J_{t+1}
  let cur = new Float64Array(M);
  const u = new Float64Array(K);
  let startValue = 0;
  for (let t = n - 1; t >= 0; t--) {
    const states = t === 0 ? [M] : Array.from({ length: M }, (_, i) => i);
    for (const i of states) {
      if (i === M) u.fill(0);
      else {
        // w_i drifted by step t − 1's moves.
        const g = growth[(t - 1) * M + i]!;
        for (let k = 0; k < K; k++) u[k] = (W[i * K + k]! * ratio[(t - 1) * K + k]!) / g;
      }
      let best = -Infinity;
      let arg = 0;
      for (let j = 0; j < M; j++) {
        const v = lnCost(u, j) + lnGrowth[t * M + j]! + next[j]!;
        if (v > best) {
          best = v;
          arg = j;
        }
      }
      choice[t * (M + 1) + i] = arg;
      if (i === M) startValue = best;
      else cur[i] = best;
    }
    [next, cur] = [cur, next];
  }
  const path = new Int32Array(n);
  let state = M;
  for (let t = 0; t < n; t++) {
    state = choice[t * (M + 1) + state]!;
    path[t] = state;
  }
  return { computable: true, logGrowth: startValue, totalReturn: Math.expm1(startValue), combinations: combos, path, actionIndices };
}
