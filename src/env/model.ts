import type { Candles } from "../data/candles.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { createActionScheme } from "./actions/index.js";
import type { EnvConfig } from "./config.js";
import type { EnvModel } from "./core.js";
import { featuresFromConfig } from "./features-from-config.js";
import { prepareMarket } from "./market.js";
import { observationLayout } from "./observation.js";
import { resolveEnvConfig, type EnvConfigRequest } from "./presets.js";
import { createRewardScheme, type RewardScheme } from "./rewards/index.js";

export interface EnvSource {
  readonly candles: Candles;
  /** A resolved config, a preset name, or a config input (validated here). */
  readonly config: EnvConfig | EnvConfigRequest;
  /** Precomputed (e.g. normalised) features, one row per candle; computed from the config when omitted. */
  readonly features?: FeatureMatrix;
  /**
   * A reward scheme of your own (any RewardScheme, memory included: its `stateSize` sizes the env's reward
   * memory); the config's reward when omitted. The config's `reward` field is then not what is paid.
   */
  readonly rewards?: RewardScheme;
}

/** Builds the fixed part of an env: validated config, prepared market, schemes, observation layout. */
export function createEnvModel(source: EnvSource): EnvModel {
  // Parsing is idempotent: a resolved config is also a valid input.
  const config = resolveEnvConfig(source.config);
  const features = source.features ?? featuresFromConfig(source.candles, config.observation.features);
  const market = prepareMarket(source.candles, features, config);
  const actions = createActionScheme(config);
  const rewards = source.rewards ?? createRewardScheme(config);
  return {
    config,
    market,
    actions,
    rewards,
    layout: observationLayout(market, config.observation, config.initialCash, config.initialCoins),
    initialCash: config.initialCash,
    initialCoins: config.initialCoins,
    commission: config.commission,
    ruinFraction: config.ruinFraction,
    episodeLength: config.episode.mode === "random_window" ? config.episode.length : 0,
    fullEpisode: config.episode.mode === "full",
  };
}
