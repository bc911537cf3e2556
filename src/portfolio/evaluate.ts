/**
 * One portfolio evaluation window end to end, as src/eval/evaluate.ts for one asset: the agent's runs (one
 * per seed), every baseline, each one's metrics (the evaluation module's computeMetrics), the summary over the
 * agent's runs with bootstrap intervals (summariseRuns), the per-asset breakdown, the Sharpe-difference tests
 * of the agent against both equal-weight benchmarks (sharpeDifferenceTest), and the perfect-foresight bound.
 */
import { computeMetrics, periodsPerYear, stepReturns, type BacktestMetrics } from "../eval/metrics.js";
import { summariseRuns, type SeedSummary } from "../eval/seeds.js";
import { sharpeDifferenceTest, type SharpeDifferenceTest } from "../eval/stats.js";
import { assetBreakdown, replayPortfolioActions, runPortfolioBacktest, type AssetBreakdown, type PortfolioPolicy, type PortfolioTrace } from "./backtest.js";
import { assetHold, equalWeightHold, equalWeightRebalanced } from "./baselines.js";
import type { PortfolioModel } from "./model.js";
import { portfolioPerfectForesight, type PortfolioBound } from "./perfect-foresight.js";

export interface PortfolioRunSpec {
  readonly policy: PortfolioPolicy;
  readonly seed: number;
}

export interface PortfolioEvaluateOptions {
  /** Bars between the rebalanced baseline's rebalances (default 24). */
  readonly rebalanceEvery?: number;
  /** Bootstrap resamples of the intervals and tests (default 2000). */
  readonly resamples?: number;
  readonly statsSeed?: number;
  readonly skipPerfectForesight?: boolean;
}

export interface StrategyRun {
  readonly name: string;
  readonly trace: PortfolioTrace;
  readonly metrics: BacktestMetrics;
  readonly assets: readonly AssetBreakdown[];
}

export interface PortfolioWindowEvaluation {
  readonly agentRuns: readonly StrategyRun[];
  /** Over the agent's runs; null with fewer than 2. */
  readonly agentSummary: SeedSummary | null;
  /** equal_weight_hold, equal_weight_rebalanced(…), hold <symbol> for each asset, then perfect_foresight if computed. */
  readonly baselines: readonly StrategyRun[];
  readonly bound: PortfolioBound | null;
  /** The first agent run against equal_weight_hold and against the rebalanced one; null without an agent. */
  readonly sharpeVsHold: SharpeDifferenceTest | null;
  readonly sharpeVsRebalanced: SharpeDifferenceTest | null;
}

function strategyRun(model: PortfolioModel, policy: PortfolioPolicy, seed: number): StrategyRun {
  const trace = runPortfolioBacktest(model, policy, { seed });
  return { name: trace.name, trace, metrics: computeMetrics(trace), assets: assetBreakdown(trace) };
}

export function evaluatePortfolioWindow(model: PortfolioModel, agents: readonly PortfolioRunSpec[], opts: PortfolioEvaluateOptions = {}): PortfolioWindowEvaluation {
  const resamples = opts.resamples ?? 2000;
  const statsSeed = opts.statsSeed ?? 0;
  const K = model.assets;
  const agentRuns = agents.map((a) => strategyRun(model, a.policy, a.seed));
  const agentSummary = agentRuns.length > 1 ? summariseRuns(agentRuns.map((r) => r.metrics), { resamples, seed: statsSeed }) : null;
  const hold = strategyRun(model, equalWeightHold(K), 0);
  const rebalanced = strategyRun(model, equalWeightRebalanced(K, opts.rebalanceEvery ?? 24), 0);
  const singles = model.market.symbols.map((_, k) => strategyRun(model, assetHold(model.market.symbols, k), 0));
  const bound = opts.skipPerfectForesight ? null : portfolioPerfectForesight(model);
  const baselines = [hold, rebalanced, ...singles];
  if (bound?.computable) {
    const replay: PortfolioPolicy = bound.actionIndices
      ? replayPortfolioActions("perfect_foresight", model, bound.path)
      : {
          name: "perfect_foresight",
          reset() {},
          act(_obs, ctx, targets) {
            bound.combinations[bound.path[ctx.step]!]!.forEach((w, k) => (targets[k] = w));
            return true;
          },
        };
    baselines.push(strategyRun(model, replay, 0));
  }
  const test = (against: StrategyRun): SharpeDifferenceTest | null => {
    const first = agentRuns[0];
    if (first === undefined || first.trace.steps < 3) return null;
    return sharpeDifferenceTest(stepReturns(first.trace.value), stepReturns(against.trace.value.subarray(0, first.trace.steps + 1)), {
      resamples,
      seed: statsSeed,
      periodsPerYear: periodsPerYear(first.trace.periodMs),
    });
  };
  return { agentRuns, agentSummary, baselines, bound, sharpeVsHold: test(hold), sharpeVsRebalanced: test(rebalanced) };
}
