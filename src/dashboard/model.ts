/**
 * What the dashboard knows, as explicit state fed by two adapters (the bus feed and the journal reader) and read
 * by the server: the trader's latest state and heartbeat, the equity series, trades, the coach's guidance, traces
 * and heartbeat, the control messages and their acknowledgements, and the health flags. No Redis, no HTTP, no
 * clock of its own: every input carries the time it was received and every view is computed for a given `now`,
 * so the tests drive it with hand-picked times.
 *
 * Ordering (R14): a ppo_state or trader heartbeat whose `seq` is not above the last one seen from that trader is
 * ignored and counted (no stale replay after an outage); a heartbeat from another trader run (a new journal) starts
 * the count again. Staleness (R12, R14, R15, R23): health() below.
 */
import type { AnyGuidance, AnyPpoState, CoachHeartbeat, GuidanceKind } from "../bus/messages.js";
import type { TraderControl, TraderControlAck, TraderHeartbeat } from "../bus/trader-messages.js";
import { readTrace, type TraceView } from "./trace-view.js";

/** One point of the equity series, at a decision bar's close (`ts`), balances before that decision's order. */
export interface SeriesPoint {
  readonly ts: number;
  readonly price: number;
  readonly cash: number | null;
  readonly coins: number | null;
  readonly value: number | null;
  /** The decision at this point bought or sold (an order filled, or the state said buy/sell with an amount). */
  readonly executed: boolean;
  /** The decision asked for a trade that the env, the guidance or the risk manager turned into a hold. */
  readonly turnedIntoHold: boolean;
  /** Quote notional the decision traded, and the fees it paid (0 when unknown). */
  readonly notional: number;
  readonly fee: number;
  /** "journal" (the trader's record: authoritative) or "state" (a ppo_state message). */
  readonly source: "journal" | "state";
}

export interface TradeMark {
  readonly ts: number;
  readonly side: "buy" | "sell";
  /** The fill's average price (journal), or the decision price (a ppo_state). */
  readonly price: number;
  /** Coins bought or sold (null: unknown). */
  readonly coins: number | null;
  readonly source: "fill" | "decision";
}

export interface GuidanceEntry {
  readonly id: string | null;
  readonly version: number | null;
  readonly kind: GuidanceKind;
  readonly value: number;
  readonly reason: string | null;
  readonly issuedAt: number | null;
  readonly expiresAt: number | null;
  readonly source: string | null;
  readonly rule: string | null;
  readonly coachId: string | null;
  readonly stateSeq: number | null;
  readonly receivedAt: number;
  /** What the trader did with it (the journal's guidance table: applied, duplicate, old_version, rejected…). */
  readonly verdict: string | null;
  readonly verdictDetail: string | null;
  /** The version the trader's journal row names (null: no verdict yet, or the seed form). */
  readonly verdictVersion: number | null;
}

export interface ControlEntry {
  readonly id: string;
  readonly command: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly issuedBy: string;
  readonly issuedAt: number;
  readonly ack: TraderControlAck | null;
  readonly ackReceivedAt: number | null;
}

export interface EventEntry {
  readonly ts: number;
  readonly level: string;
  readonly kind: string;
  readonly message: string;
}

/** The risk manager's state as the journal holds it (src/trading/risk/risk-manager.ts RiskState), read defensively. */
export interface RiskSnapshotView {
  readonly status: string;
  readonly stopReason: string | null;
  readonly entriesPaused: boolean;
  readonly maxTradeFraction: number | null;
  readonly maxExposure: number | null;
  readonly locks: ReadonlyArray<{ readonly reason: string; readonly until: number | null; readonly detail: string }>;
  readonly failedChecks: number;
  readonly peakValue: number | null;
  readonly sessionStartValue: number | null;
  readonly readAt: number;
}

export type Flag = "ok" | "stale" | "unknown" | "down";

export interface HealthView {
  readonly redis: { readonly status: "up" | "down" | "unknown"; readonly since: number | null };
  readonly trader: {
    readonly status: Flag;
    /** Why, in words ("no heartbeat for 7.2 s (2 ticks of 3 s)"). */
    readonly detail: string;
    readonly lastTick: number | null;
    readonly lastProcess: number | null;
    readonly heartbeatAgeMs: number | null;
    readonly periodMs: number | null;
    readonly outcome: string | null;
  };
  readonly data: { readonly status: Flag; readonly detail: string; readonly stateAgeMs: number | null };
  readonly coach: {
    readonly status: Flag;
    readonly detail: string;
    readonly heartbeatAgeMs: number | null;
    readonly periodMs: number | null;
    readonly coachStatus: string | null;
    /** Trader ticks since the state the coach's last trace answered (null: no trace yet). */
    readonly behindTicks: number | null;
  };
  readonly journal: { readonly status: "ok" | "missing" | "none" | "error"; readonly detail: string };
}

export interface ModelOptions {
  /** Missed ticks (or heartbeats) after which the trader, the data or the coach is flagged stale (R23: 2). */
  readonly staleTicks?: number;
  /** Series points and trade marks kept (the oldest go first). */
  readonly maxPoints?: number;
  readonly maxTraces?: number;
  readonly maxGuidance?: number;
  readonly maxControls?: number;
  readonly maxEvents?: number;
}

/** What changed, for the server to decide what to push (figures are rebuilt only when "series" changed). */
export type ChangeKind = "state" | "series" | "guidance" | "trace" | "coach" | "trader" | "control" | "risk" | "event" | "health";

export type ReceiveOutcome = "applied" | "old_seq" | "duplicate" | "unmatched";

/** Grace added to a stale bound: a tenth of the period, between 1 s and 60 s (ticks start after an offset and take time). */
export function staleGraceMs(periodMs: number): number {
  return Math.min(60_000, Math.max(1_000, 0.1 * periodMs));
}

export function formatAge(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function sameRecord<T extends object>(a: T | undefined, b: T): boolean {
  if (a === undefined) return false;
  for (const k of Object.keys(b) as (keyof T)[]) if (a[k] !== b[k]) return false;
  return true;
}

interface Received<T> {
  readonly message: T;
  readonly receivedAt: number;
}

export class DashboardModel {
  readonly staleTicks: number;
  private readonly maxPoints: number;
  private readonly maxTraces: number;
  private readonly maxGuidance: number;
  private readonly maxControls: number;
  private readonly maxEvents: number;

  /** Points by ts (sorted on read). */
  private readonly points = new Map<number, SeriesPoint>();
  private readonly trades = new Map<string, TradeMark>();
  private readonly guidanceById = new Map<string, GuidanceEntry>();
  private guidanceSeedCount = 0;
  private readonly traces: TraceView[] = [];
  private readonly controls = new Map<string, ControlEntry>();
  private readonly events: EventEntry[] = [];
  private readonly listeners = new Set<(kinds: ReadonlySet<ChangeKind>) => void>();
  private pending = new Set<ChangeKind>();

  private state: Received<AnyPpoState> | null = null;
  private lastSeq: number | null = null;
  private heartbeat: Received<TraderHeartbeat> | null = null;
  private heartbeatGaps: number[] = [];
  private coachBeat: Received<CoachHeartbeat> | null = null;
  private coachEnabled: boolean | null = null;
  private risk: RiskSnapshotView | null = null;
  private lastStatus: { status: string; at: number; from: string } | null = null;
  private bus: { connected: boolean; since: number } | null = null;
  private journalHealth: HealthView["journal"] = { status: "none", detail: "no --journal given" };
  private barMs: number | null = null;

  /** Messages seen, refused (with the last refusal), and ignored for an old seq. */
  readonly counters = { received: 0, rejected: 0, oldSeq: 0, lastRejection: null as string | null };

  constructor(opts: ModelOptions = {}) {
    this.staleTicks = opts.staleTicks ?? 2;
    this.maxPoints = opts.maxPoints ?? 5_000;
    this.maxTraces = opts.maxTraces ?? 50;
    this.maxGuidance = opts.maxGuidance ?? 500;
    this.maxControls = opts.maxControls ?? 200;
    this.maxEvents = opts.maxEvents ?? 200;
  }

  // ---- change notification -------------------------------------------------------------------------------

  /** Called (synchronously) with what changed after each input. Returns the unsubscribe function. */
  onChange(listener: (kinds: ReadonlySet<ChangeKind>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(...kinds: ChangeKind[]): void {
    for (const k of kinds) this.pending.add(k);
    const out = this.pending;
    this.pending = new Set();
    for (const l of this.listeners) l(out);
  }

  // ---- inputs: the bus -----------------------------------------------------------------------------------

  rejected(description: string): void {
    this.counters.received++;
    this.counters.rejected++;
    this.counters.lastRejection = description.slice(0, 300);
    this.changed("health");
  }

  /** A ppo_state (R14: a seq at or below the last one seen is ignored). */
  ppoState(s: AnyPpoState, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    if (s.form === "v1") {
      if (this.lastSeq !== null && s.seq <= this.lastSeq) {
        this.counters.oldSeq++;
        this.changed("health");
        return "old_seq";
      }
      this.lastSeq = s.seq;
      if (s.intervalMs !== undefined) this.barMs = s.intervalMs;
      if (s.status !== undefined) this.lastStatus = { status: s.status, at: receivedAt, from: "ppo_state" };
    }
    this.state = { message: s, receivedAt };
    const ts = s.form === "v1" ? s.ts : receivedAt;
    const p = s.form === "v1" ? s.portfolio : undefined;
    const amount = s.amount ?? 0;
    const trades = s.action !== "hold" && amount > 0;
    const notional = !trades || p === undefined ? 0 : s.action === "buy" ? amount * p.cash : amount * p.coins * s.price;
    const existing = this.points.get(ts);
    // The journal's record of a decision wins over the message about it.
    if (existing === undefined || existing.source === "state") {
      this.putPoint({
        ts,
        price: s.price,
        cash: p?.cash ?? null,
        coins: p?.coins ?? null,
        value: p?.value ?? null,
        executed: trades,
        turnedIntoHold: false,
        notional,
        fee: s.form === "v1" ? (s.fee ?? 0) : 0,
        source: "state",
      });
    }
    if (trades && !this.trades.has(`fill:${ts}:${s.action}`)) {
      this.trades.set(`decision:${ts}:${s.action}`, { ts, side: s.action === "buy" ? "buy" : "sell", price: s.price, coins: p === undefined ? null : s.action === "sell" ? amount * p.coins : null, source: "decision" });
      this.trimTrades();
    }
    this.changed("state", "series", "risk", "trader");
    return "applied";
  }

  /** A trader heartbeat (R23); a heartbeat of another run (traderId) resets the seq order. */
  traderHeartbeat(hb: TraderHeartbeat, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    const prev = this.heartbeat;
    if (prev !== null && prev.message.traderId === hb.traderId && hb.seq < prev.message.seq) {
      this.counters.oldSeq++;
      this.changed("health");
      return "old_seq";
    }
    if (prev !== null && prev.message.traderId !== hb.traderId) {
      this.lastSeq = null;
      this.heartbeatGaps = [];
    } else if (prev !== null && hb.seq > prev.message.seq) {
      this.heartbeatGaps.push(receivedAt - prev.receivedAt);
      if (this.heartbeatGaps.length > 20) this.heartbeatGaps.shift();
    }
    this.heartbeat = { message: hb, receivedAt };
    this.barMs = hb.intervalMs;
    this.lastStatus = { status: hb.status, at: receivedAt, from: "heartbeat" };
    this.changed("trader", "risk", "health");
    return "applied";
  }

  guidance(g: AnyGuidance, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    if (g.form === "v1") {
      const had = this.guidanceById.get(g.id);
      this.guidanceById.set(g.id, {
        id: g.id,
        version: g.version,
        kind: g.guidance,
        value: g.value,
        reason: g.reason,
        issuedAt: g.issuedAt,
        expiresAt: g.expiresAt,
        source: g.source,
        rule: g.rule,
        coachId: g.coachId,
        stateSeq: g.stateSeq,
        receivedAt: had?.receivedAt ?? receivedAt,
        verdict: had?.verdict ?? null,
        verdictDetail: had?.verdictDetail ?? null,
        verdictVersion: had?.verdictVersion ?? null,
      });
      if (had !== undefined) return "duplicate";
    } else {
      this.guidanceSeedCount++;
      this.guidanceById.set(`seed:${this.guidanceSeedCount}`, {
        id: null,
        version: null,
        kind: g.guidance,
        value: g.value,
        reason: g.reason ?? null,
        issuedAt: receivedAt,
        expiresAt: null,
        source: "seed",
        rule: null,
        coachId: null,
        stateSeq: null,
        receivedAt,
        verdict: null,
        verdictDetail: null,
        verdictVersion: null,
      });
    }
    this.trimGuidance();
    this.changed("guidance");
    return "applied";
  }

  /** What the trader did with a guidance (the journal's guidance table). */
  guidanceVerdict(id: string, verdict: string, detail: string | null, payload: AnyGuidance | null, receivedAt: number, version: number | null = null): void {
    const had = this.guidanceById.get(id);
    if (had === undefined && payload !== null) this.guidance(payload, receivedAt);
    const g = this.guidanceById.get(id);
    if (g === undefined) return;
    this.guidanceById.set(id, { ...g, verdict, verdictDetail: detail, verdictVersion: version });
    this.changed("guidance");
  }

  coachHeartbeat(hb: CoachHeartbeat, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    const prev = this.coachBeat;
    if (prev !== null && prev.message.coachId === hb.coachId && hb.ts < prev.message.ts) {
      this.counters.oldSeq++;
      return "old_seq";
    }
    this.coachBeat = { message: hb, receivedAt };
    this.changed("coach", "health");
    return "applied";
  }

  /** A coach_trace (diagnostic JSON, read defensively). */
  trace(raw: unknown, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    const t = readTrace(raw, receivedAt);
    if (t === null) {
      this.counters.rejected++;
      this.counters.lastRejection = "coach_trace: not a decision trace";
      return "unmatched";
    }
    const last = this.traces.at(-1);
    if (last !== undefined && last.cycle === t.cycle && last.stateSeq === t.stateSeq && last.ts === t.ts) return "duplicate";
    this.traces.push(t);
    if (this.traces.length > this.maxTraces) this.traces.splice(0, this.traces.length - this.maxTraces);
    this.changed("trace", "health");
    return "applied";
  }

  /** A control message someone sent (this dashboard or another operator). */
  control(c: TraderControl, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    if (this.controls.has(c.id)) return "duplicate";
    this.controls.set(c.id, { id: c.id, command: c.command, args: c.args as Record<string, unknown>, issuedBy: c.issuedBy, issuedAt: c.issuedAt, ack: null, ackReceivedAt: null });
    void receivedAt;
    this.trimControls();
    this.changed("control");
    return "applied";
  }

  /** The trader's acknowledgement of a control message: its result and the trader's state after it. */
  controlAck(ack: TraderControlAck, receivedAt: number): ReceiveOutcome {
    this.counters.received++;
    const c = this.controls.get(ack.id);
    this.controls.set(ack.id, {
      id: ack.id,
      command: c?.command ?? ack.command,
      args: c?.args ?? {},
      issuedBy: c?.issuedBy ?? "?",
      issuedAt: c?.issuedAt ?? ack.ts,
      ack,
      ackReceivedAt: receivedAt,
    });
    if (ack.result !== "rejected") {
      this.lastStatus = { status: ack.status, at: receivedAt, from: "ack" };
      if (ack.command === "coach" && c !== undefined && typeof c.args["enabled"] === "boolean") this.coachEnabled = c.args["enabled"];
    }
    this.trimControls();
    this.changed("control", "risk", "trader");
    return c === undefined ? "unmatched" : "applied";
  }

  /** The acknowledgement of control `id`, once it came. */
  ackOf(id: string): TraderControlAck | null {
    return this.controls.get(id)?.ack ?? null;
  }

  /** The bus connection went up or down. */
  busStatus(connected: boolean, at: number): void {
    if (this.bus !== null && this.bus.connected === connected) return;
    this.bus = { connected, since: at };
    this.changed("health");
  }

  // ---- inputs: the journal -------------------------------------------------------------------------------

  journalStatus(status: HealthView["journal"]["status"], detail: string): void {
    if (this.journalHealth.status === status && this.journalHealth.detail === detail) return;
    this.journalHealth = { status, detail };
    this.changed("health");
  }

  /** Bar length from the journal's timeframe (used until a state or heartbeat says). */
  setBarMs(ms: number): void {
    if (this.barMs === null) this.barMs = ms;
  }

  /** Equity points from the journal: they replace the state-derived points of the same bar. */
  journalPoints(points: readonly SeriesPoint[]): void {
    let any = false;
    for (const p of points) {
      if (sameRecord(this.points.get(p.ts), p)) continue;
      this.putPoint(p);
      any = true;
    }
    if (any) this.changed("series");
  }

  journalTrades(trades: readonly TradeMark[]): void {
    let any = false;
    for (const t of trades) {
      const key = `fill:${t.ts}:${t.side}`;
      if (sameRecord(this.trades.get(key), t)) continue;
      this.trades.delete(`decision:${t.ts}:${t.side}`);
      this.trades.set(key, t);
      any = true;
    }
    if (!any) return;
    this.trimTrades();
    this.changed("series");
  }

  journalRisk(r: RiskSnapshotView): void {
    this.risk = r;
    this.changed("risk");
  }

  journalEvents(events: readonly EventEntry[]): void {
    if (events.length === 0) return;
    this.events.push(...events);
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
    this.changed("event");
  }

  journalControls(rows: ReadonlyArray<{ id: string | null; command: string; args: string | null; receivedAt: number; result: string; detail: string | null }>): void {
    let any = false;
    for (const r of rows) {
      if (r.id === null || r.id === "" || this.controls.has(r.id)) continue;
      let args: Record<string, unknown> = {};
      try {
        const v: unknown = r.args === null ? {} : JSON.parse(r.args);
        if (v !== null && typeof v === "object" && !Array.isArray(v)) args = v as Record<string, unknown>;
      } catch {
        // unreadable args: shown as none
      }
      this.controls.set(r.id, {
        id: r.id,
        command: r.command,
        args,
        issuedBy: "journal",
        issuedAt: r.receivedAt,
        ack: { schemaVersion: 1, id: r.id, command: r.command, result: r.result === "done" || r.result === "already" ? r.result : "rejected", message: r.detail ?? "", status: "", openOrders: 0, coins: 0, ts: r.receivedAt },
        ackReceivedAt: r.receivedAt,
      });
      any = true;
    }
    if (!any) return;
    this.trimControls();
    this.changed("control");
  }

  // ---- reads ---------------------------------------------------------------------------------------------

  /** Points sorted by time. */
  series(): SeriesPoint[] {
    return [...this.points.values()].sort((a, b) => a.ts - b.ts);
  }

  tradeMarks(): TradeMark[] {
    return [...this.trades.values()].sort((a, b) => a.ts - b.ts);
  }

  guidanceEntries(): GuidanceEntry[] {
    return [...this.guidanceById.values()].sort((a, b) => (a.issuedAt ?? a.receivedAt) - (b.issuedAt ?? b.receivedAt));
  }

  traceViews(): readonly TraceView[] {
    return this.traces;
  }

  controlEntries(): ControlEntry[] {
    return [...this.controls.values()].sort((a, b) => a.issuedAt - b.issuedAt);
  }

  eventEntries(): readonly EventEntry[] {
    return this.events;
  }

  latestState(): Received<AnyPpoState> | null {
    return this.state;
  }

  latestHeartbeat(): Received<TraderHeartbeat> | null {
    return this.heartbeat;
  }

  latestCoachHeartbeat(): Received<CoachHeartbeat> | null {
    return this.coachBeat;
  }

  riskSnapshot(): RiskSnapshotView | null {
    return this.risk;
  }

  /** The trader's status (running, stopentry, stopped) from the freshest source, and which it was. */
  traderStatus(): { status: string; at: number; from: string } | null {
    if (this.risk !== null && (this.lastStatus === null || this.risk.readAt > this.lastStatus.at)) {
      const s = this.risk.status === "running" && this.risk.entriesPaused ? "stopentry" : this.risk.status;
      return { status: s, at: this.risk.readAt, from: "journal" };
    }
    return this.lastStatus;
  }

  isCoachEnabled(): boolean | null {
    return this.coachEnabled;
  }

  barIntervalMs(): number | null {
    return this.barMs;
  }

  /**
   * The tick period the trader keeps, in real time: the heartbeat's interval for paper and live; for a replay
   * (whose clock is simulated) the median gap between the last heartbeats received, once there are three.
   */
  traderPeriodMs(): number | null {
    const hb = this.heartbeat?.message;
    const mode = hb?.mode ?? (this.state?.message.form === "v1" ? this.state.message.mode : undefined);
    if ((mode === "replay" || mode === "backtest") && this.heartbeatGaps.length >= 3) {
      const g = [...this.heartbeatGaps].sort((a, b) => a - b);
      return Math.max(1, g[Math.floor(g.length / 2)]!);
    }
    return this.barMs;
  }

  /**
   * Health at `now` (ms). A flag is "stale" past staleTicks periods (+ a grace) without news:
   *   trader  no heartbeat (or, without heartbeats, no ppo_state) for staleTicks tick periods (R23); the age is
   *           measured from the trader's lastProcess in paper and live, from when it arrived in a replay;
   *   data    paper/live: the latest ppo_state is about a bar that closed over staleTicks intervals ago (R14); any
   *           mode: the trader's last tick itself found the candles stale;
   *   coach   no coach heartbeat for staleTicks heartbeat periods (R15);
   * and every flag is "down" while Redis is (R12: the page shows stale data during an outage, never old data as
   * fresh). "unknown": nothing heard yet.
   */
  health(now: number): HealthView {
    const redisDown = this.bus !== null && !this.bus.connected;
    const redis: HealthView["redis"] = this.bus === null ? { status: "unknown", since: null } : { status: this.bus.connected ? "up" : "down", since: this.bus.since };
    const n = this.staleTicks;

    // Trader
    const hb = this.heartbeat;
    const st = this.state;
    const period = this.traderPeriodMs();
    let trader: HealthView["trader"];
    const lastTick = hb?.message.barTs ?? (st?.message.form === "v1" ? st.message.ts : null) ?? null;
    if (hb === null && st === null) {
      trader = { status: redisDown ? "down" : "unknown", detail: redisDown ? "Redis down" : "no heartbeat or state yet", lastTick: null, lastProcess: null, heartbeatAgeMs: null, periodMs: period, outcome: null };
    } else {
      const simulated = (hb?.message.mode ?? (st?.message.form === "v1" ? st.message.mode : undefined)) === "replay";
      let age: number;
      if (hb !== null) age = simulated ? now - hb.receivedAt : now - Math.min(hb.message.lastProcess, hb.receivedAt);
      else age = now - st!.receivedAt;
      age = Math.max(0, age);
      let status: Flag = "ok";
      let detail = `last heard ${formatAge(age)} ago`;
      if (period !== null && age > n * period + staleGraceMs(period)) {
        status = "stale";
        detail = `nothing for ${formatAge(age)}: over ${n} ticks of ${formatAge(period)} missed`;
      }
      if (hb?.message.outcome === "final" && status === "stale") detail = `the run ended (${formatAge(age)} ago)`;
      if (redisDown) {
        status = "down";
        detail = `Redis down: last heard ${formatAge(age)} ago`;
      }
      trader = { status, detail, lastTick, lastProcess: hb?.message.lastProcess ?? null, heartbeatAgeMs: age, periodMs: period, outcome: hb?.message.outcome ?? null };
    }

    // Market data
    let data: HealthView["data"];
    if (st === null) data = { status: redisDown ? "down" : "unknown", detail: redisDown ? "Redis down" : "no state yet", stateAgeMs: null };
    else {
      const v1 = st.message.form === "v1" ? st.message : null;
      const simulated = v1?.mode === "replay" || v1?.mode === "backtest" || hb?.message.mode === "replay";
      const interval = v1?.intervalMs ?? this.barMs;
      const age = v1 !== null && !simulated ? Math.max(0, now - v1.ts) : null;
      let status: Flag = "ok";
      let detail = age === null ? "replayed bars (market time is simulated)" : `latest bar closed ${formatAge(age)} ago`;
      if (age !== null && interval !== null && age > n * interval + staleGraceMs(interval)) {
        status = "stale";
        detail = `latest state is about a bar that closed ${formatAge(age)} ago (over ${n} intervals of ${formatAge(interval)})`;
      }
      if (hb !== null && hb.message.outcome === "stale" && hb.message.seq >= (v1?.seq ?? 0)) {
        status = "stale";
        detail = "the trader's last tick found the candles stale (no decision)";
      }
      if (redisDown) {
        status = "down";
        detail = "Redis down";
      }
      data = { status, detail, stateAgeMs: age };
    }

    // Coach
    const cb = this.coachBeat;
    const lastTrace = this.traces.at(-1);
    const stateSeq = st?.message.form === "v1" ? st.message.seq : null;
    const behindTicks = lastTrace === undefined || lastTrace.stateSeq === null || stateSeq === null ? null : Math.max(0, stateSeq - lastTrace.stateSeq);
    let coach: HealthView["coach"];
    if (cb === null) {
      coach = { status: redisDown ? "down" : "unknown", detail: redisDown ? "Redis down" : "no coach heartbeat yet", heartbeatAgeMs: null, periodMs: null, coachStatus: null, behindTicks };
    } else {
      const age = Math.max(0, now - Math.min(cb.message.ts, cb.receivedAt));
      const p = cb.message.periodMs;
      let status: Flag = "ok";
      let detail = `heartbeat ${formatAge(age)} ago, ${cb.message.cycles} cycles, v${cb.message.version}`;
      if (age > n * p + staleGraceMs(p)) {
        status = "stale";
        detail = `no heartbeat for ${formatAge(age)}: over ${n} heartbeats of ${formatAge(p)} missed`;
      } else if (cb.message.status !== "ok") detail = `${cb.message.status}: ${detail}`;
      if (cb.message.status === "stopped") {
        status = "stale";
        detail = "the coach said it stopped";
      }
      if (redisDown) {
        status = "down";
        detail = `Redis down: last heartbeat ${formatAge(age)} ago`;
      }
      coach = { status, detail, heartbeatAgeMs: age, periodMs: p, coachStatus: cb.message.status, behindTicks };
    }
    return { redis, trader, data, coach, journal: this.journalHealth };
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private putPoint(p: SeriesPoint): void {
    this.points.set(p.ts, p);
    if (this.points.size > this.maxPoints) {
      const oldest = [...this.points.keys()].sort((a, b) => a - b).slice(0, this.points.size - this.maxPoints);
      for (const k of oldest) this.points.delete(k);
    }
  }

  private trimTrades(): void {
    if (this.trades.size <= this.maxPoints) return;
    const sorted = [...this.trades.entries()].sort((a, b) => a[1].ts - b[1].ts);
    for (const [k] of sorted.slice(0, this.trades.size - this.maxPoints)) this.trades.delete(k);
  }

  private trimGuidance(): void {
    if (this.guidanceById.size <= this.maxGuidance) return;
    const sorted = [...this.guidanceById.entries()].sort((a, b) => a[1].receivedAt - b[1].receivedAt);
    for (const [k] of sorted.slice(0, this.guidanceById.size - this.maxGuidance)) this.guidanceById.delete(k);
  }

  private trimControls(): void {
    if (this.controls.size <= this.maxControls) return;
    const sorted = [...this.controls.entries()].sort((a, b) => a[1].issuedAt - b[1].issuedAt);
    for (const [k] of sorted.slice(0, this.controls.size - this.maxControls)) this.controls.delete(k);
  }
}
