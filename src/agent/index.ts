/**
 * The LSTM-PPO agent: config and presets, the two compute engines (fused typed-array, tfjs), the recurrent PPO
 * loop, checkpoints and the Policy used by evaluation and live trading. See docs/ppo.md.
 */
export {
  AGENT_PRESET_NAMES,
  AGENT_PRESETS,
  agentConfigSchema,
  DEFAULT_OBSERVATION,
  FLOW_LAG_OBSERVATION,
  FLOW_LAG_FEATURES,
  MULTI_HORIZON_OBSERVATION,
  networkSchema,
  ppoSchema,
  resolveAgentConfig,
  rolloutSizes,
  type AgentConfig,
  type AgentConfigInput,
  type AgentPresetName,
  type NetworkConfig,
  type PpoConfig,
  type RolloutSizes,
} from "./config.js";
export { AgentError, type AgentErrorCode } from "./errors.js";
export { BACKEND_PREFERENCES, currentBackend, selectBackend, type BackendInfo, type BackendPreference } from "./backend.js";
export { chooseEngineKind, createEngine, ENGINE_PREFERENCES, FUSED_MAX_PARAMETERS, type EnginePreference } from "./create-engine.js";
export type { AdamSettings, Engine, EngineKind, LossCoefficients, LossStats, OptimizerState } from "./engine.js";
export { FusedEngine } from "./fused-engine.js";
export { initParameters } from "./init.js";
export { layoutSignature, networkSpec, type NetworkSpec, type ParameterBlock } from "./network-spec.js";
export { articleAdvantages, rolloutAdvantages } from "./gae.js";
export { allocRolloutBuffer, type RolloutBuffer } from "./rollout-buffer.js";
export { RunningObservationNorm, type ObservationNormStats } from "./obs-norm.js";
export { explainedVarianceOf, lossCoefficients, runPpo, type PpoResult, type PpoResumeState, type PpoState, type RunPpoOptions } from "./ppo.js";
export { jsonLine, type UpdateMetrics, type UpdateTiming } from "./metrics.js";
export {
  assertCompatible,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_OUTPUT,
  CHECKPOINT_VERSION,
  describeCheckpoint,
  loadCheckpoint,
  manifestSchema,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointExpectation,
  type CheckpointManifest,
  type CheckpointStatus,
} from "./checkpoint.js";
export { createPolicy, type ActOptions, type Policy, type PolicyDecision } from "./policy.js";
export { loadPolicy, type LoadPolicyOptions } from "./load-policy.js";
export { projectVersions, resolveTrainConfig, train, trainConfigSchema, type TrainConfig, type TrainConfigInput, type TrainHooks, type TrainResult } from "./train.js";
export { CueMemoryEnv, PatternMarketEnv, type CueMemoryOptions, type PatternMarketOptions } from "./toy-envs.js";
