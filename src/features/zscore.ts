import { rollingMeanVariance } from "./rolling.js";

/**
 * Rolling z-score (x_t − mean_w) / std_w over the window t − w + 1 … t (the current row included; sample std,
 * divisor w − 1). Warm-up: rows t < w − 1 are 0. A constant window (std 0) gives 0.
 */
export function rollingZScore(x: Float64Array, window: number): Float64Array {
  const n = x.length;
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  rollingMeanVariance(x, window, mean, variance);
  const out = new Float64Array(n);
  for (let t = window - 1; t < n; t++) {
    const v = variance[t]!;
    out[t] = v > 0 ? (x[t]! - mean[t]!) / Math.sqrt(v) : 0;
  }
  return out;
}

/**
 * Distance of x from its simple moving average, in percent: (x_t / SMA_w(x)_t − 1) × 100, the SMA over
 * t − w + 1 … t. Warm-up: rows t < w − 1 are 0.
 */
export function smaGap(x: Float64Array, window: number): Float64Array {
  const n = x.length;
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  rollingMeanVariance(x, window, mean, variance);
  const out = new Float64Array(n);
  for (let t = window - 1; t < n; t++) {
    const m = mean[t]!;
    out[t] = m !== 0 ? (x[t]! / m - 1) * 100 : 0;
  }
  return out;
}
