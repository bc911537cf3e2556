import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "./candles.js";
import { autocorrelation, formatMarketStatsTable, marketStats, pearson } from "./market-stats.js";

const T0 = Date.UTC(2021, 0, 1);
const HOUR = 3_600_000;

/** A series from closes; open = previous close (row 0: its own close), wicks ±1, given hour offsets. */
function series(closes: number[], volumes?: number[], hours?: number[]): Candles {
  const c = allocCandles({ symbol: "X/USD", exchange: "test", timeframe: "1h" }, closes.length);
  closes.forEach((close, t) => {
    const open = t === 0 ? close : closes[t - 1]!;
    c.timestamp[t] = T0 + (hours?.[t] ?? t) * HOUR;
    c.open[t] = open;
    c.close[t] = close;
    c.high[t] = Math.max(open, close) + 1;
    c.low[t] = Math.min(open, close) - 1;
    c.volume[t] = volumes?.[t] ?? 1;
  });
  return c;
}

describe("marketStats on hand-worked series", () => {
  it("alternating ±10 % moves: moments, ACF, drawdown, range, volume correlation", () => {
    // closes 100, 110, 99, 108.9, 98.01 → r = a, b, a, b with a = ln 1.1, b = ln 0.9.
    // mean = (a + b)/2, every deviation is ±d with d = (a − b)/2: m2 = d², m3 = 0, m4 = d⁴.
    // sample std = √(4 d² / 3); skew 0; kurtosis m4/m2² = 1 → excess −2.
    // ACF lag 1: three neighbouring products, each −d², over Σ dev² = 4 d² → −0.75 (same for |r|: |b| > |a|).
    const s = marketStats(series([100, 110, 99, 108.9, 98.01], [1, 5, 3, 5, 3]));
    const a = Math.log(1.1);
    const b = Math.log(0.9);
    const d = (a - b) / 2;
    expect(s.bars).toBe(5);
    expect(s.missingBars).toBe(0);
    expect(s.meanLogReturn).toBeCloseTo((a + b) / 2, 14);
    expect(s.stdLogReturn).toBeCloseTo(Math.sqrt((4 * d * d) / 3), 14);
    expect(s.annualisedVol).toBeCloseTo(Math.sqrt((4 * d * d) / 3) * Math.sqrt(8760), 12);
    expect(s.skew).toBeCloseTo(0, 10);
    expect(s.excessKurtosis).toBeCloseTo(-2, 10);
    expect(s.acfReturnLag1).toBeCloseTo(-0.75, 12);
    expect(s.acfAbsReturnLag1).toBeCloseTo(-0.75, 12);
    // Four returns: lags 24 and 168 are undefined.
    expect(s.acfAbsReturnLag24).toBeNaN();
    expect(s.acfAbsReturnLag168).toBeNaN();
    // Every |deviation| is d < 3 × 1.155 d.
    expect(s.tailShare3Sigma).toBe(0);
    // Peak 110 at row 1, lowest later close 98.01 at row 4: 1 − 98.01/110 = 0.109; never regained → 3 h.
    expect(s.maxDrawdown).toBeCloseTo(0.109, 12);
    expect(s.maxDrawdownPeakIso).toBe("2021-01-01T01:00:00.000Z");
    expect(s.maxDrawdownTroughIso).toBe("2021-01-01T04:00:00.000Z");
    expect(s.maxDrawdownDurationHours).toBe(3);
    expect(s.maxDrawdownRecovered).toBe(false);
    // Ranges (high − low)/open: 2/100, 12/100, 13/110, 11.9/99, 12.89/108.9 → mean × 100.
    expect(s.meanRangePct).toBeCloseTo(((2 / 100 + 12 / 100 + 13 / 110 + 11.9 / 99 + 12.89 / 108.9) / 5) * 100, 10);
    // volume[1..4] = 5, 3, 5, 3 against |r| = a, |b|, a, |b| with |b| > a: perfectly opposite → −1.
    expect(s.volumeAbsReturnCorr).toBeCloseTo(-1, 12);
    expect(s.totalReturn).toBeCloseTo(98.01 / 100 - 1, 14);
  });

  it("one jump after a flat run: skew 2/√3, excess kurtosis −2/3", () => {
    // r = 0, 0, 0, L (L = ln 2): deviations −L/4 (×3) and 3L/4.
    // m2 = 3L²/16, m3 = 3L³/32, m4 = 21L⁴/256 → skew = (3/32)/(3/16)^1.5 = 2/√3, kurtosis = 21/9.
    const s = marketStats(series([100, 100, 100, 100, 200]));
    expect(s.skew).toBeCloseTo(2 / Math.sqrt(3), 12);
    expect(s.excessKurtosis).toBeCloseTo(21 / 9 - 3, 12);
    // A series that only rises has no drawdown.
    expect(s.maxDrawdown).toBe(0);
    expect(s.maxDrawdownPeakIso).toBe("");
    expect(s.maxDrawdownDurationHours).toBe(0);
  });

  it("tail share: one 3σ move in twenty returns", () => {
    // r = 0 (×19), L: sample variance = (19 (L/20)² + (19L/20)²)/19 = L²/20, σ = L/√20 ≈ 0.224 L.
    // |L − L/20| = 0.95 L > 3σ ≈ 0.67 L; |0 − L/20| = 0.05 L is not → 1/20.
    const closes = [...Array.from({ length: 20 }, () => 100), 150];
    const s = marketStats(series(closes));
    const L = Math.log(1.5);
    expect(s.stdLogReturn).toBeCloseTo(L / Math.sqrt(20), 14);
    expect(s.tailShare3Sigma).toBeCloseTo(1 / 20, 14);
  });

  it("drawdown that recovers, measured in hours across a gap", () => {
    // Peak 120 (row 1, hour 1), trough 60 (row 3, hour 3): depth 0.5. Row 4 (hour 5, after a missing hour)
    // closes at 130 ≥ 120: recovered after 5 − 1 = 4 hours. The later 130 → 125 dip (3.8 %) is smaller.
    const s = marketStats(series([100, 120, 90, 60, 130, 125], undefined, [0, 1, 2, 3, 5, 6]));
    expect(s.missingBars).toBe(1);
    expect(s.maxDrawdown).toBeCloseTo(0.5, 14);
    expect(s.maxDrawdownDurationHours).toBe(4);
    expect(s.maxDrawdownRecovered).toBe(true);
    expect(s.maxDrawdownTroughIso).toBe("2021-01-01T03:00:00.000Z");
  });

  it("autocorrelation and pearson on tiny hand-worked vectors", () => {
    // x = 1, 2, 3, 4: mean 2.5, deviations −1.5, −0.5, 0.5, 1.5, Σ dev² = 5.
    // lag 1: (0.75 − 0.25 + 0.75)/5 = 0.25; lag 2: (−0.75 − 0.75)/5 = −0.3.
    expect(autocorrelation([1, 2, 3, 4], 1)).toBeCloseTo(0.25, 15);
    expect(autocorrelation([1, 2, 3, 4], 2)).toBeCloseTo(-0.3, 15);
    expect(autocorrelation([1, 2, 3, 4], 4)).toBeNaN();
    expect(autocorrelation([2, 2, 2], 1)).toBeNaN();
    // y = 2x + 1 is perfectly correlated. (1, 2, 3) vs (1, 3, 2): dx = −1, 0, 1; dy = −1, 1, 0 →
    // Σ dx dy = 1, Σ dx² = 2, Σ dy² = 2 → 1/√4 = 0.5.
    expect(pearson([1, 2, 3], [3, 5, 7])).toBeCloseTo(1, 15);
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 15);
  });

  it("an empty or one-row series gives NaN figures instead of throwing", () => {
    const s = marketStats(series([100]));
    expect(s.bars).toBe(1);
    expect(s.stdLogReturn).toBeNaN();
    expect(s.maxDrawdown).toBe(0);
    expect(marketStats(series([])).firstIso).toBe("");
  });

  it("formats a side-by-side table in text and Markdown", () => {
    const a = marketStats(series([100, 110, 99, 108.9, 98.01]));
    const text = formatMarketStatsTable([
      { label: "A", stats: a },
      { label: "B", stats: a },
    ]);
    expect(text).toContain("excess kurtosis");
    expect(text.split("\n")[0]).toMatch(/A\s+B$/);
    const md = formatMarketStatsTable([{ label: "A", stats: a }], "markdown");
    expect(md.split("\n")[1]).toBe("| --- | ---: |");
    expect(md).toContain("| max drawdown | 10.9 % |");
    // The "|" of |r| is escaped so that the row keeps its cells.
    expect(md).toContain("| ACF \\|r\\|, lag 1 |");
  });
});
