import { describe, expect, it } from "vitest";
import { syntheticCandles } from "../env/synthetic-market.js";
import { backtestModel, runBacktest, type BacktestPolicy } from "../eval/backtest.js";
import { randomPolicy } from "../eval/baselines.js";
import { runCoachedBacktest } from "./coached-backtest.js";
import { loadRules, ruleSetFrom, type RuleInput } from "./rules.js";

const candles = syntheticCandles(800, 11);
const model = backtestModel(candles, "seed");
const rules = (r: RuleInput[]) => ruleSetFrom({ schemaVersion: 1, settings: { shortWindow: 8, window: 48 }, rules: r });
const alwaysBuy: BacktestPolicy = { name: "buy", reset() {}, act: () => 1 };

describe("a backtest with the coach in the loop", () => {
  it("a coach that never advises leaves the backtest bit-identical to the plain one", () => {
    const plain = runBacktest(model, randomPolicy(model), { seed: 3 });
    const coached = runCoachedBacktest(model, randomPolicy(model), { rules: rules([{ id: "quiet", propose: { guidance: "none" } }]), seed: 3 });
    expect(coached.trace.value).toEqual(plain.value);
    expect(coached.trace.cash).toEqual(plain.cash);
    expect(coached.trace.holdCode).toEqual(plain.holdCode);
    expect(coached.guidance).toEqual([]);
    expect(coached.mix).toEqual({ none: plain.steps });
  });

  it("is deterministic, and the coach's own messages all pass the trader's receiver", () => {
    const a = runCoachedBacktest(model, randomPolicy(model), { rules: loadRules(), seed: 5 });
    const b = runCoachedBacktest(model, randomPolicy(model), { rules: loadRules(), seed: 5 });
    expect(a.trace.value).toEqual(b.trace.value);
    expect(a.guidance).toEqual(b.guidance);
    expect(a.guidance.length).toBeGreaterThan(0);
    expect(a.receiver.rejected).toBe(0);
    expect(a.receiver.applied).toBe(a.guidance.length);
  });

  it("guidance issued on a state applies from the next decision: size 0.5 halves every buy after the first", () => {
    const coached = runCoachedBacktest(model, alwaysBuy, { rules: rules([{ id: "half", propose: { guidance: "size", value: 0.5 }, ttlTicks: 24 }]), seed: 0 });
    const plain = runBacktest(model, alwaysBuy, { seed: 0 });
    const spend = (tr: typeof plain, t: number): number => tr.cash[t]! - tr.cash[t + 1]!;
    // Step 0: no guidance yet; the reference scheme spends half the cash.
    expect(spend(coached.trace, 0)).toBe(spend(plain, 0));
    expect(coached.timeline.sizeScale[0]).toBe(1);
    // Step 1 on: a quarter of the cash (0.5 × the scheme's 0.5), independent of the filter's arithmetic.
    for (const t of [1, 2, 3]) {
      expect(coached.timeline.sizeScale[t]).toBe(0.5);
      expect(spend(coached.trace, t)).toBeCloseTo(coached.trace.cash[t]! * 0.25, 9);
    }
  });

  it("timing holds the next N decisions; adjust_risk caps the coin share", () => {
    const wait = runCoachedBacktest(model, alwaysBuy, { rules: rules([{ id: "wait", when: [{ fact: "ticks", op: "==", value: 1 }], propose: { guidance: "timing", value: 3 } }]), seed: 0 });
    expect(Array.from(wait.timeline.waiting.subarray(0, 6))).toEqual([0, 1, 1, 1, 0, 0]);
    expect(Array.from(wait.trace.side.subarray(0, 6))).toEqual([1, 0, 0, 0, 1, 1]);
    const capped = runCoachedBacktest(model, randomPolicy(model), { rules: rules([{ id: "cap", propose: { guidance: "adjust_risk", value: 0.6 } }]), seed: 0 });
    // Every buy leaves the coin share at or under the cap (prices may lift it above without a trade: no forced sale).
    const ex = capped.trace.exposure;
    let buys = 0;
    for (let t = 1; t < capped.trace.steps; t++) {
      if (capped.trace.side[t] === 1) {
        buys++;
        expect(ex[t]!).toBeLessThanOrEqual(0.6 + 1e-9);
      }
    }
    expect(buys).toBeGreaterThan(0);
    expect(Array.from(capped.trace.holdCode).filter((c) => c === 6).length).toBeGreaterThan(0);
  });
});
