/**
 * A backtest with the coach in the loop, deterministic, on the same ticks as the plain backtest. Each step:
 *
 *   tick t (decision at the close of bar r, time D_t):  the policy acts → the guidance filter (what the receiver
 *     has in force at D_t) → the fill → the trader publishes ppo_state_t on the in-memory bus;
 *   the coach consumes it (its clock D_t), runs one decision cycle (the same phases as the LangGraph graph, no
 *     LLM) and may publish coach_guidance issued at D_t;
 *   the trader's receiver consumes the guidance stream before tick t + 1 (its clock D_t + one bar): it applies
 *     from the next decision on, never to the one that produced the state.
 *
 * The state is causal: price and value at the decision's close, and the reward of the previous step (the current
 * step's reward is realised at the next close). The guidance path (receiver, filter) is the live trader's.
 */
import type { CoachGuidance } from "../bus/messages.js";
import { MemoryStreams } from "../bus/memory-bus.js";
import { withOrderFilter, type EnvModel } from "../env/index.js";
import { medianPeriod, runBacktest, type BacktestPolicy, type BacktestStepView, type BacktestTrace } from "../eval/backtest.js";
import { initialCycleState, runCycleSync, type DecisionTrace } from "./cycle.js";
import { GuidanceFilter, guidanceFilterParams } from "./guidance-filter.js";
import { GuidanceReceiver, type ReceiverCounters } from "./guidance-receiver.js";
import type { RuleSet } from "./rules.js";

export interface CoachedBacktestOptions {
  readonly rules: RuleSet;
  readonly seed?: number;
  readonly coachId?: string;
  /** The trader's guidance max age, in bars (default 3, the live default). */
  readonly maxAgeBars?: number;
  /** Full decision traces kept: impasses and published guidance first, at most this many (default 500). */
  readonly keepTraces?: number;
  /** Symbol and model named in the states. */
  readonly symbol?: string;
  readonly modelName?: string;
}

/** Per step, what the guidance did (arrays of the backtest's length n). */
export interface GuidanceTimeline {
  /** Exposure-cap multiplier in force during step t (1: neutral). */
  readonly riskScale: Float64Array;
  /** Size multiplier in force during step t. */
  readonly sizeScale: Float64Array;
  /** 1 when step t was held by a timing guidance. */
  readonly waiting: Uint8Array;
  /** 1 when the guidance changed step t's order. */
  readonly changed: Uint8Array;
  /** Index into `decisionKinds` of step t's coach decision. */
  readonly decision: Uint8Array;
}

export const DECISION_KINDS = ["selected", "impasse:tie", "impasse:no_candidate", "none"] as const;

export interface CoachedBacktest {
  readonly trace: BacktestTrace;
  readonly timeline: GuidanceTimeline;
  /** Every guidance the coach published, in order. */
  readonly guidance: readonly CoachGuidance[];
  /** Decision traces kept (see keepTraces). */
  readonly traces: readonly DecisionTrace[];
  /** How often each operator was chosen: kind → count (published or not). */
  readonly mix: Readonly<Record<string, number>>;
  readonly impasses: number;
  readonly receiver: ReceiverCounters;
}

export function runCoachedBacktest(model: EnvModel, policy: BacktestPolicy, opts: CoachedBacktestOptions): CoachedBacktest {
  const market = model.market;
  const period = medianPeriod(market.timestamp);
  const decisionTime = (row: number): number => market.timestamp[row]! + period;
  let clock = decisionTime(market.firstRow);
  const streams = new MemoryStreams({ now: () => clock });
  streams.ensureGroup("ppo_state", "coach", "0");
  streams.ensureGroup("coach_guidance", "trader", "0");
  const receiver = new GuidanceReceiver({ maxAgeMs: (opts.maxAgeBars ?? 3) * period, maxFutureSkewMs: 0 });
  const filter = new GuidanceFilter(receiver, guidanceFilterParams(model.config), decisionTime);
  const ctx = { rules: opts.rules, coachId: opts.coachId ?? "coach-bt" };

  const n = market.lastRow - market.firstRow;
  const timeline: GuidanceTimeline = {
    riskScale: new Float64Array(n),
    sizeScale: new Float64Array(n),
    waiting: new Uint8Array(n),
    changed: new Uint8Array(n),
    decision: new Uint8Array(n),
  };
  const guidance: CoachGuidance[] = [];
  const kept: DecisionTrace[] = [];
  const keep = opts.keepTraces ?? 500;
  const mix: Record<string, number> = {};
  let impasses = 0;
  let cycle = initialCycleState();
  let peak = 0;
  let prevReward = 0;
  const returns: number[] = [];
  let prevValue = NaN;

  const onStep = (v: BacktestStepView): void => {
    const t = v.step;
    const last = filter.last;
    timeline.riskScale[t] = last.riskScale;
    timeline.sizeScale[t] = last.sizeScale;
    timeline.waiting[t] = v.holdCode === 5 ? 1 : 0;
    timeline.changed[t] = last.changed ? 1 : 0;

    // The trader's state at the decision's close.
    const price = market.close[v.row]!;
    const value = v.cash + v.coins * price;
    peak = Math.max(peak, value);
    if (Number.isFinite(prevValue) && prevValue > 0) {
      returns.push(value / prevValue - 1);
      if (returns.length > 24) returns.shift();
    }
    prevValue = value;
    clock = decisionTime(v.row);
    const state = {
      schemaVersion: 1,
      seq: t,
      ts: clock,
      symbol: opts.symbol ?? "BTC/USD",
      price,
      action: v.side > 0 ? "buy" : v.side < 0 ? "sell" : "hold",
      amount: v.side > 0 ? (v.cash + v.notional > 0 ? v.notional / (v.cash + v.notional) : 0) : v.side < 0 ? Math.min(1, v.notional / price / (v.coins + v.notional / price)) : 0,
      reward: prevReward,
      portfolio: { cash: v.cash, coins: v.coins, value },
      exposure: value > 0 ? Math.min(1, (v.coins * price) / value) : 0,
      drawdown: peak > 0 ? Math.max(0, 1 - value / peak) : 0,
      recentReturns: returns.slice(),
      fee: v.fee,
      model: opts.modelName ?? policy.name,
      intervalMs: period,
      mode: "backtest",
    };
    prevReward = v.reward;
    streams.publish("ppo_state", JSON.stringify(state));

    // The coach: consume, decide, publish, ack.
    for (const e of streams.readGroup("ppo_state", "coach", ctx.coachId, "new", 16)) {
      cycle = runCycleSync(cycle, e.json, clock, ctx);
      const tr = cycle.trace!;
      timeline.decision[t] = DECISION_KINDS.indexOf(tr.decision);
      if (tr.decision.startsWith("impasse")) impasses++;
      const chosen = tr.chosen?.guidance ?? "none";
      mix[chosen] = (mix[chosen] ?? 0) + 1;
      if (cycle.guidance !== null) {
        guidance.push(cycle.guidance);
        streams.publish("coach_guidance", JSON.stringify(cycle.guidance));
      }
      if ((tr.output === "published" || tr.decision.startsWith("impasse")) && kept.length < keep) kept.push(tr);
      streams.ack("ppo_state", "coach", [e.id]);
    }
    // The trader's receiver, just before the next decision.
    const next = clock + period;
    for (const e of streams.readGroup("coach_guidance", "trader", "trader-bt", "new", 16)) {
      receiver.receive(e.json, next);
      streams.ack("coach_guidance", "trader", [e.id]);
    }
  };

  const trace = runBacktest(withOrderFilter(model, filter), policy, { ...(opts.seed === undefined ? {} : { seed: opts.seed }), onStep });
  const cut = <T extends Float64Array | Uint8Array>(x: T): T => x.subarray(0, trace.steps) as T;
  return {
    trace: { ...trace, name: `${trace.name}+coach` },
    timeline: { riskScale: cut(timeline.riskScale), sizeScale: cut(timeline.sizeScale), waiting: cut(timeline.waiting), changed: cut(timeline.changed), decision: cut(timeline.decision) },
    guidance,
    traces: kept,
    mix,
    impasses,
    receiver: receiver.counters,
  };
}
