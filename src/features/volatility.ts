import { logReturn } from "./log-return.js";
import { rollingMeanVariance } from "./rolling.js";

/**
 * Rolling volatility: sample standard deviation (divisor w − 1) of the last w log returns of the close,
 * r_{t−w+1} … r_t with r_t = ln(close_t / close_{t−1}), per bar (not annualised). Warm-up: the first return
 * is r_1, so rows t < w are 0.
 */
export function rollingVolatility(close: Float64Array, window: number): Float64Array {
  const n = close.length;
  const r = logReturn(close);
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  rollingMeanVariance(r, window, mean, variance);
  const out = new Float64Array(n);
  for (let t = window; t < n; t++) out[t] = Math.sqrt(variance[t]!);
  return out;
}
