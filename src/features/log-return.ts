/**
 * Log return against the previous row: ln(x_t / x_{t−1}); 0 on row 0 (warm-up) and where either value is
 * ≤ 0 (a zero volume has no log return; 0 keeps the observation finite).
 */
export function logReturn(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 1; t < x.length; t++) {
    const prev = x[t - 1]!;
    const cur = x[t]!;
    out[t] = prev > 0 && cur > 0 ? Math.log(cur / prev) : 0;
  }
  return out;
}

/**
 * Log return over `lag` rows: ln(x_t / x_{t−lag}), the return of holding for the last `lag` bars; 0 on the
 * first `lag` rows (warm-up) and where either value is ≤ 0. lag = 1 is `logReturn`.
 */
export function logReturnOver(x: Float64Array, lag: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = lag; t < x.length; t++) {
    const prev = x[t - lag]!;
    const cur = x[t]!;
    out[t] = prev > 0 && cur > 0 ? Math.log(cur / prev) : 0;
  }
  return out;
}
