import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "./candles.js";
import { findGaps, formatGapTable } from "./gaps.js";

const H = 3_600_000;
const T0 = Date.UTC(2021, 5, 1);

/** A series whose bars open at T0 + hours[i] hours (prices irrelevant to gaps). */
function at(hours: number[]): Candles {
  const c = allocCandles({ symbol: "X/Y", exchange: "test", timeframe: "1h" }, hours.length);
  hours.forEach((h, i) => (c.timestamp[i] = T0 + h * H));
  return c;
}

describe("findGaps", () => {
  it("finds every hole with its size and place, worked out by hand", () => {
    // present: 0 1 2 | 5 6 | 7 | 17 | 18 19 | 21 → holes 3-4 (2), 8-16 (9), 20 (1)
    const r = findGaps(at([0, 1, 2, 5, 6, 7, 17, 18, 19, 21]), H);
    expect(r.count).toBe(3);
    expect(r.missingBars).toBe(12);
    expect(r.gaps.map((g) => [g.index, g.missingBars])).toEqual([
      [3, 2],
      [6, 9],
      [9, 1],
    ]);
    expect(r.gaps[0]).toEqual({
      index: 3,
      before: T0 + 2 * H,
      after: T0 + 5 * H,
      missingBars: 2,
      fromIso: "2021-06-01T03:00:00.000Z",
      toIso: "2021-06-01T04:00:00.000Z",
    });
    expect(r.largest).toBe(r.gaps[1]);
    expect(r.largest?.fromIso).toBe("2021-06-01T08:00:00.000Z");
    expect(r.largest?.toIso).toBe("2021-06-01T16:00:00.000Z");
    expect(r.timeframeMs).toBe(H);
  });

  it("a continuous, a single-bar and an empty series have no gaps", () => {
    for (const hours of [[0, 1, 2, 3], [7], []]) {
      const r = findGaps(at(hours), H);
      expect(r).toEqual({ timeframeMs: H, count: 0, missingBars: 0, largest: null, gaps: [] });
    }
  });

  it("keeps the earliest of equally large gaps as the largest", () => {
    const r = findGaps(at([0, 3, 4, 7]), H);
    expect(r.gaps.map((g) => g.missingBars)).toEqual([2, 2]);
    expect(r.largest?.index).toBe(1);
  });

  it("measures against the bar length it is given", () => {
    // on 2h bars, steps of 2h are continuous and a 6h step misses two bars
    const r = findGaps(at([0, 2, 4, 10]), 2 * H);
    expect(r.count).toBe(1);
    expect(r.missingBars).toBe(2);
    // on 1h bars the same series misses 1 + 1 + 5
    expect(findGaps(at([0, 2, 4, 10]), H).missingBars).toBe(7);
  });

  it("does not count duplicates or reversals as gaps; a 1.5-bar step counts as one missing bar", () => {
    expect(findGaps(at([0, 0, 1, 0.5]), H).count).toBe(0);
    expect(findGaps(at([0, 1.5]), H).missingBars).toBe(1);
  });

  it("rejects a bar length that is not positive", () => {
    expect(() => findGaps(at([0]), 0)).toThrow(RangeError);
    expect(() => findGaps(at([0]), Number.NaN)).toThrow(RangeError);
  });

  it("formats a table, clipped", () => {
    const r = findGaps(at([0, 2, 4, 6]), H);
    const lines = formatGapTable(r, 2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe("  2021-06-01T01:00:00.000Z .. 2021-06-01T01:00:00.000Z      1 missing  (before row 1)");
    expect(lines[2]).toBe("  … 1 more");
  });
});
