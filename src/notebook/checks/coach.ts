/**
 * Checks of notebook 06's exercises (the SOAR coach). The truth is computed here with plain loops: a naive
 * reading of the rules (every matching rule, rejections, the highest preference, a tie between different
 * proposals is an impasse), running peaks for drawdowns, counts over paired results. It never calls src/coach.
 */
import { holds, near, type Check } from "../exercises.js";

/** A rule as the coach's rule file holds it (the parsed form: `when` always present). */
export interface PlainRule {
  readonly id: string;
  // value is optional here only because tslab's non-strict compiler reads zod's output type that way.
  readonly when: readonly { readonly fact: string; readonly op: string; readonly value?: number | string | boolean | undefined }[];
  readonly propose?: { readonly guidance: string; readonly value?: number | undefined } | undefined;
  readonly reject?: string | undefined;
  readonly preference: number;
}

export type NaiveDecision =
  | { readonly kind: "selected"; readonly rule: string; readonly guidance: string; readonly value: number | null }
  | { readonly kind: "impasse"; readonly tie: boolean; readonly tied: readonly string[] };

function holdsFor(c: PlainRule["when"][number], facts: Readonly<Record<string, unknown>>): boolean {
  const v = facts[c.fact];
  if (v === null || v === undefined) return false;
  if (c.op === "==") return v === c.value;
  if (c.op === "!=") return v !== c.value;
  if (typeof v !== "number" || typeof c.value !== "number") return false;
  if (c.op === "<") return v < c.value;
  if (c.op === "<=") return v <= c.value;
  if (c.op === ">") return v > c.value;
  if (c.op === ">=") return v >= c.value;
  throw new RangeError(`unknown operator ${c.op}`);
}

/** What the rules decide on these facts, read the way docs/coach.md describes SOAR's decision. */
export function naiveDecision(rules: readonly PlainRule[], facts: Readonly<Record<string, unknown>>): NaiveDecision {
  const fired = rules.filter((r) => r.when.every((c) => holdsFor(c, facts)));
  const rejected = new Set(fired.filter((r) => r.reject !== undefined).map((r) => r.reject!));
  const candidates = fired.filter((r) => r.propose !== undefined && !(rejected.has("any") || (r.propose.guidance !== "none" && rejected.has(r.propose.guidance))));
  if (candidates.length === 0) return { kind: "impasse", tie: false, tied: [] };
  let best = -Infinity;
  for (const r of candidates) best = Math.max(best, r.preference);
  const top = candidates.filter((r) => r.preference === best);
  const p0 = top[0]!.propose!;
  const same = top.every((r) => r.propose!.guidance === p0.guidance && (r.propose!.value ?? null) === (p0.value ?? null));
  if (!same) return { kind: "impasse", tie: true, tied: top.map((r) => r.id) };
  return { kind: "selected", rule: top[0]!.id, guidance: p0.guidance, value: p0.value ?? null };
}

export interface PredictAnswer {
  /** State A: the rule that wins, its guidance and value. */
  readonly ruleA: string | null;
  readonly guidanceA: string | null;
  readonly valueA: number | null;
  /** State B: is it an impasse? */
  readonly impasseB: boolean | null;
}

/** Exercise "predict the guidance": state A has one winner, state B is whatever the rules make of it. */
export function predictGuidanceChecks(a: PredictAnswer, rules: readonly PlainRule[], factsA: Readonly<Record<string, unknown>>, factsB: Readonly<Record<string, unknown>>): Check[] {
  const dA = naiveDecision(rules, factsA);
  const dB = naiveDecision(rules, factsB);
  const winA = dA.kind === "selected" ? dA : null;
  return [
    holds("state A: the winning rule", a.ruleA === null ? null : a.ruleA === winA?.rule, "list the rules whose conditions all hold, drop the rejected kinds, keep the highest preference"),
    holds("state A: its guidance", a.guidanceA === null ? null : a.guidanceA === winA?.guidance, "the winning rule's propose.guidance"),
    near("state A: its value", a.valueA, winA?.value ?? Number.NaN, 1e-9),
    holds("state B: an impasse?", a.impasseB === null ? null : a.impasseB === (dB.kind === "impasse"), "two different proposals at the same top preference are a tie"),
  ];
}

/** One state of a run with the student's rule added: should it fire there, and what the coach chose. */
export interface RuleRun {
  readonly shouldWin: boolean;
  readonly chosenRule: string | null;
  readonly guidance: string | null;
  readonly value: number | null;
}

export interface NewRuleAnswer {
  /** The rule's id (the student's rule object, or null while not written). */
  readonly ruleId: string | null;
  /** How many of the states the student predicted it wins. */
  readonly winsOn: number | null;
}

/**
 * Exercise "write a rule": the coach must choose the student's rule, with the asked guidance, on exactly the
 * states where its conditions hold (`shouldWin`, computed from the facts by the caller), and nowhere else.
 * `invalid` is the rule file's validation message when it did not load.
 */
export function newRuleChecks(a: NewRuleAnswer, runs: readonly RuleRun[], want: { readonly guidance: string; readonly value: number }, invalid: string | null = null): Check[] {
  if (a.ruleId === null) return [holds("your rule", null, ""), holds("states it wins", null, "")];
  if (invalid !== null) return [holds("your rule loads", false, invalid)];
  let wins = 0, wrongPlace = 0, missed = 0, wrongGuidance = 0;
  for (const r of runs) {
    const mine = r.chosenRule === a.ruleId;
    if (r.shouldWin) {
      wins++;
      if (!mine) missed++;
      else if (r.guidance !== want.guidance || r.value !== want.value) wrongGuidance++;
    } else if (mine) wrongPlace++;
  }
  return [
    holds("chosen on every state its conditions describe", missed === 0, `${missed} of ${wins} such states chose another rule: check the conditions and the preference`),
    holds("never chosen elsewhere", wrongPlace === 0, `chosen on ${wrongPlace} state(s) it should not fire on`),
    holds(`proposes ${want.guidance} ${want.value}`, wrongGuidance === 0, "check propose.guidance and propose.value"),
    near("states it wins (your prediction)", a.winsOn, wins, 0),
  ];
}

/** Largest fall from a running peak, as a share of the peak. */
export function maxDrawdownOf(value: ArrayLike<number>): number {
  let peak = -Infinity, worst = 0;
  for (let t = 0; t < value.length; t++) {
    const v = value[t]!;
    if (v > peak) peak = v;
    if (peak > 0) worst = Math.max(worst, 1 - v / peak);
  }
  return worst;
}

export interface GuidanceShareAnswer {
  readonly shareCapped: number | null;
  readonly shareSmaller: number | null;
  readonly lowerDrawdown: boolean | null;
}

/** Exercise "guidance in a backtest": how often each guidance was in force, and what it did to the drawdown. */
export function guidanceShareChecks(a: GuidanceShareAnswer, riskScale: ArrayLike<number>, sizeScale: ArrayLike<number>, valueOff: ArrayLike<number>, valueOn: ArrayLike<number>): Check[] {
  const share = (x: ArrayLike<number>) => {
    let k = 0;
    for (let t = 0; t < x.length; t++) if (x[t]! < 1) k++;
    return x.length === 0 ? 0 : k / x.length;
  };
  const lower = maxDrawdownOf(valueOn) < maxDrawdownOf(valueOff);
  return [
    near("share of ticks with the exposure cap below 1", a.shareCapped, share(riskScale), 0.001),
    near("share of ticks with the size scaled below 1", a.shareSmaller, share(sizeScale), 0.001),
    holds("did the coach lower the max drawdown?", a.lowerDrawdown === null ? null : a.lowerDrawdown === lower, "compute the max drawdown of both value curves (running peak)"),
  ];
}

export interface IntervalAnswer {
  readonly pairsOnHigher: number | null;
  readonly intervalSpansZero: boolean | null;
  readonly showsCoachUseless: boolean | null;
}

/** Exercise "what the interval does not show": paired total returns and their interval [lo, hi]. */
export function intervalChecks(a: IntervalAnswer, pairs: readonly { readonly off: number; readonly on: number }[], lo: number, hi: number): Check[] {
  let higher = 0;
  // Higher by more than rounding: a coach that changed nothing leaves differences of ~1e-16.
  for (const p of pairs) if (p.on - p.off > 1e-12) higher++;
  const spans = lo <= 0 && hi >= 0;
  return [
    near("pairs where the coach's return is higher", a.pairsOnHigher, higher, 0),
    holds("does the interval contain 0?", a.intervalSpansZero === null ? null : a.intervalSpansZero === spans, "read lo and hi of on − off for totalReturn"),
    holds("does it show the coach is useless?", a.showsCoachUseless === null ? null : a.showsCoachUseless === false, `${pairs.length} pairs of a barely trained agent: an interval that contains 0 is absence of evidence, not evidence of absence`),
  ];
}
