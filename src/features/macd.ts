import { ema } from "./rolling.js";

export interface MacdColumns {
  /** (EMA_fast(close) − EMA_slow(close)) / close × 100: the MACD line in percent of the price. */
  readonly line: Float64Array;
  /** EMA_signal of the line. */
  readonly signal: Float64Array;
  /** line − signal. */
  readonly histogram: Float64Array;
}

/** Rows of MACD warm-up: the slow EMA and then the signal EMA each need about their span to settle. */
export function macdWarmup(slow: number, signal: number): number {
  return slow + signal - 2;
}

/**
 * MACD, made price-independent by expressing the line in percent of the close (so a $30,000 and a $3,000
 * market give comparable values). EMAs use α = 2 / (span + 1) and are seeded with the first value (the close
 * for the price EMAs, the first line value, 0, for the signal). Warm-up: rows t < slow + signal − 2 are 0 in
 * all three columns (the EMAs still run underneath, so the first reported value is already settled).
 */
export function macd(close: Float64Array, fast: number, slow: number, signal: number): MacdColumns {
  if (!(Number.isInteger(fast) && Number.isInteger(slow) && Number.isInteger(signal) && fast >= 1 && signal >= 1)) {
    throw new RangeError(`MACD spans must be integers ≥ 1, got ${fast}, ${slow}, ${signal}`);
  }
  if (!(fast < slow)) throw new RangeError(`MACD needs fast < slow, got ${fast} ≥ ${slow}`);
  const n = close.length;
  const emaFast = ema(close, 2 / (fast + 1));
  const emaSlow = ema(close, 2 / (slow + 1));
  const line = new Float64Array(n);
  for (let t = 0; t < n; t++) line[t] = ((emaFast[t]! - emaSlow[t]!) / close[t]!) * 100;
  const sig = ema(line, 2 / (signal + 1));
  const histogram = new Float64Array(n);
  const warm = Math.min(n, macdWarmup(slow, signal));
  for (let t = 0; t < n; t++) {
    if (t < warm) {
      line[t] = 0;
      sig[t] = 0;
    } else {
      histogram[t] = line[t]! - sig[t]!;
    }
  }
  return { line, signal: sig, histogram };
}
