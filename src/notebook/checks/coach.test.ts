import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { guidanceShareChecks, intervalChecks, maxDrawdownOf, naiveDecision, newRuleChecks, predictGuidanceChecks, type PlainRule } from "./coach.js";

const file = JSON.parse(readFileSync(new URL("../../coach/default-rules.json", import.meta.url), "utf8")) as { rules: (Omit<PlainRule, "preference"> & { preference?: number })[] };
const RULES: PlainRule[] = file.rules.map((r) => ({ ...r, preference: r.preference ?? 0 }));
const base = { stale: false, drawdown: 0, drawdownBucket: "none", volRegime: "normal", tradeFrequency: 0, feeDrag: 0 };
const ok = (cs: { ok: boolean }[]) => cs.map((c) => c.ok);

describe("notebook 06's checks", () => {
  it("read the default rules by hand: a winner, a tie, a rejection, staleness", () => {
    expect(naiveDecision(RULES, base)).toEqual({ kind: "selected", rule: "calm", guidance: "none", value: null });
    const a = { ...base, drawdown: 0.07, drawdownBucket: "medium", volRegime: "high", tradeFrequency: 0.6, feeDrag: 0.003 };
    expect(naiveDecision(RULES, a)).toEqual({ kind: "selected", rule: "drawdown-caution", guidance: "adjust_risk", value: 0.75 });
    const b = { ...a, drawdown: 0.02, drawdownBucket: "small" }; // high-volatility (size) and overtrading (timing), both 5
    expect(naiveDecision(RULES, b)).toEqual({ kind: "impasse", tie: true, tied: ["high-volatility", "overtrading"] });
    const calmB = { ...b, volRegime: "low" }; // timing rejected in a calm market, nothing else proposes
    expect(naiveDecision(RULES, calmB)).toEqual({ kind: "impasse", tie: false, tied: [] });
    expect(naiveDecision(RULES, { ...a, stale: true })).toMatchObject({ rule: "stale-state" });
  });

  it("predicting the guidance: right, wrong, unanswered", () => {
    const a = { ...base, drawdown: 0.07, drawdownBucket: "medium", volRegime: "high", tradeFrequency: 0.6, feeDrag: 0.003 };
    const b = { ...a, drawdown: 0.02, drawdownBucket: "small" };
    expect(ok(predictGuidanceChecks({ ruleA: "drawdown-caution", guidanceA: "adjust_risk", valueA: 0.75, impasseB: true }, RULES, a, b))).toEqual([true, true, true, true]);
    expect(ok(predictGuidanceChecks({ ruleA: "high-volatility", guidanceA: "size", valueA: 0.5, impasseB: false }, RULES, a, b))).toEqual([false, false, false, false]);
    expect(predictGuidanceChecks({ ruleA: null, guidanceA: null, valueA: null, impasseB: null }, RULES, a, b).every((c) => c.pending)).toBe(true);
  });

  it("a new rule: chosen where it should be, nowhere else, with the asked guidance", () => {
    const runs = [
      { shouldWin: false, chosenRule: "calm", guidance: "none", value: null },
      { shouldWin: true, chosenRule: "mine", guidance: "size", value: 0.25 },
      { shouldWin: true, chosenRule: "mine", guidance: "size", value: 0.25 },
    ];
    expect(ok(newRuleChecks({ ruleId: "mine", winsOn: 2 }, runs, { guidance: "size", value: 0.25 }))).toEqual([true, true, true, true]);
    const tooOften = [...runs, { shouldWin: false, chosenRule: "mine", guidance: "size", value: 0.25 }];
    expect(ok(newRuleChecks({ ruleId: "mine", winsOn: 3 }, tooOften, { guidance: "size", value: 0.25 }))).toEqual([true, false, true, false]);
    const lowPreference = [runs[0]!, { ...runs[1]!, chosenRule: "deep-drawdown", guidance: "adjust_risk", value: 0.5 }, runs[2]!];
    expect(ok(newRuleChecks({ ruleId: "mine", winsOn: 2 }, lowPreference, { guidance: "timing", value: 4 }))).toEqual([false, true, false, true]);
    expect(newRuleChecks({ ruleId: "mine", winsOn: 2 }, runs, { guidance: "size", value: 0.25 }, "rule mine: unknown fact")[0]).toMatchObject({ ok: false });
  });

  it("guidance shares and drawdowns by hand", () => {
    expect(maxDrawdownOf([100, 120, 90, 130, 117])).toBeCloseTo(0.25, 12);
    const risk = [1, 0.5, 0.5, 1], size = [1, 1, 1, 0.5];
    expect(ok(guidanceShareChecks({ shareCapped: 0.5, shareSmaller: 0.25, lowerDrawdown: true }, risk, size, [100, 120, 90], [100, 110, 99]))).toEqual([true, true, true]);
    expect(ok(guidanceShareChecks({ shareCapped: 0.25, shareSmaller: 0.5, lowerDrawdown: false }, risk, size, [100, 120, 90], [100, 110, 99]))).toEqual([false, false, false]);
  });

  it("the interval: counts, zero inside, and no claim of no effect", () => {
    const pairs = [{ off: 0.01, on: 0.02 }, { off: 0.03, on: 0.01 }, { off: 0, on: 0 }];
    expect(ok(intervalChecks({ pairsOnHigher: 1, intervalSpansZero: true, showsCoachUseless: false }, pairs, -0.01, 0.02))).toEqual([true, true, true]);
    expect(ok(intervalChecks({ pairsOnHigher: 2, intervalSpansZero: false, showsCoachUseless: true }, pairs, -0.01, 0.02))).toEqual([false, false, false]);
    expect(intervalChecks({ pairsOnHigher: 1, intervalSpansZero: false, showsCoachUseless: false }, pairs, 0.001, 0.02)[1]!.ok).toBe(true);
  });
});
