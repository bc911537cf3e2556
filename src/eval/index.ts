/** Evaluation: backtests, metrics, baselines, the perfect-foresight bound, statistics. See docs/evaluation.md. */
export {
  backtestModel,
  fullSeriesConfig,
  medianPeriod,
  replayPolicy,
  runBacktest,
  traceCsv,
  traceRows,
  type BacktestOptions,
  type BacktestPolicy,
  type BacktestTrace,
  type BacktestWindow,
  type PolicyContext,
} from "./backtest.js";
export {
  buyAndHoldTrace,
  directionalActions,
  maCrossoverPolicy,
  randomPolicy,
  runBaselines,
  type BaselineOptions,
  type Baselines,
  type DirectionalActions,
  type MaCrossoverOptions,
} from "./baselines.js";
export { EvalError, type EvalErrorCode } from "./errors.js";
export { evaluateWindow, type AgentRunSpec, type EvaluateOptions, type WindowEvaluation } from "./evaluate.js";
export {
  annualisedSharpe,
  computeMetrics,
  drawdowns,
  HOURS_PER_YEAR,
  meanStd,
  METRIC_FIELDS,
  periodsPerYear,
  stepReturns,
  type BacktestMetrics,
  type DrawdownStats,
  type EquityRecord,
  type MetricField,
} from "./metrics.js";
export {
  marketTradePath,
  perfectForesight,
  tradePath,
  type PerfectForesightOptions,
  type PerfectForesightResult,
  type TradePath,
} from "./perfect-foresight.js";
export { summariseRuns, type MetricSummary, type SeedSummary, type SeedSummaryOptions } from "./seeds.js";
export {
  activeReturns,
  bootstrapCI,
  deflatedAgainstBenchmark,
  deflatedSharpe,
  deflatedSharpeOfBest,
  expectedMaxSharpe,
  mean,
  normalCdf,
  normalQuantile,
  probabilisticSharpe,
  quantileSorted,
  sharpeDifferenceTest,
  sharpePerPeriod,
  skewKurtosis,
  stationaryBootstrapIndices,
  type BootstrapOptions,
  type ConfidenceInterval,
  type DeflatedSharpe,
  type DeflatedSharpeInput,
  type BestTrialDeflation,
  type TrialAgainstBenchmark,
  type TrialReturns,
  type SharpeDifferenceOptions,
  type SharpeDifferenceTest,
} from "./stats.js";
export { runExperiment, type ExperimentInput, type ExperimentWindow, type WindowResult } from "./experiment.js";
export {
  walkForward,
  walkForwardRows,
  type FoldResult,
  type TrainedPolicy,
  type Trainer,
  type TrainRequest,
  type WalkForwardInput,
  type WalkForwardRow,
} from "./walk-forward.js";
export { agentBacktestPolicy, agentTrainer, checkManifestAgainst, loadAgentPolicy, type AgentTrainerOptions } from "./agent-policy.js";
export type { LoadedPolicy, PolicyLoader } from "./loaded-policy.js";
