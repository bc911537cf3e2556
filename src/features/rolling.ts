/**
 * Causal rolling-window primitives shared by the features: value t uses inputs t − w + 1 … t only.
 * O(n) with sliding sums; the sums are taken around a reference value that is reset (and the window summed
 * afresh) every `w` rows, so rounding error never accumulates over a long series and stays at the level of a
 * direct two-pass computation. A window whose values are all equal has variance exactly 0.
 */

/**
 * Rolling mean and sample variance (divisor w − 1) of `x` over windows of `w` rows, written into `mean` and
 * `variance` for t ≥ w − 1; entries t < w − 1 are set to 0 (not a full window yet).
 */
export function rollingMeanVariance(x: Float64Array, w: number, mean: Float64Array, variance: Float64Array): void {
  if (!(Number.isInteger(w) && w >= 2)) throw new RangeError(`rolling window must be an integer ≥ 2, got ${w}`);
  const n = x.length;
  mean.fill(0, 0, Math.min(n, w - 1));
  variance.fill(0, 0, Math.min(n, w - 1));
  let ref = 0;
  let s1 = 0;
  let s2 = 0;
  // Length of the run of equal values ending at t: a run ≥ w means a constant window.
  let run = 0;
  for (let t = 0; t < n; t++) {
    run = t > 0 && x[t] === x[t - 1] ? run + 1 : 1;
    if (t < w - 1) continue;
    if ((t - (w - 1)) % w === 0) {
      ref = x[t]!;
      s1 = 0;
      s2 = 0;
      for (let i = t - w + 1; i <= t; i++) {
        const d = x[i]! - ref;
        s1 += d;
        s2 += d * d;
      }
    } else {
      const dNew = x[t]! - ref;
      const dOld = x[t - w]! - ref;
      s1 += dNew - dOld;
      s2 += dNew * dNew - dOld * dOld;
    }
    mean[t] = ref + s1 / w;
    const v = (s2 - (s1 * s1) / w) / (w - 1);
    variance[t] = run >= w || v < 0 ? 0 : v;
  }
}

/**
 * Exponential moving average with smoothing α, seeded with the first value: e_0 = x_0,
 * e_t = e_{t−1} + α (x_t − e_{t−1}).
 */
export function ema(x: Float64Array, alpha: number, out: Float64Array = new Float64Array(x.length)): Float64Array {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EMA alpha must be in (0, 1], got ${alpha}`);
  if (x.length === 0) return out;
  let e = x[0]!;
  out[0] = e;
  for (let t = 1; t < x.length; t++) {
    e += alpha * (x[t]! - e);
    out[t] = e;
  }
  return out;
}
