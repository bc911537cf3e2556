import { describe, expect, it } from "vitest";
import { allocatorIntervalChecks, equalWeightHoldChecks, legsAndFees, rebalanceChecks, rebalanceKnobChecks, simulateLegs } from "./portfolio.js";

const ok = (cs: { ok: boolean }[]) => cs.map((c) => c.ok);
const h = { cash: 2000, coins: [0.1, 2], prices: [40_000, 2000] }; // 2,000 cash + 4,000 + 4,000

describe("notebook 08's checks", () => {
  it("a rebalance without fees, worked by hand: sell 1 ETH, buy 3,000 USD of BTC → 70 / 30 of 10,000", () => {
    const sim = simulateLegs(h, 0, 1, 1, 0, 3000);
    expect(sim.value).toBe(10_000);
    expect(sim.weights).toEqual([0.7, 0.2]);
    const sim2 = simulateLegs(h, 0, 1, 0.5, 0, 3000); // 2,000 + 1,000 − 3,000 = 0 cash: 7,000 BTC, 3,000 ETH
    expect(sim2.weights).toEqual([0.7, 0.3]);
    expect(ok(rebalanceChecks({ sellCoins: 0.5, buyUsd: 3000, valueAfter: 10_000 }, h, [0.7, 0.3], 0, 1, 0))).toEqual([true, true, true, true]);
    expect(ok(rebalanceChecks({ sellCoins: 1, buyUsd: 3000, valueAfter: 10_000 }, h, [0.7, 0.3], 0, 1, 0))).toEqual([true, true, false, true]);
    expect(ok(rebalanceChecks({ sellCoins: 0.5, buyUsd: 3500, valueAfter: 9000 }, h, [0.7, 0.3], 0, 1, 0))).toEqual([true, false, false, false]);
    expect(rebalanceChecks({ sellCoins: null, buyUsd: null, valueAfter: null }, h, [0.7, 0.3], 0, 1, 0).every((c) => c.pending)).toBe(true);
  });

  it("with fees the no-fee legs miss the targets", () => {
    expect(ok(rebalanceChecks({ sellCoins: 0.5, buyUsd: 3000, valueAfter: 10_000 }, h, [0.7, 0.3], 0.001, 1, 0))[2]).toBe(false);
  });

  const trace = (value: number[], prices: number[] = [], legCode: number[] = [], legFee: number[] = []) => ({ steps: value.length - 1, value, prices, legCode, legFee });

  it("equal-weight hold: half in each at the first close, fees from the coins", () => {
    // 10,000: 5,000 × 0.999 in each; A doubles, B halves → 4,995 × 2 + 4,995 × 0.5 = 12,487.5: +24.875 %
    const t = trace([10_000, 0, 0], [100, 10, 150, 8, 200, 5]);
    expect(ok(equalWeightHoldChecks({ totalReturn: 0.24875 }, t, 2, 0.001))).toEqual([true]);
    expect(ok(equalWeightHoldChecks({ totalReturn: 0.25 }, t, 2, 0.001))).toEqual([false]);
  });

  it("legs, fees and the weekly-vs-daily judgement", () => {
    const weekly = trace([100, 101, 104], [], [0, 0, 1, 1], [0.1, 0.2, 0, 0]);
    const daily = trace([100, 101, 103], [], [0, 0, 0, 0], [0.1, 0.2, 0.1, 0.1]);
    expect(legsAndFees(daily)).toEqual({ legs: 4, fees: expect.closeTo(0.5, 12) });
    expect(ok(rebalanceKnobChecks({ legsWeekly: 2, feesWeekly: 0.3, weeklyBeatsDaily: true }, weekly, daily))).toEqual([true, true, true]);
    expect(ok(rebalanceKnobChecks({ legsWeekly: 4, feesWeekly: 0.5, weeklyBeatsDaily: false }, weekly, daily))).toEqual([false, false, false]);
  });

  it("the allocator's interval: mean excess, zero inside, no claim", () => {
    const bench = trace([100, 110]); // +10 %
    const agents = [trace([100, 112]), trace([100, 106])]; // +2 and −4 points: mean −1
    expect(ok(allocatorIntervalChecks({ meanExcessPoints: -1, intervalSpansZero: true, showsRealEdge: false }, agents, bench, -0.04, 0.02))).toEqual([true, true, true]);
    expect(ok(allocatorIntervalChecks({ meanExcessPoints: 11, intervalSpansZero: false, showsRealEdge: true }, agents, bench, -0.04, 0.02))).toEqual([false, false, false]);
    // An interval above 0 still shows no edge: the judgement does not follow the interval.
    expect(ok(allocatorIntervalChecks({ meanExcessPoints: -1, intervalSpansZero: false, showsRealEdge: false }, agents, bench, 0.001, 0.02))).toEqual([true, true, true]);
  });
});
