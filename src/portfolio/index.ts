/**
 * The multi-asset portfolio: several assets aligned on one clock, cash plus a position per asset, actions as
 * target weights, the single-asset env's fills, fees, rewards and features; a Gymnasium-shaped single env,
 * the vectorised env the agent trains on, the checker, backtests against equal-weight buy-and-hold. See
 * docs/portfolio.md.
 */
export { alignMarkets, type AlignedMarket, type AlignmentReport, type AlignOptions, type AssetAlignment, type MissingBarPolicy } from "./align.js";
export {
  PORTFOLIO_DEFAULT_SPECS,
  PORTFOLIO_OBSERVATION_FEATURES,
  portfolioActionsSchema,
  portfolioConfigSchema,
  resolvePortfolioConfig,
  type PortfolioActionsConfig,
  type PortfolioConfig,
  type PortfolioConfigInput,
  type PortfolioObservationFeature,
} from "./config.js";
export { createWeightScheme, levelCombinations, SoftmaxWeights, TargetWeights, WeightLevels, type WeightScheme } from "./actions.js";
export { LEG_REASONS, LegCode, rebalanceToWeights, RebalanceResult, type RebalanceParams } from "./rebalance.js";
export {
  createPortfolioModel,
  portfolioFeatures,
  portfolioRowRange,
  withFittedPortfolioNormalization,
  type PortfolioLayout,
  type PortfolioMarket,
  type PortfolioModel,
  type PortfolioSource,
} from "./model.js";
export {
  allocPortfolioState,
  applyTargets,
  observePortfolio,
  portfolioTransition,
  PortfolioStepScratch,
  samplePortfolioStart,
  startPortfolioEpisode,
  type PortfolioState,
} from "./core.js";
export {
  createPortfolioEnv,
  createPortfolioVecEnv,
  type PortfolioEnv,
  type PortfolioInfo,
  type PortfolioLeg,
  type PortfolioResetArgs,
  type PortfolioStepInfo,
  type PortfolioStepResult,
  type PortfolioVecEnv,
  type PortfolioVecSource,
} from "./env.js";
export { checkPortfolioEnv, samplePortfolioAction } from "./check.js";
export {
  assetBreakdown,
  portfolioAgentPolicy,
  replayPortfolioActions,
  runPortfolioBacktest,
  type AssetBreakdown,
  type PortfolioPolicy,
  type PortfolioPolicyContext,
  type PortfolioTrace,
} from "./backtest.js";
export { assetHold, constantWeights, equalWeightHold, equalWeightRebalanced, holdWeightsPolicy } from "./baselines.js";
export { portfolioPerfectForesight, type PortfolioBound } from "./perfect-foresight.js";
export { evaluatePortfolioWindow, type PortfolioEvaluateOptions, type PortfolioRunSpec, type PortfolioWindowEvaluation, type StrategyRun } from "./evaluate.js";
export { alignedSha256, loadPortfolioMarket, portfolioDataSchema, type LoadedPortfolioMarket, type PortfolioData, type PortfolioDataInput } from "./data.js";
