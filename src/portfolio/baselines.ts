/**
 * The portfolio's baselines, each a PortfolioPolicy run through the same backtest (same rebalance, fills
 * and fees as the agent):
 *   equal_weight_hold        — 1/K of the cash in each asset at the first bar, then never traded again;
 *   equal_weight_rebalanced  — back to 1/K each every `rebalanceEvery` bars (default 24: daily);
 *   hold <symbol>            — all the cash in one asset at the first bar, then held;
 *   perfect_foresight        — the DP's best path of target weights, replayed (perfect-foresight.ts).
 * Definitions in docs/portfolio.md.
 */
import type { PortfolioPolicy } from "./backtest.js";

/** All in `weights` on the first step, then hold. */
export function holdWeightsPolicy(name: string, weights: readonly number[]): PortfolioPolicy {
  return {
    name,
    reset() {},
    act(_obs, ctx, targets) {
      if (ctx.step !== 0) return false;
      weights.forEach((w, k) => (targets[k] = w));
      return true;
    },
  };
}

export function equalWeightHold(assets: number): PortfolioPolicy {
  return holdWeightsPolicy("equal_weight_hold", Array.from({ length: assets }, () => 1 / assets));
}

/** Back to equal weights every `every` steps (the first step included), holding in between. */
export function equalWeightRebalanced(assets: number, every = 24): PortfolioPolicy {
  if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`rebalanceEvery must be a positive integer, got ${every}`);
  return {
    name: every === 1 ? "equal_weight_rebalanced" : `equal_weight_rebalanced(${every})`,
    reset() {},
    act(_obs, ctx, targets) {
      if (ctx.step % every !== 0) return false;
      targets.fill(1 / assets);
      return true;
    },
  };
}

export function assetHold(symbols: readonly string[], k: number): PortfolioPolicy {
  return holdWeightsPolicy(`hold ${symbols[k]}`, symbols.map((_, j) => (j === k ? 1 : 0)));
}

/** Fixed target weights every step (for tests and notebooks: a constant-mix strategy). */
export function constantWeights(name: string, weights: readonly number[]): PortfolioPolicy {
  return {
    name,
    reset() {},
    act(_obs, _ctx, targets) {
      weights.forEach((w, k) => (targets[k] = w));
      return true;
    },
  };
}
