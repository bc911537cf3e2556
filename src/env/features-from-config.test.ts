import { describe, expect, it } from "vitest";
import { computeFeatures, featureWarmup, RESEARCH_FEATURES, type FeatureSpecInput } from "../features/registry.js";
import { createTradingEnv, resolveEnvConfig, withFittedNormalization } from "./index.js";
import { syntheticCandles } from "./synthetic-market.js";

describe("features named by the config", () => {
  const candles = syntheticCandles(800, 41);
  const specs: FeatureSpecInput[] = [
    { kind: "log_return", columns: ["close"] },
    { kind: "rsi", window: 14 },
  ];

  it("computes the specs' matrix and starts episodes after the warm-up and a full look-back", () => {
    const env = createTradingEnv({ candles, config: { preset: "exposure", observation: { features: { kind: "specs", specs }, window: 3 } } });
    const warm = featureWarmup(specs);
    expect(env.model.market.firstRow).toBe(warm + 2);
    const { observation, info } = env.reset({ options: { startRow: warm + 2 } });
    const m = computeFeatures(candles, specs);
    const want = Array.from(m.values.slice((info.row - 2) * m.cols, (info.row + 1) * m.cols)).map(Math.fround);
    expect(Array.from(observation.slice(0, 3 * m.cols))).toEqual(want);
    expect(env.observationSpace.labels.slice(0, 2)).toEqual(["close_logret[t-2]", "rsi_14[t-2]"]);
    expect(() => env.reset({ options: { startRow: warm + 1 } })).toThrow(/invalid_reset_option/);
  });

  it("the richer presets use the research features", () => {
    const c = resolveEnvConfig("exposure");
    expect(c.observation.features.kind === "specs" && c.observation.features.specs.length).toBe(RESEARCH_FEATURES.length);
  });

  it("normalises with stats fitted on the training rows only, reused unchanged for evaluation", () => {
    const split = candles.timestamp[600]!;
    const train = withFittedNormalization({ preset: "exposure", episode: { mode: "random_window", length: 100, to: split } }, candles);
    const f = train.observation.features;
    if (f.kind !== "specs" || f.normalization === undefined) throw new Error("expected fitted stats");
    const first = featureWarmup(RESEARCH_FEATURES) + train.observation.window - 1;
    expect(f.normalization.rows).toEqual([first, 600]);
    // Standardised on the fitted rows: mean 0 and std 1 per column there (constant columns aside).
    const env = createTradingEnv({ candles, config: train });
    const raw = computeFeatures(candles, RESEARCH_FEATURES);
    const col = raw.names.indexOf("rsi_14");
    const { observation, info } = env.reset({ seed: 1 });
    const lastRowOfWindow = (train.observation.window - 1) * raw.cols + col;
    const z = (raw.values[info.row * raw.cols + col]! - f.normalization.mean[col]!) / f.normalization.std[col]!;
    expect(observation[lastRowOfWindow]).toBe(Math.fround(z));
    // The evaluation env takes the same stats (no refit on the test rows).
    const evalEnv = createTradingEnv({ candles, config: { ...train, episode: { mode: "full", from: split } } });
    const e = evalEnv.config.observation.features;
    expect(e.kind === "specs" && e.normalization).toEqual(f.normalization);
  });

  it("refuses to fit stats for the article's features", () => {
    expect(() => withFittedNormalization("seed", candles)).toThrow(/invalid_config/);
  });
});
