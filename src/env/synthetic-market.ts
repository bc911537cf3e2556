import { allocCandles, type Candles } from "../data/candles.js";
import { Rng } from "../util/rng.js";

const HOUR_MS = 3_600_000;

/**
 * A seeded random-walk market (hourly, log-normal closes with fat tails, positive OHLCV). For tests,
 * the checker and the bench when no embedded market exists; not a model of real prices.
 */
export function syntheticCandles(rows: number, seed = 1, startPrice = 10_000): Candles {
  const rng = new Rng(seed);
  const c = allocCandles({ symbol: "SYN/USD", exchange: "synthetic", timeframe: "1h", source: `syntheticCandles(seed=${seed})` }, rows);
  let prev = startPrice;
  for (let t = 0; t < rows; t++) {
    const open = prev;
    const close = open * Math.exp(0.01 * rng.studentT(4));
    const wiggle = Math.abs(0.004 * rng.normal());
    c.timestamp[t] = Date.UTC(2020, 0, 1) + t * HOUR_MS;
    c.open[t] = open;
    c.close[t] = close;
    c.high[t] = Math.max(open, close) * (1 + wiggle);
    c.low[t] = Math.min(open, close) * (1 - wiggle);
    c.volume[t] = 10 + 100 * rng.uniform();
    prev = close;
  }
  return c;
}

/** A tiny hand-written series: closes given, open = previous close, high/low = close ± 5, volume given. */
export function handCandles(closes: readonly number[], volumes?: readonly number[]): Candles {
  const c = allocCandles({ symbol: "HAND/USD", exchange: "test", timeframe: "1h" }, closes.length);
  closes.forEach((close, t) => {
    c.timestamp[t] = Date.UTC(2020, 0, 1) + t * HOUR_MS;
    c.open[t] = t === 0 ? close : closes[t - 1]!;
    c.close[t] = close;
    c.high[t] = close + 5;
    c.low[t] = close - 5;
    c.volume[t] = volumes?.[t] ?? 10;
  });
  return c;
}
