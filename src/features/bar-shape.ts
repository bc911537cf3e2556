import type { Candles } from "../data/candles.js";

/** Intrabar range (high − low) / close × 100, in percent. No warm-up. */
export function rangePct(c: Candles): Float64Array {
  const out = new Float64Array(c.length);
  for (let t = 0; t < c.length; t++) out[t] = ((c.high[t]! - c.low[t]!) / c.close[t]!) * 100;
  return out;
}

export interface CandleShapeColumns {
  /** (close − open) / open × 100: the bar's own move. */
  readonly body: Float64Array;
  /** (high − max(open, close)) / open × 100: the upper wick, ≥ 0 on valid candles. */
  readonly upperWick: Float64Array;
  /** (min(open, close) − low) / open × 100: the lower wick, ≥ 0 on valid candles. */
  readonly lowerWick: Float64Array;
}

/** Body and wicks of each bar in percent of its open. No warm-up. */
export function candleShape(c: Candles): CandleShapeColumns {
  const n = c.length;
  const body = new Float64Array(n);
  const upperWick = new Float64Array(n);
  const lowerWick = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const o = c.open[t]!;
    const cl = c.close[t]!;
    body[t] = ((cl - o) / o) * 100;
    upperWick[t] = ((c.high[t]! - Math.max(o, cl)) / o) * 100;
    lowerWick[t] = ((Math.min(o, cl) - c.low[t]!) / o) * 100;
  }
  return { body, upperWick, lowerWick };
}
