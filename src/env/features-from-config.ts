import type { Candles } from "../data/candles.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { applyNormalization } from "../features/normalization.js";
import { pctChangeFeatures } from "../features/pct-change.js";
import { computeFeatures, featureWarmup } from "../features/registry.js";
import type { ObservationConfig } from "./config.js";

/**
 * The feature matrix a config names, computed causally from the candles (used when none is passed in),
 * standardised with the config's fitted stats when it has them.
 */
export function featuresFromConfig(candles: Candles, source: ObservationConfig["features"]): FeatureMatrix {
  if (source.kind === "pct_change") return pctChangeFeatures(candles);
  const raw = computeFeatures(candles, source.specs);
  if (source.normalization === undefined) return raw;
  return applyNormalization(raw, source.normalization, source.clip === undefined ? {} : { clip: source.clip });
}

/**
 * First row an episode may start on because of the features: past every spec's warm-up and far enough in for
 * a full look-back window of computed rows (specs with skipWarmup); 0 for the article's features.
 */
export function featureStartRow(observation: Pick<ObservationConfig, "features" | "window">): number {
  const f = observation.features;
  if (f.kind === "pct_change" || !f.skipWarmup) return 0;
  return featureWarmup(f.specs) + observation.window - 1;
}

/**
 * Candle rows one feature row depends on (its own included) when that is bounded, else null: the article's
 * percentage changes read rows t−1 and t only (2), so a live trader computes them on a short tail and gets the
 * same values; registry specs may carry memory (EMAs, rolling sums aligned to the series start): null.
 */
export function featureLookbackRows(observation: ObservationConfig): number | null {
  return observation.features.kind === "pct_change" ? 2 : null;
}
