import type { Candles } from "../data/candles.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import type { EnvConfig } from "./config.js";
import { EnvError } from "./errors.js";
import { featureStartRow } from "./features-from-config.js";

/**
 * Everything the hot loop reads about the market, precomputed once per env into flat typed arrays:
 * the close (valuation), the base fill price of an order decided on each row, and the feature rows
 * already padded for the look-back window, in float32 as the observations are.
 */
export interface PreparedMarket {
  readonly rows: number;
  readonly timestamp: Float64Array;
  /** Valuation price of row t. */
  readonly close: Float64Array;
  /** Base fill price (before slippage) of an order decided on row t: close[t], or open[t+1] for next-open fills. */
  readonly fillBase: Float64Array;
  /** Buy fill = fillBase·buyFactor, sell fill = fillBase·sellFactor (1 ± slippage). */
  readonly buyFactor: number;
  readonly sellFactor: number;
  readonly featureNames: readonly string[];
  readonly featureCols: number;
  readonly window: number;
  /**
   * (window − 1 + rows) × featureCols float32 values: `window − 1` padding rows, then the feature rows. The
   * look-back block of row t (rows t−window+1 … t) is the contiguous run starting at t·featureCols.
   */
  readonly paddedFeatures: Float32Array;
  /** First and last candle row episodes may use (from the config's from/to). */
  readonly firstRow: number;
  readonly lastRow: number;
}

export function prepareMarket(candles: Candles, features: FeatureMatrix, config: EnvConfig): PreparedMarket {
  const rows = candles.length;
  checkCandles(candles, config.fill.at === "next_open");
  checkFeatures(features, rows);

  const fillBase = new Float64Array(rows);
  if (config.fill.at === "close") fillBase.set(candles.close);
  else {
    for (let t = 0; t + 1 < rows; t++) fillBase[t] = candles.open[t + 1]!;
    // An order on the last row never fills: episodes end before it (no row after it to move to).
    if (rows > 0) fillBase[rows - 1] = Number.NaN;
  }

  const { window, padding } = config.observation;
  const cols = features.cols;
  const padded = new Float32Array((window - 1 + rows) * cols);
  padded.set(features.values, (window - 1) * cols);
  if (padding === "clamp" && rows > 0) {
    for (let r = 0; r < window - 1; r++) {
      for (let j = 0; j < cols; j++) padded[r * cols + j] = features.values[j]!;
    }
  }

  const { firstRow, lastRow } = usableRowRange(candles, config);
  const slip = config.fill.slippageBps / 10_000;
  return {
    rows,
    timestamp: candles.timestamp,
    close: candles.close,
    fillBase,
    buyFactor: 1 + slip,
    sellFactor: 1 - slip,
    featureNames: features.names,
    featureCols: cols,
    window,
    paddedFeatures: padded,
    firstRow,
    lastRow,
  };
}

/**
 * The rows [firstRow, lastRow] episodes may use: inside the config's from/to range and past the features'
 * warm-up. Throws EnvError "invalid_market" when they cannot host one episode.
 */
export function usableRowRange(candles: Candles, config: EnvConfig): { firstRow: number; lastRow: number } {
  const { from, to } = config.episode;
  let firstRow = Math.min(featureStartRow(config.observation), candles.length);
  let lastRow = candles.length - 1;
  if (from !== undefined) while (firstRow < candles.length && candles.timestamp[firstRow]! < from) firstRow++;
  if (to !== undefined) while (lastRow >= 0 && candles.timestamp[lastRow]! >= to) lastRow--;
  const usable = lastRow - firstRow + 1;
  const needed = config.episode.mode === "random_window" ? config.episode.length + 1 : 2;
  if (usable < needed) {
    const range = from !== undefined || to !== undefined ? ` in episode.from/to` : "";
    const warm = firstRow > 0 ? ` from row ${firstRow} on (feature warm-up and look-back)` : "";
    throw new EnvError(
      "invalid_market",
      `an episode of this config needs at least ${needed} candle rows${range}${warm}, got ${Math.max(0, usable)}`,
      config.episode.mode === "random_window" ? "episode.length" : "episode",
    );
  }
  return { firstRow, lastRow };
}

function checkCandles(c: Candles, needsOpen: boolean): void {
  for (let t = 0; t < c.length; t++) {
    const close = c.close[t]!;
    if (!(close > 0 && close < Infinity)) {
      throw new EnvError("invalid_market", `close must be a finite positive price, got ${close}`, `candles.close[${t}]`);
    }
    if (needsOpen) {
      const open = c.open[t]!;
      if (!(open > 0 && open < Infinity)) {
        throw new EnvError("invalid_market", `open must be a finite positive price (next-open fills), got ${open}`, `candles.open[${t}]`);
      }
    }
  }
}

function checkFeatures(f: FeatureMatrix, rows: number): void {
  if (f.rows !== rows || f.values.length !== f.rows * f.cols || f.names.length !== f.cols) {
    throw new EnvError(
      "invalid_market",
      `the feature matrix must have one row per candle (${rows}) and one name per column: got ${f.rows} rows × ${f.cols} cols, ${f.values.length} values, ${f.names.length} names`,
      "features",
    );
  }
  for (let i = 0; i < f.values.length; i++) {
    const v = f.values[i]!;
    // Float32 observations: a float64 feature beyond float32 range would become ±Infinity.
    if (!(Math.abs(v) <= 3.4e38)) {
      const t = Math.floor(i / f.cols);
      throw new EnvError("invalid_market", `features must be finite, got ${v}`, `features.${f.names[i % f.cols] ?? i % f.cols}[${t}]`);
    }
  }
}
