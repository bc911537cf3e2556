import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { allocCandles, type Candles } from "./candles.js";
import { MA_PAIRS, MOMENTUM_LOOKBACKS, calendarYears, runRule, tradingStats, varianceRatio } from "./trading-stats.js";

const HOUR = 3_600_000;

function candlesFromCloses(closes: ArrayLike<number>, start = Date.UTC(2021, 0, 1)): Candles {
  const c = allocCandles({ symbol: "T/USD", exchange: "test", timeframe: "1h" }, closes.length);
  for (let t = 0; t < closes.length; t++) {
    c.timestamp[t] = start + t * HOUR;
    c.close[t] = closes[t]!;
    c.open[t] = t === 0 ? closes[0]! : closes[t - 1]!;
    c.high[t] = Math.max(c.open[t]!, c.close[t]!);
    c.low[t] = Math.min(c.open[t]!, c.close[t]!);
    c.volume[t] = 1;
  }
  return c;
}

/** A random walk with AR(1) returns of coefficient φ. */
function ar1Closes(n: number, phi: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const close = new Float64Array(n);
  close[0] = 100;
  let r = 0;
  for (let t = 1; t < n; t++) {
    r = phi * r + 0.01 * rng.normal();
    close[t] = close[t - 1]! * Math.exp(r);
  }
  return close;
}

describe("runRule", () => {
  it("matches a hand-worked long/flat rule: fees, log growth, exposure and timing IR", () => {
    // Closes 100, 110, 99, 99, 108.9, 98.01: market returns R = +0.1, −0.1, 0, +0.1, −0.1.
    // Positions on rows 0…4: 1, 1, 0, 1, 0 (nothing before the window: the first buy pays the fee), fee 0.001.
    // g = p·R − fee·|Δp| = 0.099, −0.1, −0.001, 0.099, −0.001; p̄ = 0.6; 4 position changes.
    // a = g − p̄·R = 0.039, −0.04, −0.001, 0.039, 0.059: mean 0.0192; squared deviations 0.00039204, 0.00350464,
    // 0.00040804, 0.00039204, 0.00158404 (sum 0.0062808), sample sd √(0.0062808 / 4) = 0.0396258,
    // IR = 0.0192 / 0.0396258 × √8760 = 0.484533 × 93.5949 = 45.3498.
    const close = Float64Array.from([100, 110, 99, 99, 108.9, 98.01]);
    const positions = [1, 1, 0, 1, 0];
    const r = runRule("hand", close, { startRow: 0, endRow: 6 }, (row) => positions[row]!, 0.001);
    expect(r.trades).toBe(4);
    expect(r.exposure).toBeCloseTo(0.6, 12);
    expect(r.logReturn).toBeCloseTo(Math.log(1.099) + Math.log(0.9) + Math.log(0.999) + Math.log(1.099) + Math.log(0.999), 12);
    expect(r.timingIr).toBeCloseTo(45.3498, 3);
  });

  it("takes the position before the window from the signal one bar earlier (entering is not a trade)", () => {
    const close = Float64Array.from([100, 101, 102, 103, 104, 105]);
    const always = runRule("long", close, { startRow: 2, endRow: 6 }, () => 1, 0.01);
    expect(always.trades).toBe(0);
    expect(always.logReturn).toBeCloseTo(Math.log(105 / 102), 12);
  });

  it("is causal: closes after the window's last bar change nothing", () => {
    const close = ar1Closes(3000, 0, 3);
    const w = { startRow: 500, endRow: 2000 };
    const a = tradingStats(candlesFromCloses(close), w);
    const changed = close.slice();
    for (let t = 2000; t < changed.length; t++) changed[t] = changed[t]! * (1 + 0.5 * Math.sin(t));
    const b = tradingStats(candlesFromCloses(changed), w);
    expect(b).toEqual(a);
  });
});

describe("varianceRatio", () => {
  it("equals a naive computation of overlapping q-sums", () => {
    const rng = new Rng(5);
    const r = Float64Array.from({ length: 700 }, () => rng.normal() + 0.1);
    for (const q of [1, 2, 7, 24]) {
      const mean = r.reduce((s, x) => s + x, 0) / r.length;
      const v1 = r.reduce((s, x) => s + (x - mean) ** 2, 0) / (r.length - 1);
      let vq = 0;
      for (let i = 0; i + q <= r.length; i++) {
        let s = 0;
        for (let j = 0; j < q; j++) s += r[i + j]!;
        vq += (s - q * mean) ** 2;
      }
      vq /= r.length - q;
      expect(varianceRatio(r, q)).toBeCloseTo(vq / (q * v1), 10);
    }
  });

  it("is near 1 for a random walk and follows 1 + 2Σ(1 − k/q)φᵏ for AR(1) returns", () => {
    for (const phi of [0, 0.2, -0.2]) {
      const close = ar1Closes(60_001, phi, 9);
      const r = Float64Array.from({ length: close.length - 1 }, (_, t) => Math.log(close[t + 1]! / close[t]!));
      let theory = 1;
      for (let k = 1; k < 24; k++) theory += 2 * (1 - k / 24) * phi ** k;
      // φ = 0.2: 1.49; φ = −0.2: 0.68. Sampling sd of VR(24) at N = 60,000 ≈ √(4·24 / (3N)) = 0.023.
      expect(Math.abs(varianceRatio(r, 24) - theory)).toBeLessThan(0.1);
    }
  });
});

describe("tradingStats", () => {
  it("reports the rule families and sees a planted trend where a random walk has none", () => {
    const walk = tradingStats(candlesFromCloses(ar1Closes(8761, 0, 1)));
    expect(walk.maPairs.rules).toHaveLength(MA_PAIRS.length);
    expect(walk.momentum.rules).toHaveLength(MOMENTUM_LOOKBACKS.length);
    expect(MA_PAIRS.every(([f, s]) => f < s)).toBe(true);
    // Returns that persist from hour to hour (AR(1) φ = 0.2) give the rules a large timing edge and VR > 1.
    const trending = tradingStats(candlesFromCloses(ar1Closes(8761, 0.2, 1)));
    expect(trending.varianceRatio[1]!).toBeGreaterThan(1.3);
    expect(trending.momentum.medianTimingIr).toBeGreaterThan(walk.momentum.medianTimingIr + 2);
    expect(trending.maPairs.positiveShare).toBeGreaterThan(0.8);
    expect(trending.maPairs.maxTimingIr).toBeGreaterThan(walk.maPairs.maxTimingIr);
    expect(Math.abs(walk.varianceRatio[1]! - 1)).toBeLessThan(0.15);
    expect(walk.buyAndHoldLogReturn).toBeCloseTo(Math.log(ar1Closes(8761, 0, 1)[8760]! / 100), 10);
  });

  it("refuses a window outside the series", () => {
    expect(() => tradingStats(candlesFromCloses([1, 2, 3]), { startRow: 1, endRow: 5 })).toThrow(RangeError);
  });
});

describe("calendarYears", () => {
  it("cuts a series at UTC year boundaries and leaves out years with little coverage", () => {
    const start = Date.UTC(2020, 11, 31, 20);
    const c = candlesFromCloses(new Float64Array(4 + 8760 + 100).fill(1), start);
    const years = calendarYears(c);
    expect(years.map((y) => y.year)).toEqual([2021]);
    expect(years[0]).toMatchObject({ startRow: 4, endRow: 4 + 8760, coverage: 1 });
    expect(calendarYears(c, 0).map((y) => y.year)).toEqual([2020, 2021, 2022]);
  });
});
