import type { Candles } from "../data/candles.js";
import { allocCandles } from "../data/candles.js";

/**
 * Display-only reductions, so that a 45 000-bar history stays a light, responsive figure. Neither is used by
 * market logic: they change what is drawn, never what is computed.
 */

/**
 * Candles merged `k` at a time (k = ⌈length / maxBars⌉): open of the first bar, high max, low min, close of
 * the last, volume summed, timestamp of the first. Returns the input itself when it already fits.
 */
export function resampleCandles(c: Candles, maxBars: number): Candles {
  if (!(maxBars >= 1)) throw new RangeError(`maxBars must be ≥ 1, got ${maxBars}`);
  if (c.length <= maxBars) return c;
  const k = Math.ceil(c.length / maxBars);
  const n = Math.ceil(c.length / k);
  const out = allocCandles(c.meta, n);
  for (let g = 0; g < n; g++) {
    const s = g * k;
    const e = Math.min(s + k, c.length);
    let high = -Infinity;
    let low = Infinity;
    let volume = 0;
    for (let i = s; i < e; i++) {
      high = Math.max(high, c.high[i]!);
      low = Math.min(low, c.low[i]!);
      volume += c.volume[i]!;
    }
    out.timestamp[g] = c.timestamp[s]!;
    out.open[g] = c.open[s]!;
    out.high[g] = high;
    out.low[g] = low;
    out.close[g] = c.close[e - 1]!;
    out.volume[g] = volume;
  }
  return out;
}

/**
 * Indices of the points to draw so that at most about `maxPoints` remain: the series is cut into buckets and
 * each keeps its first, lowest, highest and last point (in order), so spikes and drawdowns stay visible.
 * NaN values are skipped for min/max but a bucket's first and last point are kept as they are.
 * Returns all indices when the series already fits.
 */
export function decimationIndices(y: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = y.length;
  if (!(maxPoints >= 4)) throw new RangeError(`maxPoints must be ≥ 4, got ${maxPoints}`);
  if (n <= maxPoints) return Uint32Array.from({ length: n }, (_, i) => i);
  const buckets = Math.floor(maxPoints / 4);
  const size = Math.ceil(n / buckets);
  const picked: number[] = [];
  for (let s = 0; s < n; s += size) {
    const e = Math.min(s + size, n);
    let lo = -1;
    let hi = -1;
    for (let i = s; i < e; i++) {
      const v = y[i]!;
      if (Number.isNaN(v)) continue;
      if (lo < 0 || v < y[lo]!) lo = i;
      if (hi < 0 || v > y[hi]!) hi = i;
    }
    const keep = [s, lo, hi, e - 1].filter((i) => i >= 0).sort((a, b) => a - b);
    for (const i of keep) if (picked[picked.length - 1] !== i) picked.push(i);
  }
  return Uint32Array.from(picked);
}

/** `values` at `indices`, as a plain array. */
export function pick(values: ArrayLike<number>, indices: ArrayLike<number>): number[] {
  const out = new Array<number>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]!]!;
  return out;
}
