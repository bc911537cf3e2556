import { describe, expect, it } from "vitest";
import { emaRewardChecks, entropyChecks, klChecks, oneSeedChecks } from "./training.js";

const allOk = (cs: { ok: boolean }[]) => cs.every((c) => c.ok);

describe("notebook 04's checks", () => {
  it("entropy: pass the right reading, fail a wrong one, wait for null", () => {
    const h = [1.09, 1.0, 0.8, 0.55];
    expect(allOk(entropyChecks({ firstEntropy: 1.09, lastEntropy: 0.55, shareOfUniform: 0.55 / 1.0986, moreDeterministic: true }, h))).toBe(true);
    const wrong = entropyChecks({ firstEntropy: 1.09, lastEntropy: 0.8, shareOfUniform: 0.5, moreDeterministic: false }, h);
    expect(wrong.map((c) => c.ok)).toEqual([true, false, true, false]);
    expect(entropyChecks({ firstEntropy: null, lastEntropy: null, shareOfUniform: null, moreDeterministic: null }, h).every((c) => c.pending)).toBe(true);
  });

  it("KL: median, count above the target, critic against the mean", () => {
    const kl = [0.001, 0.03, 0.004, 0.025, 0.002]; // sorted 0.001 0.002 0.004 0.025 0.03: median 0.004, 2 above 0.02
    const ev = [null, -0.3, 0.2, 0.4]; // mean of the numbers 0.1
    expect(allOk(klChecks({ medianKl: 0.004, updatesAboveTarget: 2, criticBeatsMean: true }, kl, ev))).toBe(true);
    expect(klChecks({ medianKl: 0.0124, updatesAboveTarget: 3, criticBeatsMean: false }, kl, ev).map((c) => c.ok)).toEqual([false, false, false]);
    expect(klChecks({ medianKl: 0.0025, updatesAboveTarget: 2, criticBeatsMean: true }, [0.001, 0.002, 0.003, 0.03], [-0.1])[0]!.ok).toBe(true);
  });

  it("EMA reward: the geometric sum, worked by hand for 3 steps", () => {
    // r = ln 1.01; excess 100 r (1 + 0.95 + 0.9025) = 100 r · 2.8525
    const r = Math.log(1.01);
    expect(allOk(emaRewardChecks({ totalEmaReward: 100 * r * 2.8525, totalLogReturnReward: 300 * r, emaPaysLessForDrift: true }, 0.01, 3))).toBe(true);
    expect(emaRewardChecks({ totalEmaReward: 300 * r, totalLogReturnReward: 300 * r, emaPaysLessForDrift: false }, 0.01, 3).map((c) => c.ok)).toEqual([false, true, false]);
  });

  it("one seed: excess recomputed from cash, coins and prices", () => {
    // start 100 cash + 1 coin at 100 → 200; hold ends at 100 + 150 = 250 (+25 %); agent ends at 260 (+30 %): +5 points
    const trace = { steps: 2, value: [200, 230, 260], cash: [100, 0, 0], coins: [1, 2, 2], price: [100, 115, 150] };
    expect(allOk(oneSeedChecks({ excessPoints: 5, showsAgentBeatsHolding: false }, trace))).toBe(true);
    expect(oneSeedChecks({ excessPoints: 30, showsAgentBeatsHolding: true }, trace).map((c) => c.ok)).toEqual([false, false]);
  });
});
