/**
 * Volume-weighted return flow: f_t = 100 · ln(c_t / c_{t−1}) · v_t / mean(v_{t−m+1} … v_t) (a bar's log return in
 * percent, weighted by its volume relative to the last m bars', the current bar included), summed over the last w
 * bars: flow_t = f_{t−w+1} + … + f_t. A high-volume bar dominates the sum with its sign, so the flow says in
 * which direction the heavy trading went. f is 0 where the price or the mean volume is ≤ 0. Warm-up: f needs a
 * full volume window (t ≥ m − 1) and a previous close (t ≥ 1), the flow w of them: rows t < max(m − 1, 1) + w − 1 are 0.
 */
export function volumeFlowWarmup(window: number, volumeWindow: number): number {
  return Math.max(volumeWindow - 1, 1) + window - 1;
}

export function volumeFlow(close: Float64Array, volume: Float64Array, window: number, volumeWindow: number): Float64Array {
  const n = close.length;
  const first = Math.max(volumeWindow - 1, 1);
  const weighted = new Float64Array(n);
  let volumeSum = 0;
  for (let t = 0; t < n; t++) {
    volumeSum += volume[t]!;
    if (t >= volumeWindow) volumeSum -= volume[t - volumeWindow]!;
    // Re-sum every window so rounding in the sliding sum never accumulates over a long series.
    if (t % volumeWindow === volumeWindow - 1) {
      volumeSum = 0;
      for (let i = t - volumeWindow + 1; i <= t; i++) volumeSum += volume[i]!;
    }
    if (t < first) continue;
    const meanVolume = volumeSum / volumeWindow;
    const prev = close[t - 1]!;
    const cur = close[t]!;
    weighted[t] = prev > 0 && cur > 0 && meanVolume > 0 ? 100 * Math.log(cur / prev) * (volume[t]! / meanVolume) : 0;
  }
  const out = new Float64Array(n);
  // A direct sum per row: exact to the last bit whatever came before (windows are short: hours to days).
  for (let t = volumeFlowWarmup(window, volumeWindow); t < n; t++) {
    let s = 0;
    for (let i = t - window + 1; i <= t; i++) s += weighted[i]!;
    out[t] = s;
  }
  return out;
}

/**
 * Lagged copies of feature columns: column k of the result at row t is x_{t−lag_k}. All copies share one warm-up,
 * `warmup + max(lags)` rows holding `neutral`, so that from that row on every copy reads a computed value of x.
 */
export function laggedCopies(x: Float64Array, lags: readonly number[], warmup: number, neutral: number): Float64Array[] {
  const n = x.length;
  const start = Math.min(n, warmup + Math.max(...lags));
  return lags.map((lag) => {
    const out = new Float64Array(n).fill(neutral, 0, start);
    for (let t = start; t < n; t++) out[t] = x[t - lag]!;
    return out;
  });
}
