/**
 * Checks of notebook 07's exercises (promote to live). The truth comes from the backtest's trace or from a
 * forward simulation of one fill (cash, coins and value after spending x), never from the trader's journal code
 * or the risk manager's closed-form caps, which the exercises ask the student to use or to derive.
 */
import { holds, near, type Check } from "../exercises.js";

/** The part of a backtest trace these checks read. */
export interface DecisionTraceLike {
  readonly steps: number;
  readonly side: ArrayLike<number>;
  readonly timestamp: ArrayLike<number>;
  readonly fillPrice: ArrayLike<number>;
  readonly action: ArrayLike<number>;
}

export interface FirstTradeAnswer {
  readonly barTs: number | null;
  readonly fillPrice: number | null;
}

/** Exercise "find a decision in the journal": the first trade of `side` (+1 buy, −1 sell) of the backtest. */
export function firstTradeChecks(a: FirstTradeAnswer, trace: DecisionTraceLike, side: 1 | -1): Check[] {
  let t = 0;
  while (t < trace.steps && trace.side[t] !== side) t++;
  if (t === trace.steps) return [holds(`the first ${side > 0 ? "buy" : "sell"}`, a.barTs === null ? null : false, "the backtest has no such trade")];
  return [
    near("its bar (ms since 1970, UTC)", a.barTs, trace.timestamp[t]!, 0),
    near("its fill price (USD)", a.fillPrice, trace.fillPrice[t]!, 1e-6),
  ];
}

/** A decisions row as the journal stores it (the columns this exercise reads). */
export interface CappedRow {
  readonly bar_ts: number;
  readonly risk_code: string;
  readonly spend: number | null;
  readonly cash: number;
  readonly coins: number;
  readonly price: number;
}

export interface TradeCapAnswer {
  readonly spend: number | null;
  readonly value: number | null;
  readonly shareOfValue: number | null;
}

/**
 * Exercise "explain a clamp": the first decision whose entry the risk manager capped at `maxTradeFraction` of
 * the value: its spend, the value at the decision (cash + coins × price) and their ratio, which is the cap.
 */
export function tradeCapChecks(a: TradeCapAnswer, rows: readonly CappedRow[], maxTradeFraction: number): Check[] {
  let first: CappedRow | null = null;
  for (const r of rows) if (r.risk_code === "capped_trade" && (first === null || r.bar_ts < first.bar_ts)) first = r;
  if (first === null || first.spend === null) return [holds("a capped entry", a.spend === null ? null : false, "the journal holds no capped_trade decision")];
  const value = first.cash + first.coins * first.price;
  return [
    near("its spend (USD)", a.spend, first.spend, 1e-6),
    near("the value at the decision (USD)", a.value, value, 1e-6),
    near("spend / value", a.shareOfValue, maxTradeFraction, 1e-4),
  ];
}

export interface Snapshot {
  readonly cash: number;
  readonly coins: number;
  readonly price: number;
}

export interface Terms {
  readonly commission: number;
  /** Buy fill over the decision price (1 + slippage). */
  readonly buyFactor: number;
}

/** Coin share of the value after spending `x` at price × buyFactor with the commission taken from the coins. */
export function exposureAfterSpend(x: number, s: Snapshot, t: Terms): number {
  const coins = s.coins + ((1 - t.commission) * x) / (s.price * t.buyFactor);
  const cash = s.cash - x;
  return (coins * s.price) / (cash + coins * s.price);
}

/** The largest spend whose exposure after the fill stays ≤ cap, by bisection on the forward simulation. */
export function largestSpendBySearch(cap: number, s: Snapshot, t: Terms): number {
  if (exposureAfterSpend(0, s, t) >= cap) return 0;
  let lo = 0, hi = s.cash;
  if (exposureAfterSpend(hi, s, t) <= cap) return hi;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (exposureAfterSpend(mid, s, t) <= cap) lo = mid;
    else hi = mid;
  }
  return lo;
}

export interface ExposureCapAnswer {
  /** The largest spend that keeps the exposure at or below the cap (USD). */
  readonly exposureCapSpend: number | null;
  /** What the risk manager lets through for the asked order (USD). */
  readonly allowedSpend: number | null;
  /** Which cap binds: "capped_trade" or "capped_exposure" (or "pass"). */
  readonly code: string | null;
}

/** Exercise "derive the exposure cap": the caps for an entry of `asked` USD from snapshot `s`. */
export function exposureCapChecks(a: ExposureCapAnswer, s: Snapshot, t: Terms, limits: { readonly maxTradeFraction: number; readonly maxExposure: number }, asked: number): Check[] {
  const value = s.cash + s.coins * s.price;
  const byExposure = largestSpendBySearch(limits.maxExposure, s, t);
  const byTrade = limits.maxTradeFraction * value;
  let allowed = Math.min(asked, s.cash), code = "pass";
  if (allowed > byTrade) { allowed = byTrade; code = "capped_trade"; }
  if (allowed > byExposure) { allowed = byExposure; code = "capped_exposure"; }
  return [
    near("largest spend under the exposure cap (USD)", a.exposureCapSpend, byExposure, 0.01),
    near("spend the risk manager lets through (USD)", a.allowedSpend, allowed, 0.01),
    holds("the code it journals", a.code === null ? null : a.code === code, "compare the trade cap (a share of the value) with the exposure cap, the lower one binds"),
  ];
}

export interface ParityAnswer {
  readonly decisionsThatDiffer: number | null;
  readonly showsLiveEarnsTheSame: boolean | null;
}

/** Exercise "what parity does not show": replay decisions against the backtest's, and the judgement. */
export function parityChecks(a: ParityAnswer, decisions: readonly { readonly bar_ts: number; readonly action: number }[], trace: DecisionTraceLike): Check[] {
  let differ = Math.abs(decisions.length - trace.steps);
  for (let t = 0; t < Math.min(decisions.length, trace.steps); t++) {
    if (decisions[t]!.bar_ts !== trace.timestamp[t] || decisions[t]!.action !== trace.action[t]) differ++;
  }
  return [
    near("decisions that differ", a.decisionsThatDiffer, differ, 0),
    holds("does it show paper or live will earn the same?", a.showsLiveEarnsTheSame === null ? null : a.showsLiveEarnsTheSame === false, "the replay shares the backtest's fill model and candles: real fills, latency, partial fills and outages are exactly what it cannot show"),
  ];
}
