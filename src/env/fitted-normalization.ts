import type { Candles } from "../data/candles.js";
import { fitNormalization } from "../features/normalization.js";
import { computeFeatures } from "../features/registry.js";
import type { EnvConfig } from "./config.js";
import { EnvError } from "./errors.js";
import { usableRowRange } from "./market.js";
import { resolveEnvConfig, type EnvConfigRequest } from "./presets.js";

/**
 * The config with normalisation stats fitted on the rows its episodes use in `candles` (the training split:
 * from/to and the warm-up applied). Pass the returned config to the training env AND to every evaluation
 * env, so that all of them scale features with the training statistics only (no look-ahead).
 */
export function withFittedNormalization(request: EnvConfig | EnvConfigRequest, candles: Candles): EnvConfig {
  const config = resolveEnvConfig(request);
  const f = config.observation.features;
  if (f.kind !== "specs") {
    throw new EnvError("invalid_config", "normalisation needs feature specs (features.kind = \"specs\")", "observation.features.kind");
  }
  const { firstRow, lastRow } = usableRowRange(candles, config);
  const raw = computeFeatures(candles, f.specs);
  const stats = fitNormalization(raw, { rows: [firstRow, lastRow + 1] });
  return resolveEnvConfig({ ...config, observation: { ...config.observation, features: { ...f, normalization: stats } } });
}
