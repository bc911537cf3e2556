/** Small markets for the portfolio tests (not exported from index.ts). */
import { allocCandles, type Candles } from "../data/candles.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { alignMarkets, type AlignedMarket, type MissingBarPolicy } from "./align.js";

const HOUR = 3_600_000;
export const T0 = Date.UTC(2021, 0, 1);

/** A series with the given closes on the given hours (hour offsets from T0): open = previous close. */
export function seriesAt(symbol: string, hours: readonly number[], closes: readonly number[]): Candles {
  const c = allocCandles({ symbol, exchange: "test", timeframe: "1h" }, hours.length);
  hours.forEach((h, t) => {
    const close = closes[t]!;
    const open = t === 0 ? close : closes[t - 1]!;
    c.timestamp[t] = T0 + h * HOUR;
    c.open[t] = open;
    c.close[t] = close;
    c.high[t] = Math.max(open, close) * 1.001;
    c.low[t] = Math.min(open, close) * 0.999;
    c.volume[t] = 10 + t;
  });
  return c;
}

/** Two seeded random walks renamed A/USD and B/USD, `rows` hours each, optional holes. */
export function randomPair(rows: number, seed = 1, policy: MissingBarPolicy = "drop", holes: { a?: number[]; b?: number[] } = {}): AlignedMarket {
  const drop = (c: Candles, symbol: string, rm: readonly number[] = []): Candles => {
    const keep = Array.from({ length: c.length }, (_, t) => t).filter((t) => !rm.includes(t));
    const out = allocCandles({ ...c.meta, symbol }, keep.length);
    keep.forEach((t, i) => {
      for (const f of ["timestamp", "open", "high", "low", "close", "volume"] as const) out[f][i] = c[f][t]!;
    });
    return out;
  };
  const a = drop(syntheticCandles(rows, seed, 100), "A/USD", holes.a);
  const b = drop(syntheticCandles(rows, seed + 1000, 20), "B/USD", holes.b);
  return alignMarkets([a, b], { missingBars: policy });
}
