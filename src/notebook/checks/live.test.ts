import { describe, expect, it } from "vitest";
import { exposureAfterSpend, exposureCapChecks, firstTradeChecks, largestSpendBySearch, parityChecks, tradeCapChecks } from "./live.js";

const ok = (cs: { ok: boolean }[]) => cs.map((c) => c.ok);
const trace = { steps: 4, side: [0, 1, -1, -1], timestamp: [10, 20, 30, 40], fillPrice: [NaN, 101, 99, 98], action: [0, 1, 2, 2] };

describe("notebook 07's checks", () => {
  it("the first sell of the trace", () => {
    expect(ok(firstTradeChecks({ barTs: 30, fillPrice: 99 }, trace, -1))).toEqual([true, true]);
    expect(ok(firstTradeChecks({ barTs: 40, fillPrice: 98 }, trace, -1))).toEqual([false, false]);
    expect(ok(firstTradeChecks({ barTs: 20, fillPrice: 101 }, trace, 1))).toEqual([true, true]);
  });

  it("a capped entry: spend, value, and their ratio is the cap", () => {
    // value 1000 + 0.1 × 40,000 = 5,000; a quarter is 1,250
    const rows = [
      { bar_ts: 50, risk_code: "capped_trade", spend: 999, cash: 1, coins: 0, price: 1 },
      { bar_ts: 20, risk_code: "capped_trade", spend: 1250, cash: 1000, coins: 0.1, price: 40_000 },
      { bar_ts: 10, risk_code: "pass", spend: 10, cash: 1000, coins: 0.1, price: 40_000 },
    ];
    expect(ok(tradeCapChecks({ spend: 1250, value: 5000, shareOfValue: 0.25 }, rows, 0.25))).toEqual([true, true, true]);
    expect(ok(tradeCapChecks({ spend: 999, value: 1000, shareOfValue: 0.3 }, rows, 0.25))).toEqual([false, false, false]);
  });

  it("the exposure cap, found by a forward simulation", () => {
    const s = { cash: 6000, coins: 0.1, price: 40_000 };
    const free = { commission: 0, buyFactor: 1 };
    // no fees: coins' value 4,000 + x out of 10,000 → x = 2,000 reaches 60 %
    expect(largestSpendBySearch(0.6, s, free)).toBeCloseTo(2000, 6);
    expect(exposureAfterSpend(2000, s, free)).toBeCloseTo(0.6, 12);
    expect(largestSpendBySearch(0.3, s, free)).toBe(0);
    const terms = { commission: 0.00075, buyFactor: 1.0005 };
    const x = largestSpendBySearch(0.6, s, terms);
    expect(x).toBeGreaterThan(2000); // fees shrink what a dollar buys, so a little more may be spent
    expect(exposureAfterSpend(x, s, terms)).toBeCloseTo(0.6, 9);
    expect(ok(exposureCapChecks({ exposureCapSpend: x, allowedSpend: x, code: "capped_exposure" }, s, terms, { maxTradeFraction: 0.25, maxExposure: 0.6 }, 6000))).toEqual([true, true, true]);
    expect(ok(exposureCapChecks({ exposureCapSpend: 2500, allowedSpend: 2500, code: "capped_trade" }, s, terms, { maxTradeFraction: 0.25, maxExposure: 0.6 }, 6000))).toEqual([false, false, false]);
    expect(ok(exposureCapChecks({ exposureCapSpend: 6000, allowedSpend: 2500, code: "capped_trade" }, s, terms, { maxTradeFraction: 0.25, maxExposure: 1 }, 6000))).toEqual([true, true, true]);
  });

  it("parity: counts differing decisions, and refuses the claim that live earns the same", () => {
    const same = [0, 1, 2, 3].map((t) => ({ bar_ts: trace.timestamp[t]!, action: trace.action[t]! }));
    expect(ok(parityChecks({ decisionsThatDiffer: 0, showsLiveEarnsTheSame: false }, same, trace))).toEqual([true, true]);
    const changed = [...same.slice(0, 3), { bar_ts: 40, action: 0 }];
    expect(ok(parityChecks({ decisionsThatDiffer: 0, showsLiveEarnsTheSame: true }, changed, trace))).toEqual([false, false]);
  });
});
