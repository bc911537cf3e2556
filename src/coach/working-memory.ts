/**
 * Working memory: the coach's bounded history of the trader's states, and the facts the elaborate phase derives
 * from it (SOAR's elaboration: the state is enriched before any operator is proposed). Everything here is plain
 * JSON (the memory lives in the LangGraph checkpoint) and pure: the same states give the same facts.
 *
 * A fact the states cannot support is null ("unknown"), never guessed: the seed's minimal state has no portfolio,
 * so its drawdown is unknown, while the market's volatility is computed from the prices it does carry.
 */
import type { AnyPpoState } from "../bus/messages.js";

export interface MemorySettings {
  /** Ticks kept (the long window of the volatility ratio). */
  readonly window: number;
  /** Ticks of the short window (volatility, trade frequency, fee drag, win rate, returns). */
  readonly shortWindow: number;
  /** volRatio below `low` is a "low" regime, above `high` a "high" one. */
  readonly volRegime: { readonly low: number; readonly high: number };
  /** A state older than this many intervals is stale. */
  readonly staleIntervals: number;
  /** Interval assumed when the state does not say (ms). */
  readonly defaultIntervalMs: number;
}

export interface CoachMemory {
  ticks: number;
  lastSeq: number | null;
  lastTs: number | null;
  peakValue: number | null;
  /** Newest last, at most `window` each. */
  price: number[];
  value: Array<number | null>;
  traded: number[];
  fee: number[];
  reward: Array<number | null>;
  /**
   * Simulated time (a replay or backtest state that came over the bus): when the previous state was put on the bus
   * (the stream entry's time, ms UTC) and the pace between recent states (real ms per ms of the trader's time, newest
   * last, at most PACE_KEPT). Optional: checkpoints written before these fields have none.
   */
  lastSentAt?: number | null;
  pace?: number[];
}

/** Pace samples kept (their median is the replay's pace). */
export const PACE_KEPT = 9;

export function emptyMemory(): CoachMemory {
  return { ticks: 0, lastSeq: null, lastTs: null, peakValue: null, price: [], value: [], traded: [], fee: [], reward: [], lastSentAt: null, pace: [] };
}

/**
 * True when the state runs on a simulated clock (a replay or a backtest): its `ts` is market time, not the time it
 * was made, so its age is measured by its arrival (see `elaborate`), never against the coach's wall clock.
 */
export function simulatedTime(s: AnyPpoState): boolean {
  return s.form === "v1" && (s.mode === "replay" || s.mode === "backtest");
}

/** The facts of one cycle. Names, types and meanings: FACTS below (the rules file may test any of them). */
export interface Facts {
  ticks: number;
  action: "hold" | "buy" | "sell";
  price: number;
  drawdown: number | null;
  volatility: number | null;
  volLong: number | null;
  volRatio: number | null;
  volRegime: "low" | "normal" | "high" | "unknown";
  tradeFrequency: number | null;
  feeDrag: number | null;
  winRate: number | null;
  exposure: number | null;
  portfolioReturn: number | null;
  trend: number | null;
  staleMs: number;
  stale: boolean;
  drawdownBucket: "none" | "small" | "medium" | "large" | "unknown";
  exposureBucket: "flat" | "partial" | "full" | "unknown";
  tradeBucket: "idle" | "low" | "high" | "unknown";
  trendBucket: "down" | "flat" | "up" | "unknown";
  volBucket: "low" | "normal" | "high" | "unknown";
}
export type FactName = keyof Facts;

export type FactType = { readonly kind: "number" } | { readonly kind: "boolean" } | { readonly kind: "enum"; readonly values: readonly string[] };

/** Every fact a rule may test, with its type and meaning (docs/coach.md lists the same). */
export const FACTS: Readonly<Record<FactName, FactType & { readonly doc: string }>> = {
  ticks: { kind: "number", doc: "states the coach has seen" },
  action: { kind: "enum", values: ["hold", "buy", "sell"], doc: "the agent's action on this tick" },
  price: { kind: "number", doc: "last price" },
  drawdown: { kind: "number", doc: "drawdown of the portfolio value from its running peak, [0, 1]" },
  volatility: { kind: "number", doc: "std of per-tick log price returns over the short window" },
  volLong: { kind: "number", doc: "the same over the long window" },
  volRatio: { kind: "number", doc: "volatility / volLong (the seed's volatility detector)" },
  volRegime: { kind: "enum", values: ["low", "normal", "high", "unknown"], doc: "volRatio against settings.volRegime" },
  tradeFrequency: { kind: "number", doc: "share of the short window's ticks with a buy or sell" },
  feeDrag: { kind: "number", doc: "fees paid over the short window / portfolio value" },
  winRate: { kind: "number", doc: "share of the short window's trades with a positive reward" },
  exposure: { kind: "number", doc: "coin share of the portfolio value, [0, 1]" },
  portfolioReturn: { kind: "number", doc: "portfolio value return over the short window" },
  trend: { kind: "number", doc: "price return over the short window" },
  staleMs: { kind: "number", doc: "age of the state when the coach read it (ms of the trader's time; a replay's is measured by arrival)" },
  stale: { kind: "boolean", doc: "staleMs > settings.staleIntervals × interval" },
  drawdownBucket: { kind: "enum", values: ["none", "small", "medium", "large", "unknown"], doc: "< 2 %, < 5 %, < 10 %, ≥ 10 %" },
  exposureBucket: { kind: "enum", values: ["flat", "partial", "full", "unknown"], doc: "< 0.1, < 0.9, ≥ 0.9" },
  tradeBucket: { kind: "enum", values: ["idle", "low", "high", "unknown"], doc: "tradeFrequency 0, < 0.25, ≥ 0.25" },
  trendBucket: { kind: "enum", values: ["down", "flat", "up", "unknown"], doc: "trend < −2 %, in [−2 %, 2 %), ≥ 2 %" },
  volBucket: { kind: "enum", values: ["low", "normal", "high", "unknown"], doc: "the same as volRegime (a chunk's situation)" },
};
export const FACT_NAMES = Object.keys(FACTS) as FactName[];

/** The facts a chunk's conditions name: the situation, coarse enough to recur. */
export const SITUATION_FACTS: readonly FactName[] = ["volBucket", "drawdownBucket", "exposureBucket", "tradeBucket", "trendBucket"];

const push = <T>(arr: T[], x: T, max: number): void => {
  arr.push(x);
  if (arr.length > max) arr.splice(0, arr.length - max);
};

/**
 * Adds a state to the memory (a new object: the checkpointed memory is never mutated in place). `sentAt`: when the
 * state was put on the bus (the stream entry's time; null: unknown), which a simulated-time state's pace is made of.
 */
export function remember(memory: CoachMemory, s: AnyPpoState, settings: MemorySettings, sentAt: number | null = null): CoachMemory {
  const pace = [...(memory.pace ?? [])];
  const lastSentAt = memory.lastSentAt ?? null;
  const sim = simulatedTime(s) && sentAt !== null;
  if (sim && s.form === "v1" && lastSentAt !== null && memory.lastTs !== null && s.ts > memory.lastTs && sentAt >= lastSentAt) {
    push(pace, (sentAt - lastSentAt) / (s.ts - memory.lastTs), PACE_KEPT);
  }
  const m: CoachMemory = {
    ticks: memory.ticks + 1,
    lastSeq: s.form === "v1" ? s.seq : memory.lastSeq,
    lastTs: s.form === "v1" ? s.ts : memory.lastTs,
    peakValue: memory.peakValue,
    price: [...memory.price],
    value: [...memory.value],
    traded: [...memory.traded],
    fee: [...memory.fee],
    reward: [...memory.reward],
    lastSentAt: sim ? sentAt : null,
    pace: sim ? pace : [],
  };
  const value = s.form === "v1" ? (s.portfolio?.value ?? null) : null;
  if (value !== null) m.peakValue = Math.max(m.peakValue ?? value, value);
  push(m.price, s.price, settings.window);
  push(m.value, value, settings.window);
  push(m.traded, s.action === "hold" ? 0 : 1, settings.window);
  push(m.fee, s.form === "v1" ? (s.fee ?? 0) : 0, settings.window);
  push(m.reward, s.reward ?? null, settings.window);
  return m;
}

function std(x: readonly number[]): number | null {
  if (x.length < 2) return null;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let ss = 0;
  for (const v of x) ss += (v - mean) * (v - mean);
  return Math.sqrt(ss / (x.length - 1));
}

function logReturns(p: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < p.length; i++) out.push(Math.log(p[i]! / p[i - 1]!));
  return out;
}

const bucket = <T extends string>(x: number | null, cuts: readonly number[], names: readonly T[], unknown: T): T => {
  if (x === null) return unknown;
  let i = 0;
  while (i < cuts.length && x >= cuts[i]!) i++;
  return names[i]!;
};

function median(x: readonly number[]): number | null {
  if (x.length === 0) return null;
  const s = [...x].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * The state's age on the trader's timeline (ms).
 *   paper, live (or no mode): now − ts, on the wall clock (R14: a state about a bar that closed long ago is stale);
 *   replay, backtest, with `sentAt` (it came over the bus): how long it waited before the coach read it (now − sentAt,
 *     real ms), converted to the trader's time by the replay's pace (the median of the last real gaps between states
 *     per ms of their ts); until a pace is known, the real lag itself. A replay paced at 300 ms per hourly bar whose
 *     state waited 900 ms is 3 h old: stale at staleIntervals 2. The two clocks (the coach's and the Redis server's
 *     entry ids) must agree, as the coach's and the trader's must in live mode;
 *   replay, backtest, without `sentAt` (an in-loop coach): now − ts, with `now` on the trader's timeline (the
 *     coached backtest passes the bar's time).
 */
export function stateAge(memory: CoachMemory, s: AnyPpoState, now: number, sentAt: number | null): number {
  if (s.form !== "v1") return 0;
  if (!simulatedTime(s) || sentAt === null) return Math.max(0, now - s.ts);
  const lag = Math.max(0, now - sentAt);
  const pace = median(memory.pace ?? []);
  if (pace === null) return lag;
  // An unpaced replay publishes several states per millisecond (pace 0): any lag is then many bars.
  return Math.min(Number.MAX_SAFE_INTEGER, lag / Math.max(pace, 1e-9));
}

/**
 * The facts of the newest state in `memory` (elaboration). `now`: the coach's clock; `sentAt`: when the state was
 * put on the bus (null: unknown); see `stateAge`.
 */
export function elaborate(memory: CoachMemory, s: AnyPpoState, now: number, settings: MemorySettings, sentAt: number | null = null): Facts {
  const n = memory.price.length;
  const short = Math.min(settings.shortWindow, n);
  const prices = memory.price;
  const recent = prices.slice(n - short);
  const volatility = std(logReturns(recent));
  const volLong = n >= 2 * settings.shortWindow ? std(logReturns(prices)) : null;
  const volRatio = volatility !== null && volLong !== null && volLong > 0 ? volatility / volLong : null;
  const volRegime = volRatio === null ? "unknown" : volRatio < settings.volRegime.low ? "low" : volRatio > settings.volRegime.high ? "high" : "normal";

  const v1 = s.form === "v1" ? s : null;
  const values = memory.value.slice(n - short);
  const lastValue = values[values.length - 1] ?? null;
  const firstValue = values[0] ?? null;
  const drawdown = v1?.drawdown ?? (lastValue !== null && memory.peakValue !== null && memory.peakValue > 0 ? 1 - lastValue / memory.peakValue : null);
  const exposure = v1?.exposure ?? (v1?.portfolio && v1.portfolio.value > 0 ? (v1.portfolio.coins * s.price) / v1.portfolio.value : null);

  const traded = memory.traded.slice(n - short);
  const tradeFrequency = short > 0 ? traded.reduce((a, b) => a + b, 0) / short : null;
  const fees = memory.fee.slice(n - short).reduce((a, b) => a + b, 0);
  const feeDrag = lastValue !== null && lastValue > 0 ? fees / lastValue : null;
  const rewards = memory.reward.slice(n - short);
  let trades = 0;
  let wins = 0;
  for (let i = 0; i < traded.length; i++) {
    const r = rewards[i];
    if (traded[i] === 1 && r !== null && r !== undefined) {
      trades++;
      if (r > 0) wins++;
    }
  }
  const winRate = trades > 0 ? wins / trades : null;
  const portfolioReturn = lastValue !== null && firstValue !== null && firstValue > 0 && short >= 2 ? lastValue / firstValue - 1 : null;
  const trend = short >= 2 ? recent[recent.length - 1]! / recent[0]! - 1 : null;
  const interval = v1?.intervalMs ?? settings.defaultIntervalMs;
  const staleMs = stateAge(memory, s, now, sentAt);

  return {
    ticks: memory.ticks,
    action: s.action,
    price: s.price,
    drawdown,
    volatility,
    volLong,
    volRatio,
    volRegime,
    tradeFrequency,
    feeDrag,
    winRate,
    exposure,
    portfolioReturn,
    trend,
    staleMs,
    stale: staleMs > settings.staleIntervals * interval,
    drawdownBucket: bucket(drawdown, [0.02, 0.05, 0.1], ["none", "small", "medium", "large"], "unknown"),
    exposureBucket: bucket(exposure, [0.1, 0.9], ["flat", "partial", "full"], "unknown"),
    tradeBucket: tradeFrequency === null ? "unknown" : tradeFrequency === 0 ? "idle" : tradeFrequency < 0.25 ? "low" : "high",
    trendBucket: bucket(trend, [-0.02, 0.02], ["down", "flat", "up"], "unknown"),
    volBucket: volRegime,
  };
}
