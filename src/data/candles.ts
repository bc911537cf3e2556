/**
 * The one columnar type for an OHLCV series: timestamps (ms since the Unix epoch, UTC, the bar's open)
 * and five typed arrays of the same length. Columnar so that features, the env and the backtest read
 * contiguous Float64Arrays and allocate nothing per row.
 */

export interface CandleMeta {
  /** e.g. "BTC/USD". */
  readonly symbol: string;
  /** e.g. "bitfinex", or "synthetic" for the embedded market. */
  readonly exchange: string;
  /** ccxt timeframe string, e.g. "1h". */
  readonly timeframe: string;
  /** Where the rows came from: a file path, or a generator and its seed. */
  readonly source?: string;
}

export interface Candles {
  readonly meta: CandleMeta;
  readonly length: number;
  /** Bar open time, ms UTC, strictly increasing. */
  readonly timestamp: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** Volume in the base currency (coins). */
  readonly volume: Float64Array;
}

export const OHLCV_COLUMNS = ["open", "high", "low", "close", "volume"] as const;
export type OhlcvColumn = (typeof OHLCV_COLUMNS)[number];

/** Milliseconds in one bar of each supported timeframe. */
export const TIMEFRAME_MS: Readonly<Record<string, number>> = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};

export function timeframeMs(timeframe: string): number {
  const ms = TIMEFRAME_MS[timeframe];
  if (ms === undefined) {
    throw new RangeError(`unknown timeframe "${timeframe}": expected one of ${Object.keys(TIMEFRAME_MS).join(", ")}`);
  }
  return ms;
}

/** Allocates an empty series of `length` rows (all zeros) to be filled by a reader or generator. */
export function allocCandles(meta: CandleMeta, length: number): Candles {
  return {
    meta,
    length,
    timestamp: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/** Rows [start, end) as a new series sharing no memory with the input. */
export function sliceCandles(c: Candles, start: number, end: number = c.length): Candles {
  const s = Math.max(0, Math.min(start, c.length));
  const e = Math.max(s, Math.min(end, c.length));
  return {
    meta: c.meta,
    length: e - s,
    timestamp: c.timestamp.slice(s, e),
    open: c.open.slice(s, e),
    high: c.high.slice(s, e),
    low: c.low.slice(s, e),
    close: c.close.slice(s, e),
    volume: c.volume.slice(s, e),
  };
}
