/** RSI of the warm-up rows: the neutral 50 (neither overbought nor oversold). */
export const RSI_WARMUP_VALUE = 50;

/**
 * Wilder's Relative Strength Index of the close, 0 … 100. With d_t = close_t − close_{t−1}, gains
 * g_t = max(d_t, 0) and losses l_t = max(−d_t, 0):
 * - at t = w the averages are the simple means of g_1 … g_w and l_1 … l_w;
 * - after that, Wilder's smoothing: G_t = (G_{t−1}·(w − 1) + g_t) / w, likewise L_t;
 * - RSI_t = 100 − 100 / (1 + G_t / L_t); 100 when L_t = 0 < G_t; 50 when both are 0 (a flat market).
 * Warm-up: rows t < w are 50.
 */
export function rsi(close: Float64Array, window: number): Float64Array {
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`RSI window must be an integer ≥ 1, got ${window}`);
  const n = close.length;
  const out = new Float64Array(n).fill(RSI_WARMUP_VALUE, 0, Math.min(n, window));
  let gain = 0;
  let loss = 0;
  for (let t = 1; t < n; t++) {
    const d = close[t]! - close[t - 1]!;
    const g = d > 0 ? d : 0;
    const l = d < 0 ? -d : 0;
    if (t <= window) {
      gain += g / window;
      loss += l / window;
      if (t < window) continue;
    } else {
      gain = (gain * (window - 1) + g) / window;
      loss = (loss * (window - 1) + l) / window;
    }
    out[t] = loss > 0 ? 100 - 100 / (1 + gain / loss) : gain > 0 ? 100 : RSI_WARMUP_VALUE;
  }
  return out;
}
