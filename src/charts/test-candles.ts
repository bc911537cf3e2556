import type { Candles } from "../data/candles.js";
import { allocCandles } from "../data/candles.js";
import { Rng } from "../util/rng.js";

/** A small random-walk hourly series for chart tests (consistent OHLC: high ≥ max(open, close) etc.). */
export function randomWalkCandles(length: number, seed = 1): Candles {
  const rng = new Rng(seed);
  const c = allocCandles({ symbol: "BTC/USD", exchange: "test", timeframe: "1h" }, length);
  let price = 100;
  for (let i = 0; i < length; i++) {
    const open = price;
    price *= Math.exp(0.01 * rng.normal());
    c.timestamp[i] = Date.UTC(2021, 0, 1) + i * 3_600_000;
    c.open[i] = open;
    c.close[i] = price;
    c.high[i] = Math.max(open, price) * (1 + 0.002 * rng.uniform());
    c.low[i] = Math.min(open, price) * (1 - 0.002 * rng.uniform());
    c.volume[i] = 1 + 10 * rng.uniform();
  }
  return c;
}
