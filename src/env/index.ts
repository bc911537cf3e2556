/** The trading environment: Gymnasium-shaped single env, vectorised env, presets, checker. See docs/env.md. */
export {
  envConfigSchema,
  PORTFOLIO_FEATURES,
  type ActionsConfig,
  type EnvConfig,
  type EnvConfigInput,
  type EpisodeConfig,
  type FillConfig,
  type ObservationConfig,
  type PortfolioFeature,
  type RewardConfig,
} from "./config.js";
export {
  ENV_PRESET_NAMES,
  ENV_PRESETS,
  isEnvPresetName,
  mergeConfigInput,
  resolveEnvConfig,
  type DeepPartial,
  type EnvConfigRequest,
  type EnvPresetName,
} from "./presets.js";
export { EnvError, type EnvErrorCode } from "./errors.js";
export { coins, price, usd, valueOf, type Coins, type Price, type Usd } from "./units.js";
export type { BoxSpace, DiscreteSpace, HybridSpace, Space } from "./spaces.js";
export { actionLabelsOf, decodeSideSize, encodeSideSize, sizedSides } from "./spaces.js";
export { spaceContains, spaceSize } from "./spaces.js";
export type { FinishedEpisodeStats, VecEnv, VecStepResult } from "./vec-env.js";
export {
  createTradingEnv,
  type EnvInfo,
  type ResetArgs,
  type ResetOptions,
  type ResetResult,
  type StepInfo,
  type StepResult,
  type TradeSide,
  type TradingEnv,
  type TradingEnvSource,
} from "./trading-env.js";
export { createVecEnv, type VecEnvSource, type VecTradingEnv } from "./vec-trading-env.js";
export { createEnvModel, type EnvSource } from "./model.js";
export {
  allocEnvState,
  observe,
  sampleStartRow,
  startEpisode,
  stepEpisode,
  StepScratch,
  transition,
  type EnvModel,
  type EnvState,
} from "./core.js";
export { executeOrder, Fill } from "./fill.js";
export { prepareMarket, type PreparedMarket } from "./market.js";
export { observationLayout, writeObservation, type ObservationLayout } from "./observation.js";
export * from "./actions/index.js";
export * from "./rewards/index.js";
export { sampleAction, sampleActions } from "./sample-action.js";
export { featuresFromConfig, featureStartRow } from "./features-from-config.js";
export { recordEpisode, randomPolicy, scoreTrajectory, scriptedPolicy, type EpisodeRecord, type Policy, type RecordOptions } from "./episode-record.js";
export { checkEnv, checkVecEnv, type EnvCheckOptions, type EnvCheckProblem, type EnvCheckResult } from "./check-env.js";
export { handCandles, syntheticCandles } from "./synthetic-market.js";
export { withFittedNormalization } from "./fitted-normalization.js";
export { usableRowRange } from "./market.js";
