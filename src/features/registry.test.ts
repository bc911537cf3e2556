import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OHLCV_COLUMNS, sliceCandles, type Candles } from "../data/candles.js";
import { generateSyntheticMarket } from "../data/synthetic.js";
import { Rng } from "../util/rng.js";
import { FeatureError } from "./errors.js";
import { pctChangeFeatures } from "./pct-change.js";
import {
  FEATURE_KINDS,
  RESEARCH_FEATURES,
  SEED_FEATURES,
  computeFeatures,
  featureNames,
  featureWarmup,
  resolveFeatureSpecs,
  specNames,
  specWarmup,
  type FeatureSpecInput,
} from "./registry.js";
import { RSI_WARMUP_VALUE } from "./rsi.js";

const market = generateSyntheticMarket({ hours: 600 }, 777);

/**
 * Specs covering every kind, with short and default windows so that random cut points fall both inside and
 * after the warm-up.
 */
const ALL_SPECS: FeatureSpecInput[] = [
  { kind: "pct_change" },
  { kind: "log_return", columns: [...OHLCV_COLUMNS] },
  { kind: "returns", column: "close", horizons: [1, 3, 12, 48] },
  { kind: "returns", column: "volume", horizons: [2] },
  { kind: "zscore", column: "close", window: 5 },
  { kind: "zscore", column: "volume", window: 48 },
  { kind: "rsi", window: 3 },
  { kind: "rsi" },
  { kind: "macd", fast: 3, slow: 7, signal: 4 },
  { kind: "macd" },
  { kind: "volatility", window: 4 },
  { kind: "volatility", window: 24 },
  { kind: "sma_gap", window: 6 },
  { kind: "range" },
  { kind: "candle_shape" },
  { kind: "calendar" },
  { kind: "flow", window: 3, volumeWindow: 4 },
  { kind: "flow" },
  { kind: "lags", of: { kind: "flow", window: 2, volumeWindow: 3 }, lags: [0, 2, 5] },
  { kind: "lags", of: { kind: "returns", column: "close", horizons: [1, 4] }, lags: [1, 24] },
  { kind: "lags", of: { kind: "rsi", window: 3 }, lags: [3] },
];

function cloneCandles(c: Candles): Candles {
  return sliceCandles(c, 0, c.length);
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe("feature registry", () => {
  it("covers every kind in the look-ahead specs (a new kind must be added there)", () => {
    const tested = new Set(ALL_SPECS.map((s) => s.kind));
    expect(FEATURE_KINDS.filter((k) => !tested.has(k))).toEqual([]);
  });

  it("SEED_FEATURES reproduce the article's percentage-change matrix exactly", () => {
    const m = computeFeatures(market, SEED_FEATURES);
    const ref = pctChangeFeatures(market);
    expect(m.names).toEqual(["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct"]);
    expect(m.cols).toBe(5);
    expect(sameBits(m.values, ref.values)).toBe(true);
  });

  it("names columns stably and concatenates them in spec order", () => {
    const specs: FeatureSpecInput[] = [
      { kind: "rsi" },
      { kind: "macd" },
      { kind: "zscore", column: "volume", window: 48 },
      { kind: "log_return" },
      { kind: "volatility" },
      { kind: "sma_gap", window: 12 },
    ];
    expect(featureNames(specs)).toEqual([
      "rsi_14",
      "macd_12_26_9",
      "macd_signal_12_26_9",
      "macd_hist_12_26_9",
      "volume_z48",
      "close_logret",
      "vol_24",
      "sma_gap_12",
    ]);
    const m = computeFeatures(market, specs);
    expect(m.rows).toBe(market.length);
    // Column 0 is rsi_14 on every row.
    const alone = computeFeatures(market, [{ kind: "rsi" }]);
    for (let t = 0; t < market.length; t++) expect(m.values[t * m.cols]).toBe(alone.values[t]);
  });

  it("every column is finite on every row and holds its neutral value during its warm-up", () => {
    const specs = resolveFeatureSpecs(ALL_SPECS);
    for (const spec of specs) {
      const m = computeFeatures(market, [spec]);
      expect(m.values.every(Number.isFinite)).toBe(true);
      const warm = specWarmup(spec);
      const neutral = spec.kind === "rsi" || (spec.kind === "lags" && spec.of.kind === "rsi") ? RSI_WARMUP_VALUE : 0;
      for (let t = 0; t < warm; t++) {
        for (let j = 0; j < m.cols; j++) expect(m.values[t * m.cols + j], `${specNames(spec)[j]} row ${t}`).toBe(neutral);
      }
      // The first row after the warm-up is computed (not stuck at the neutral value) for windowed features.
      if (warm > 1) expect(m.values[warm * m.cols]).not.toBe(neutral);
    }
    expect(featureWarmup(ALL_SPECS)).toBe(58); // flow over 12 bars of a 48-bar volume mean: 47 + 12 − 1 = 58 (close_ret_48: 48; lags 4 + 24 = 28)
    expect(featureWarmup(SEED_FEATURES)).toBe(1);
  });

  it("RESEARCH_FEATURES compute on the synthetic market", () => {
    const m = computeFeatures(market, RESEARCH_FEATURES);
    expect(m.cols).toBe(featureNames(RESEARCH_FEATURES).length);
    expect(new Set(m.names).size).toBe(m.cols);
  });

  it("rejects bad specs and duplicate columns with named errors", () => {
    const bad = (specs: unknown[]) => () => computeFeatures(market, specs as FeatureSpecInput[]);
    expect(bad([{ kind: "rsi" }, { kind: "zscore", window: 1 }])).toThrow(FeatureError);
    try {
      bad([{ kind: "rsi" }, { kind: "zscore", window: 1 }])();
    } catch (err) {
      expect(err).toMatchObject({ code: "invalid_spec", field: "specs[1].window" });
    }
    expect(bad([{ kind: "macd", fast: 26, slow: 12 }])).toThrow(/fast < slow/);
    expect(bad([{ kind: "bollinger" }])).toThrow(FeatureError);
    expect(bad([{ kind: "rsi", windw: 3 }])).toThrow(FeatureError);
    expect(bad([{ kind: "rsi" }, { kind: "rsi", window: 14 }])).toThrow(
      expect.objectContaining({ code: "duplicate_name", field: "rsi_14" }),
    );
    expect(bad([{ kind: "pct_change", columns: ["close", "close"] }])).toThrow(/duplicate_name/);
  });

  it("reports a non-finite value with the feature and row (zero price)", () => {
    const c = cloneCandles(market);
    c.close[10] = 0;
    expect(() => computeFeatures(c, [{ kind: "range" }])).toThrow(
      expect.objectContaining({ code: "non_finite", field: "range_pct[10]" }),
    );
  });
});

describe("no look-ahead: values at rows ≤ t never change when rows after t change", () => {
  const reference = new Map(ALL_SPECS.map((s, i) => [i, computeFeatures(market, [s])]));

  it.each(ALL_SPECS.map((s, i) => [featureNames([s]).join(","), i] as const))("%s", (_name, i) => {
    const spec = ALL_SPECS[i]!;
    const before = reference.get(i)!;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: market.length - 2 }), fc.integer({ min: 0, max: 2 ** 31 }), (t, seed) => {
        const rng = new Rng(seed);
        const c = cloneCandles(market);
        // Perturb every field of every row after t (prices ×[0.5, 1.5], volume sometimes 0, later bars shifted
        // in time), keeping prices positive so that every feature stays defined.
        const shift = rng.int(5) * 3_600_000;
        for (let r = t + 1; r < c.length; r++) {
          for (const col of ["open", "high", "low", "close"] as const) c[col][r] = c[col][r]! * (0.5 + rng.uniform());
          c.volume[r] = rng.uniform() < 0.1 ? 0 : c.volume[r]! * 3 * rng.uniform();
          c.timestamp[r] = c.timestamp[r]! + shift;
        }
        const after = computeFeatures(c, [spec]);
        const upTo = (t + 1) * before.cols;
        return sameBits(after.values.subarray(0, upTo), before.values.subarray(0, upTo));
      }),
      { seed: 20240601 + i, numRuns: 60 },
    );
  });
});
