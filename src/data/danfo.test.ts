import { DataFrame } from "danfojs-node";
import { describe, expect, it } from "vitest";
import { allocCandles } from "./candles.js";
import { candlesToDataFrame, dataFrameToCandles, FRAME_COLUMNS } from "./danfo.js";
import { CandleDataError } from "./errors.js";

const H = 3_600_000;
const T0 = Date.UTC(2022, 2, 1);
const meta = { symbol: "BTC/USD", exchange: "bitfinex", timeframe: "1h" };

function sample() {
  const c = allocCandles(meta, 5);
  const rows = [
    [T0, 100.1, 101.7, 99.3, 100.9, 0.30000000000000004],
    [T0 + H, 100.9, 100.9, 98.25, 98.5, 0],
    [T0 + 2 * H, 98.5, 1e7, 1e-9, 250.125, 12],
    [T0 + 5 * H, 250.125, 251, 249, 250, 1.5e-8],
    [T0 + 6 * H, 250, 252, 248, 251, 7],
  ];
  rows.forEach((r, i) => {
    c.timestamp[i] = r[0]!;
    c.open[i] = r[1]!;
    c.high[i] = r[2]!;
    c.low[i] = r[3]!;
    c.close[i] = r[4]!;
    c.volume[i] = r[5]!;
  });
  return c;
}

describe("danfo bridge", () => {
  it("builds a frame with ISO dates and the OHLCV columns", () => {
    const df = candlesToDataFrame(sample());
    expect(df.columns).toEqual([...FRAME_COLUMNS]);
    expect(df.shape).toEqual([5, 7]);
    expect(df.column("date").values).toEqual([
      "2022-03-01T00:00:00.000Z",
      "2022-03-01T01:00:00.000Z",
      "2022-03-01T02:00:00.000Z",
      "2022-03-01T05:00:00.000Z",
      "2022-03-01T06:00:00.000Z",
    ]);
    expect(df.column("close").values).toEqual([100.9, 98.5, 250.125, 250, 251]);
  });

  it("round-trips exactly, through the timestamp column or through the date column alone", () => {
    const c = sample();
    const back = dataFrameToCandles(candlesToDataFrame(c), meta);
    const fromDates = dataFrameToCandles(candlesToDataFrame(c).drop({ columns: ["timestamp"] }), meta);
    for (const k of ["timestamp", "open", "high", "low", "close", "volume"] as const) {
      expect(Array.from(back[k])).toEqual(Array.from(c[k]));
      expect(Array.from(fromDates[k])).toEqual(Array.from(c[k]));
    }
    expect(back.meta).toEqual(meta);
  });

  it("validates: broken rows and missing columns are CandleDataErrors with row and field", () => {
    const df = new DataFrame({
      date: ["2022-03-01T00:00:00Z", "2022-03-01T01:00:00Z", "not a date"],
      open: [1, 1, 1],
      high: [2, 0.5, 2],
      low: [0.5, 0.4, 0.5],
      close: [1.5, 0.9, 1.5],
      volume: [1, 1, 1],
    });
    let error: unknown = null;
    try {
      dataFrameToCandles(df, { ...meta, source: "notebook frame" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CandleDataError);
    expect((error as CandleDataError).issues.map((i) => [i.row, i.field, i.code])).toEqual([
      [1, "high", "high_below_open_close"],
      [2, "timestamp", "non_finite"],
    ]);
    expect((error as CandleDataError).source).toBe("notebook frame");
    const noVolume = new DataFrame({ date: ["2022-03-01T00:00:00Z"], open: [1], high: [1], low: [1], close: [1] });
    expect(() => dataFrameToCandles(noVolume, meta)).toThrow(/a column named "volume"/);
  });
});
