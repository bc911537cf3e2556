/**
 * One evaluation window, end to end: the agent's runs (one per seed or sample), every baseline, each one's
 * metrics, the summary over the agent's runs, the Sharpe-difference test against buy-and-hold, and the
 * deflated information ratio of the best run against buy-and-hold (the headline of "does it beat holding?").
 */
import type { EnvModel } from "../env/index.js";
import { runBacktest, type BacktestPolicy, type BacktestTrace } from "./backtest.js";
import { runBaselines, type BaselineOptions, type Baselines } from "./baselines.js";
import { computeMetrics, periodsPerYear, stepReturns, type BacktestMetrics } from "./metrics.js";
import { summariseRuns, type SeedSummary } from "./seeds.js";
import { deflatedAgainstBenchmark, sharpeDifferenceTest, type BestTrialDeflation, type SharpeDifferenceTest } from "./stats.js";

export interface AgentRunSpec {
  /** The policy to run (a fresh one per run: recurrent state is reset anyway). */
  readonly policy: BacktestPolicy;
  /** Seed of the run's random stream (sampled actions). */
  readonly seed: number;
}

export interface EvaluateOptions extends BaselineOptions {
  /** Resamples of the bootstrap intervals and of the Sharpe test (default 2000). */
  readonly resamples?: number;
  /** Seed of the statistics' resampling (default 0). */
  readonly statsSeed?: number;
  /** Baselines already run on this model (several agents on one window share them). */
  readonly baselines?: Baselines;
}

export interface WindowEvaluation {
  readonly agentRuns: readonly BacktestTrace[];
  readonly agentMetrics: readonly BacktestMetrics[];
  /** Over the agent's runs; null with fewer than 2 runs. */
  readonly agentSummary: SeedSummary | null;
  readonly baselines: Baselines;
  readonly baselineMetrics: ReadonlyArray<{ readonly name: string; readonly trace: BacktestTrace; readonly metrics: BacktestMetrics }>;
  /** The first agent run against buy-and-hold; null without an agent. */
  readonly sharpeTest: SharpeDifferenceTest | null;
  /**
   * Over all the agent's runs as trials (the best one is what a reader looks at): `informationRatio` is the
   * deflated Sharpe ratio of the best run's hourly returns minus buy-and-hold's (does it beat holding?),
   * `sharpe` that of its own returns (does it beat cash?). Null without an agent run of ≥ 3 steps.
   */
  readonly deflation: { readonly informationRatio: BestTrialDeflation; readonly sharpe: BestTrialDeflation } | null;
}

export function evaluateWindow(model: EnvModel, agents: readonly AgentRunSpec[], opts: EvaluateOptions = {}): WindowEvaluation {
  const agentRuns = agents.map((a) => runBacktest(model, a.policy, { seed: a.seed }));
  const agentMetrics = agentRuns.map((t) => computeMetrics(t));
  const resamples = opts.resamples ?? 2000;
  const agentSummary = agentRuns.length > 1 ? summariseRuns(agentMetrics, { resamples, seed: opts.statsSeed ?? 0 }) : null;
  const baselines = opts.baselines ?? runBaselines(model, opts);
  const list = [baselines.buyAndHold, baselines.random, baselines.maCrossover, ...(baselines.perfectForesight ? [baselines.perfectForesight] : [])];
  const baselineMetrics = list.map((trace) => ({ name: trace.name, trace, metrics: computeMetrics(trace) }));
  let sharpeTest: SharpeDifferenceTest | null = null;
  const first = agentRuns[0];
  if (first !== undefined && first.steps >= 3) {
    const a = stepReturns(first.value);
    const b = stepReturns(baselines.buyAndHold.value.subarray(0, first.steps + 1));
    sharpeTest = sharpeDifferenceTest(a, b, { resamples, seed: opts.statsSeed ?? 0, periodsPerYear: periodsPerYear(first.periodMs) });
  }
  const holdReturns = stepReturns(baselines.buyAndHold.value);
  const trials = agentRuns
    .map((t, k) => ({ name: agentRuns.length > 1 ? `${t.name} (seed ${agents[k]!.seed})` : t.name, returns: stepReturns(t.value), benchmark: holdReturns.subarray(0, t.steps), steps: t.steps }))
    .filter((t) => t.steps >= 3);
  const deflation = trials.length > 0 ? deflatedAgainstBenchmark(trials) : null;
  return { agentRuns, agentMetrics, agentSummary, baselines, baselineMetrics, sharpeTest, deflation };
}
