import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocCandles } from "../data/candles.js";
import { decimationIndices, pick, resampleCandles } from "./downsample.js";
import { randomWalkCandles } from "./test-candles.js";

describe("resampleCandles", () => {
  it("merges bars k at a time (hand-worked: 5 bars into at most 2)", () => {
    const c = allocCandles({ symbol: "X/Y", exchange: "t", timeframe: "1h" }, 5);
    c.timestamp.set([0, 1, 2, 3, 4]);
    c.open.set([10, 11, 12, 13, 14]);
    c.high.set([15, 19, 13, 20, 14]);
    c.low.set([9, 8, 11, 12, 7]);
    c.close.set([11, 12, 13, 14, 15]);
    c.volume.set([1, 2, 3, 4, 5]);
    const r = resampleCandles(c, 2); // k = ceil(5 / 2) = 3: rows [0, 3) and [3, 5)
    expect(r.length).toBe(2);
    expect(Array.from(r.timestamp)).toEqual([0, 3]);
    expect(Array.from(r.open)).toEqual([10, 13]);
    expect(Array.from(r.high)).toEqual([19, 20]);
    expect(Array.from(r.low)).toEqual([8, 7]);
    expect(Array.from(r.close)).toEqual([13, 15]);
    expect(Array.from(r.volume)).toEqual([6, 9]);
  });

  it("returns the series itself when it fits", () => {
    const c = randomWalkCandles(10);
    expect(resampleCandles(c, 10)).toBe(c);
  });

  it("keeps the overall high, low, volume and the first open / last close (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 60 }), fc.integer(), (n, maxBars, seed) => {
        const c = randomWalkCandles(n, seed);
        const r = resampleCandles(c, maxBars);
        expect(r.length).toBeLessThanOrEqual(maxBars);
        expect(Math.max(...r.high)).toBe(Math.max(...c.high));
        expect(Math.min(...r.low)).toBe(Math.min(...c.low));
        expect(r.open[0]).toBe(c.open[0]);
        expect(r.close[r.length - 1]).toBe(c.close[n - 1]);
        const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
        expect(sum(r.volume)).toBeCloseTo(sum(c.volume), 9);
      }),
      { numRuns: 60 },
    );
  });

  it("rejects maxBars < 1", () => {
    expect(() => resampleCandles(randomWalkCandles(3), 0)).toThrow(RangeError);
  });
});

describe("decimationIndices", () => {
  it("keeps everything when the series fits", () => {
    expect(Array.from(decimationIndices([3, 1, 2], 4))).toEqual([0, 1, 2]);
  });

  it("keeps first, last, global min and max, in increasing order, within budget (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 4, max: 500 }),
        (y, maxPoints) => {
          const idx = Array.from(decimationIndices(y, maxPoints));
          // Each bucket keeps ≤ 4 points and there are ⌊maxPoints / 4⌋ buckets (or all points if they fit).
          expect(idx.length).toBeLessThanOrEqual(Math.max(maxPoints, 4));
          for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
          expect(idx[0]).toBe(0);
          expect(idx[idx.length - 1]).toBe(y.length - 1);
          const kept = pick(y, idx);
          expect(Math.max(...kept)).toBe(Math.max(...y));
          expect(Math.min(...kept)).toBe(Math.min(...y));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("skips NaN when looking for extremes", () => {
    const y = [1, Number.NaN, 5, Number.NaN, -2, 3, Number.NaN, 0];
    const kept = pick(y, decimationIndices(y, 4)); // one bucket: first, min, max, last
    expect(kept.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)).toEqual([-2, 0, 1, 5]);
  });
});
