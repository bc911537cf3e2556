import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "./candles.js";
import { CandleDataError } from "./errors.js";
import { checkCandleRow, findCandleIssues, validateCandles, type RuleSink } from "./rules.js";

const H = 3_600_000;
const T0 = Date.UTC(2021, 0, 1);

function series(rows: [number, number, number, number, number, number][], timeframe = "1h"): Candles {
  const c = allocCandles({ symbol: "X/Y", exchange: "test", timeframe, source: "unit" }, rows.length);
  rows.forEach(([t, o, h, l, cl, v], i) => {
    c.timestamp[i] = t;
    c.open[i] = o;
    c.high[i] = h;
    c.low[i] = l;
    c.close[i] = cl;
    c.volume[i] = v;
  });
  return c;
}

describe("validateCandles (in-memory series, same rules as the CSV reader)", () => {
  it("accepts a valid series, including flat bars and zero volume", () => {
    expect(() => validateCandles(series([[T0, 1, 1, 1, 1, 0], [T0 + H, 1, 2, 0.5, 1.5, 3]]))).not.toThrow();
  });

  it("names the source, row and field of each broken rule", () => {
    const c = series([
      [T0, 1, 2, 0.5, 1.5, 3],
      [T0 + H, 1, 0.9, 0.5, 0.8, 3], // high below open
      [T0 + H, 1, 2, 0.5, 1.5, Number.NaN], // duplicate + NaN volume
      [T0 + 2 * H + 5, 0, 2, 0.5, 1.5, 1], // misaligned + zero open
    ]);
    const issues = findCandleIssues(c);
    expect(issues.map((i) => [i.row, i.field, i.code])).toEqual([
      [1, "high", "high_below_open_close"],
      [2, "timestamp", "duplicate_timestamp"],
      [2, "volume", "non_finite"],
      [3, "timestamp", "misaligned_timestamp"],
      [3, "open", "non_positive_price"],
    ]);
    try {
      validateCandles(c);
      throw new Error("should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(CandleDataError);
      expect(e).toMatchObject({ source: "unit", row: 1, field: "high", code: "high_below_open_close" });
      expect((e as CandleDataError).issues).toHaveLength(5);
      expect((e as CandleDataError).message).toContain("unit row 3 (open): non_positive_price: expected a price > 0, got 0");
    }
  });

  it("checks the first row against a previous timestamp when given", () => {
    const c = series([[T0, 1, 2, 0.5, 1.5, 3]]);
    expect(findCandleIssues(c, { prevTimestamp: T0 - H })).toEqual([]);
    expect(findCandleIssues(c, { prevTimestamp: T0 })[0]?.code).toBe("duplicate_timestamp");
    expect(findCandleIssues(c, { prevTimestamp: T0 + H })[0]?.code).toBe("timestamp_not_increasing");
  });

  it("uses the meta's timeframe unless told another", () => {
    const c = series([[T0 + H, 1, 1, 1, 1, 1]], "1d");
    expect(findCandleIssues(c)[0]?.code).toBe("misaligned_timestamp");
    expect(findCandleIssues(c, { timeframeMs: H })).toEqual([]);
  });

  it("reports infinities and non-integer timestamps", () => {
    const c = series([[T0 + 0.5, Infinity, 2, 0.5, 1.5, -Infinity]]);
    expect(findCandleIssues(c).map((i) => [i.field, i.code])).toEqual([
      ["timestamp", "bad_timestamp"],
      ["open", "non_finite"],
      ["volume", "non_finite"],
    ]);
  });

  it("caps the list at 20 and marks it truncated", () => {
    const rows: [number, number, number, number, number, number][] = [];
    for (let i = 0; i < 30; i++) rows.push([T0 + i * H, 1, 2, 0.5, 1.5, -1]);
    let error: unknown = null;
    try {
      validateCandles(series(rows));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CandleDataError);
    expect((error as CandleDataError).issues).toHaveLength(20);
    expect((error as CandleDataError).truncated).toBe(true);
  });
});

describe("checkCandleRow", () => {
  it("skips NaN fields when asked (the CSV reader reports them as bad_number itself)", () => {
    const seen: string[] = [];
    const sink: RuleSink = (code, column) => void seen.push(`${column}:${code}`);
    expect(checkCandleRow(T0, Number.NaN, 2, 0.5, 1.5, Number.NaN, Number.NaN, H, sink, true)).toBe(0);
    expect(seen).toEqual([]);
    expect(checkCandleRow(T0, Number.NaN, 2, 0.5, 1.5, Number.NaN, Number.NaN, H, sink)).toBe(2);
    expect(seen).toEqual(["2:non_finite", "6:non_finite"]);
  });
});
