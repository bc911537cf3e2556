import { describe, expect, it } from "vitest";
import type { BacktestMetrics } from "./metrics.js";
import { summariseRuns } from "./seeds.js";

function fake(totalReturn: number, buyAndHoldReturn: number, sharpe: number | null): BacktestMetrics {
  return {
    steps: 10, years: 1, initialValue: 100, finalValue: 100 * (1 + totalReturn), totalReturn, buyAndHoldReturn,
    excessReturn: totalReturn - buyAndHoldReturn, annualisedReturn: totalReturn, annualisedVolatility: 0.1, sharpe,
    sortino: null, maxDrawdown: 0.1, maxDrawdownDurationHours: 5, longestDrawdownHours: 5, calmar: null, trades: 3,
    turnedIntoHolds: 0, turnover: 1, feesPaid: 1, averageExposure: 0.5, winRate: 0.5,
  };
}

describe("summariseRuns", () => {
  it("gives the mean, the sample std, the share that beat buy-and-hold and an interval inside the range", () => {
    const runs = [fake(0.1, 0.05, 1), fake(-0.2, 0.05, -1), fake(0.3, 0.05, 2), fake(0.0, 0.05, null)];
    const s = summariseRuns(runs, { seed: 1, resamples: 500 });
    expect(s.runs).toBe(4);
    // mean of [0.1, −0.2, 0.3, 0] = 0.05; deviations 0.05 −0.25 0.25 −0.05 → Σ² = 0.13 → std = √(0.13/3) = 0.208167
    expect(s.metrics.totalReturn.mean).toBeCloseTo(0.05, 12);
    expect(s.metrics.totalReturn.std).toBeCloseTo(0.208167, 6);
    expect(s.metrics.totalReturn.min).toBe(-0.2);
    const ci = s.metrics.totalReturn.ci!;
    expect(ci.lo).toBeGreaterThanOrEqual(-0.2);
    expect(ci.hi).toBeLessThanOrEqual(0.3);
    expect(ci.lo).toBeLessThan(0.05);
    // Sharpe is null in one run: summarised over the 3 where it exists.
    expect(s.metrics.sharpe.runs).toBe(3);
    expect(s.metrics.sharpe.mean).toBeCloseTo(2 / 3, 12);
    expect(s.metrics.sortino.mean).toBeNull();
    // 0.1 and 0.3 beat 0.05: 2 of 4
    expect(s.beatBuyAndHoldShare).toBe(0.5);
    expect(summariseRuns(runs, { seed: 1, resamples: 500 })).toEqual(s);
  });

  it("has no interval for a single run", () => {
    const s = summariseRuns([fake(0.1, 0, 1)]);
    expect(s.metrics.totalReturn.ci).toBeNull();
    expect(s.metrics.totalReturn.std).toBe(0);
  });
});
