import { describe, expect, it } from "vitest";
import { computeMetrics, drawdowns, periodsPerYear, type EquityRecord } from "./metrics.js";

/** A bar a quarter of a year long, so that 4 steps = 1 year and annualisation is ×2 for ratios (√4). */
const QUARTER_MS = (365 * 24 * 3_600_000) / 4;

function record(value: number[], hold: number[], extra: Partial<EquityRecord> = {}): EquityRecord {
  const n = value.length - 1;
  return {
    value: Float64Array.from(value),
    holdValue: Float64Array.from(hold),
    exposure: new Float64Array(n),
    executed: new Uint8Array(n),
    turnedIntoHold: new Uint8Array(n),
    tradedNotional: new Float64Array(n),
    fees: new Float64Array(n),
    periodMs: QUARTER_MS,
    ...extra,
  };
}

describe("computeMetrics", () => {
  it("matches hand-worked values on a 4-step curve", () => {
    const m = computeMetrics(
      record([100, 110, 99, 121, 121], [100, 105, 100, 110, 115], {
        exposure: Float64Array.from([0.5, 0, 1, 0.25]),
        executed: Uint8Array.from([1, 0, 1, 0]),
        turnedIntoHold: Uint8Array.from([0, 1, 0, 0]),
        tradedNotional: Float64Array.from([50, 0, 99, 0]),
        fees: Float64Array.from([0.05, 0, 0.099, 0]),
      }),
    );
    // returns r = [+0.1, −0.1, 121/99 − 1 = 2/9, 0]; mean = (2/9)/4 = 1/18 = 0.0555…
    // Σr² = 0.01 + 0.01 + 4/81 = 0.069383; Σ(r − m)² = Σr² − 4m² = 0.069383 − 0.012346 = 0.057037
    // sample std = √(0.057037 / 3) = 0.137885; 4 steps per year → ×√4 = ×2
    expect(m.steps).toBe(4);
    expect(m.years).toBeCloseTo(1, 12);
    expect(m.totalReturn).toBeCloseTo(0.21, 12);
    expect(m.buyAndHoldReturn).toBeCloseTo(0.15, 12);
    expect(m.excessReturn).toBeCloseTo(0.06, 12);
    expect(m.annualisedReturn).toBeCloseTo(0.21, 12); // exactly one year
    expect(m.annualisedVolatility).toBeCloseTo(0.275771, 5);
    expect(m.sharpe!).toBeCloseTo((1 / 18 / 0.137885) * 2, 4); // 0.80582
    // downside deviation = √((0.1²) / 4) = 0.05 → Sortino = (1/18) / 0.05 × 2 = 2.2222
    expect(m.sortino!).toBeCloseTo(2.222222, 5);
    // peak 110 (step 1) → 99: drawdown 10 %; regained at step 3 → 2 steps × 2190 h
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.maxDrawdownDurationHours).toBeCloseTo(2 * 2190, 9);
    expect(m.longestDrawdownHours).toBeCloseTo(2 * 2190, 9);
    expect(m.calmar!).toBeCloseTo(2.1, 12);
    expect(m.trades).toBe(2);
    expect(m.turnedIntoHolds).toBe(1);
    // Σ notional 149 / mean value (551 / 5 = 110.2)
    expect(m.turnover).toBeCloseTo(149 / 110.2, 12);
    expect(m.feesPaid).toBeCloseTo(0.149, 12);
    expect(m.averageExposure).toBeCloseTo(1.75 / 4, 12);
    // exposed steps 0 (+10 %), 2 (+22 %), 3 (0 %, not a win) → 2 of 3
    expect(m.winRate!).toBeCloseTo(2 / 3, 12);
  });

  it("counts an unrecovered drawdown to the end of the window", () => {
    const m = computeMetrics(record([100, 120, 90, 60, 80], [100, 100, 100, 100, 100]));
    expect(m.maxDrawdown).toBeCloseTo(0.5, 12); // 120 → 60
    expect(m.maxDrawdownDurationHours).toBeCloseTo(3 * 2190, 9); // steps 1 → 4, never regained
    expect(m.winRate).toBeNull(); // never exposed
    expect(m.totalReturn).toBeCloseTo(-0.2, 12);
  });

  it("gives null for ratios that do not exist", () => {
    const up = computeMetrics(record([100, 101, 102.01, 103.0301], [1, 1, 1, 1]));
    expect(up.maxDrawdown).toBe(0);
    expect(up.calmar).toBeNull();
    expect(up.sortino).toBeNull();
    expect(up.sharpe).toBeNull(); // a constant 1 % return has zero volatility
    const flat = computeMetrics(record([100, 100, 100], [1, 1, 1]));
    expect(flat.sharpe).toBeNull();
    expect(flat.annualisedReturn).toBe(0);
  });

  it("reports −100 % annualised after ruin and rejects misaligned inputs", () => {
    expect(computeMetrics(record([100, 50, 0], [1, 1, 1])).annualisedReturn).toBe(-1);
    expect(() => computeMetrics({ ...record([1, 2, 3], [1, 1, 1]), fees: new Float64Array(1) })).toThrow(/fees covers 1/);
  });

  it("annualises hourly data over 365 × 24 periods", () => {
    expect(periodsPerYear(3_600_000)).toBe(8760);
  });
});

describe("drawdowns", () => {
  it("matches a naive O(n²) reference on random curves", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 50; trial++) {
      const v = [100];
      for (let i = 0; i < 40; i++) v.push(v[v.length - 1]! * (1 + (rand() - 0.5) * 0.2));
      let naive = 0;
      for (let j = 0; j < v.length; j++) for (let i = 0; i <= j; i++) naive = Math.max(naive, 1 - v[j]! / v[i]!);
      const d = drawdowns(v);
      expect(d.maxDrawdown).toBeCloseTo(naive, 12);
      expect(d.longestDrawdownSteps).toBeGreaterThanOrEqual(d.maxDrawdownDurationSteps);
    }
  });
});
