import type { Candles } from "../data/candles.js";
import { OHLCV_COLUMNS } from "../data/candles.js";
import type { FeatureMatrix } from "./feature-matrix.js";

/**
 * The article's normalisation: percentage change ×100 of open, high, low, close and volume against the
 * previous row; 0 on the first row (no previous row). Causal by construction.
 */
export function pctChangeFeatures(c: Candles): FeatureMatrix {
  const cols = OHLCV_COLUMNS.length;
  const values = new Float64Array(c.length * cols);
  for (let j = 0; j < cols; j++) {
    const x = c[OHLCV_COLUMNS[j]!];
    for (let t = 1; t < c.length; t++) {
      const prev = x[t - 1]!;
      // A zero previous volume has no percentage change; 0 keeps the feature finite (documented).
      values[t * cols + j] = prev === 0 ? 0 : ((x[t]! - prev) / prev) * 100;
    }
  }
  return { names: OHLCV_COLUMNS.map((n) => `${n}_pct`), rows: c.length, cols, values };
}

/**
 * One column's percentage change ×100 against the previous row; 0 on row 0 and where the previous value is
 * 0 (the same rule as {@link pctChangeFeatures}, for any single series).
 */
export function pctChange(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 1; t < x.length; t++) {
    const prev = x[t - 1]!;
    out[t] = prev === 0 ? 0 : ((x[t]! - prev) / prev) * 100;
  }
  return out;
}
