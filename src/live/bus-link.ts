/**
 * The trader on the bus (--redis): every tick it publishes `ppo_state` (for the coach and the dashboard) and a
 * `trader_heartbeat`; it applies `coach_guidance` through the coach's guidance layer (GuidanceReceiver +
 * GuidanceFilter, composed before the risk manager so hard caps win) and obeys `trader_control` messages with a
 * `trader_control_ack` for each. Nothing here writes a second bus: it uses src/bus and src/coach/guidance.
 *
 *   R12  Redis down: publishing drops (counted) and never throws; the trader keeps ticking on the last valid
 *        guidance while it is in force (age ≤ the receiver's maxAgeMs), then on neutral defaults; after the
 *        reconnect the guidance link re-reads the stream's pending entries and `coach_guidance:latest`.
 *   R14  each state carries `seq` (monotonic per journal) and `ts`; nothing is queued while the bus is down.
 *   R15  blocking reads are bounded (the consumer's blockMs); a coach that says nothing for coachStaleMs is
 *        "stale" and the trader trades on defaults.
 *   R16  every guidance is re-validated by the receiver (strict schema, bounds), rejected ones counted and
 *        journaled with the field and the value; the guidance in force stays, the decision is unchanged.
 *   R21  controls are applied between ticks, once per id, each acknowledged, every transition journaled.
 */
import type { Bus } from "../bus/bus.js";
import { consume, type ConsumerStats } from "../bus/consume.js";
import { describeRejection, ppoStateSchema, SCHEMA_VERSION, type PpoStateInput } from "../bus/messages.js";
import { controlIdOf, parseControl, type TraderControlAck } from "../bus/trader-messages.js";
import { GuidanceFilter, guidanceFilterParams, GuidanceReceiver, linkGuidance, type GuidanceLink, type ReceiverSnapshot } from "../coach/guidance.js";
import type { EnvConfig } from "../env/config.js";
import { createRewardScheme } from "../env/rewards/index.js";
import { RewardInput } from "../env/rewards/reward-scheme.js";
import type { OrderFilter } from "../env/order-filter.js";
import type { Journal } from "./journal.js";
import type { ControlOutcome, TickReport, Trader, TraderControlCommand } from "./trader.js";

export interface TraderLinkOptions {
  readonly bus: Bus;
  readonly journal: Journal;
  /** The checkpoint's env config (guidance filter parameters, the reward published in ppo_state). */
  readonly env: EnvConfig;
  /** Starting mix for the published reward's hold value. */
  readonly start: { readonly cash: number; readonly coins: number };
  /** The configured exposure limit: the coach's adjust_risk scales it. */
  readonly maxExposure: number;
  readonly mode: "replay" | "paper" | "live";
  readonly symbol: string;
  /** The checkpoint folder (ppo_state.model). */
  readonly model: string;
  readonly intervalMs: number;
  /** The trader's clock (guidance ages and expiries are judged against it). */
  readonly now: () => number;
  /** Guidance older than this no longer applies (default 3 intervals). */
  readonly maxGuidanceAgeMs?: number;
  readonly log?: (level: "info" | "warn", line: string) => void;
  /**
   * Where the bus's failures go (a consumer group not created, a read that failed): default one `log` line each;
   * the trade job passes its ConnectionLog, which turns an outage's many into one line, then one a minute.
   */
  readonly onBusError?: (where: string, err: unknown) => void;
  /** Consumer settings (tests shorten them). */
  readonly blockMs?: number;
  readonly latestPollMs?: number;
}

export class TraderLink {
  readonly receiver: GuidanceReceiver;
  readonly filter: GuidanceFilter;
  coachEnabled = true;
  private guidanceLink: GuidanceLink | null = null;
  private controlLoop: Promise<ConsumerStats> | null = null;
  private readonly ctl = new AbortController();
  private readonly rewards;
  private readonly rewardMemory: Float64Array;
  private readonly ri = new RewardInput();
  private prev: { value: number; hold: number } | null = null;
  private readonly returns: number[] = [];
  private trader: Trader | null = null;
  private lastLogged: string | null = null;
  /** Publishes that failed (the bus threw): counted, never thrown into the tick (R12). */
  publishFailures = 0;

  constructor(readonly opts: TraderLinkOptions) {
    const journal = opts.journal;
    this.receiver = new GuidanceReceiver({
      maxAgeMs: opts.maxGuidanceAgeMs ?? 3 * opts.intervalMs,
      acceptSeedForm: opts.mode !== "live",
      // A replay judges guidance on its own (simulated) clock and the coach's heartbeats on the wall clock.
      ...(opts.mode === "replay" ? { livenessNow: Date.now } : {}),
      log: (e) => {
        const at = opts.now();
        const r = e.rejection;
        // The latest key is polled again and again: a refused or known message is journaled once, not per poll.
        const detail = r ? `${r.code} at ${r.field}: ${r.message} (got ${r.value})` : e.line;
        if (e.outcome !== "applied" && detail === this.lastLogged) return;
        this.lastLogged = detail;
        if (e.outcome === "applied" || e.outcome === "rejected" || e.outcome === "duplicate" || e.outcome === "old_version") {
          // Named by the message's id and version (the dashboard's guidance timeline joins its "trader" column on the id).
          const g = e.guidance;
          journal.recordGuidance({ id: g?.id ?? null, version: g?.version ?? null, kind: g?.kind ?? null, value: g?.value ?? null, receivedAt: at, status: e.outcome, detail, payload: g?.payload ?? null });
        }
        opts.log?.(e.level, e.line);
      },
    });
    const saved = journal.getState("guidance");
    if (saved !== null) this.receiver.restore(JSON.parse(saved) as ReceiverSnapshot);
    // The decision's bar close, like the backtest's filter (the clock only before the trader's first decision).
    this.filter = new GuidanceFilter(this.receiver, guidanceFilterParams(opts.env, opts.maxExposure), () => {
      const t = this.trader?.currentDecisionTime() ?? 0;
      return t > 0 ? t : opts.now();
    });
    this.coachEnabled = journal.getState("coach_enabled") !== "false";
    this.rewards = createRewardScheme(opts.env);
    this.rewardMemory = new Float64Array(Math.max(1, this.rewards.stateSize));
  }

  /**
   * Starts the guidance link and the control consumer for `trader`. The consumer groups are created first (from the
   * streams' current end): a control or a guidance sent once start() has returned is never missed.
   */
  async start(trader: Trader): Promise<void> {
    this.trader = trader;
    for (const topic of ["coach_guidance", "trader_control"] as const) {
      await this.opts.bus.ensureGroup(topic, "trader", "$").catch((err: unknown) => this.busError(`consumer group of ${topic} not created yet (retried)`, err));
    }
    this.guidanceLink = linkGuidance(this.opts.bus, this.receiver, {
      group: "trader",
      consumer: `trader-${this.opts.journal.runId.slice(0, 8)}`,
      now: this.opts.now,
      ...(this.opts.latestPollMs === undefined ? {} : { latestPollMs: this.opts.latestPollMs }),
      ...(this.opts.blockMs === undefined ? {} : { blockMs: this.opts.blockMs }),
      onError: (err) => this.busError("guidance", err),
    });
    this.controlLoop = consume(this.opts.bus, "trader_control", {
      group: "trader",
      consumer: `trader-${this.opts.journal.runId.slice(0, 8)}`,
      signal: this.ctl.signal,
      blockMs: this.opts.blockMs ?? 1_000,
      handler: (entry) => this.onControl(entry.json),
      onError: (err, where) => (where === "bus" ? this.busError("control", err) : this.opts.log?.("warn", `bus (control, handler): ${err instanceof Error ? err.message : String(err)}`)),
    });
  }

  private busError(where: string, err: unknown): void {
    if (this.opts.onBusError) this.opts.onBusError(where, err);
    else this.opts.log?.("warn", `bus (${where}): ${err instanceof Error ? err.message : String(err)}`);
  }

  /** The guidance filter of the next decision, or null while the coach is switched off. */
  guidance(): OrderFilter | null {
    return this.coachEnabled ? this.filter : null;
  }

  /** The guidance in force, for the decision's journal row. */
  describeGuidance(): string | null {
    if (!this.coachEnabled) return JSON.stringify({ coach: "off" });
    const g = this.filter.last.guidance;
    if (g === null || g.active.length === 0) return null;
    return JSON.stringify({ riskScale: g.riskScale, sizeScale: g.sizeScale, waitLeft: this.filter.last.waitLeft, changed: this.filter.last.changed, active: g.active.map((a) => ({ id: a.id, version: a.version, kind: a.kind, value: a.value })) });
  }

  /** Called after every tick: ppo_state (when the tick has a price) and the heartbeat. Never throws. */
  async onTick(r: TickReport): Promise<void> {
    const { bus, journal } = this.opts;
    journal.setState("guidance", JSON.stringify(this.receiver.snapshot()));
    try {
      if (r.price !== null && r.portfolio !== null) {
        const state = this.ppoState(r);
        const parsed = ppoStateSchema.safeParse(state);
        if (parsed.success) await bus.publish("ppo_state", JSON.stringify(parsed.data));
        else this.opts.log?.("warn", `ppo_state not published: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
      }
      await bus.publish(
        "trader_heartbeat",
        JSON.stringify({ schemaVersion: SCHEMA_VERSION, traderId: journal.runId.replace(/[^A-Za-z0-9:._-]/g, "").slice(0, 128) || "trader", lastProcess: Math.max(946_684_800_000, Math.round(r.lastProcess)), barTs: r.barTs, seq: r.seq, outcome: r.outcome, status: r.status, intervalMs: this.opts.intervalMs, mode: this.opts.mode }),
        { latestTtlMs: 3 * this.opts.intervalMs },
      );
    } catch (err) {
      this.publishFailures++;
      this.opts.log?.("warn", `bus publish failed (${err instanceof Error ? err.message : String(err)}): the trader goes on`);
    }
  }

  /** The ppo_state of a tick (src/bus/messages.ts), with the env's reward for the tick. */
  ppoState(r: TickReport): PpoStateInput {
    const p = r.portfolio!;
    const price = r.price!;
    const hold = this.opts.start.cash + this.opts.start.coins * price;
    let reward = 0;
    if (this.prev === null) this.rewards.start(this.rewardMemory, 0, p.value);
    else {
      const ri = this.ri;
      ri.prevValue = this.prev.value;
      ri.value = p.value;
      ri.prevHoldValue = this.prev.hold;
      ri.holdValue = hold;
      ri.notional = 0;
      ri.fee = 0;
      reward = this.rewards.reward(ri, this.rewardMemory, 0);
      if (this.prev.value > 0) this.returns.push(p.value / this.prev.value - 1);
      if (this.returns.length > 500) this.returns.shift();
    }
    this.prev = { value: p.value, hold };
    const n = this.returns.length;
    const mean = n > 0 ? this.returns.reduce((a, b) => a + b, 0) / n : 0;
    const vol = n > 1 ? Math.sqrt(this.returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
    const active = this.coachEnabled ? this.receiver.effective(this.opts.now()).active : [];
    return {
      schemaVersion: SCHEMA_VERSION,
      seq: r.seq,
      ts: r.ts,
      symbol: this.opts.symbol,
      price,
      action: r.side ?? "hold",
      amount: r.amount,
      reward: Number.isFinite(reward) ? reward : 0,
      portfolio: { cash: Math.max(0, p.cash), coins: Math.max(0, p.coins), value: Math.max(0, p.value) },
      ...(r.exposure === null ? {} : { exposure: Math.min(1, Math.max(0, r.exposure)) }),
      ...(r.drawdown === null ? {} : { drawdown: Math.min(1, Math.max(0, r.drawdown)) }),
      recentReturns: this.returns.slice(-500),
      volatility: vol,
      fee: r.fee,
      guidance: active.map((g) => ({ id: g.id.replace(/[^A-Za-z0-9:._-]/g, "_"), version: g.version, guidance: g.kind, value: g.value, expiresAt: g.expiresAt })),
      model: this.opts.model.slice(-256),
      intervalMs: this.opts.intervalMs,
      mode: this.opts.mode,
      locks: r.locks.slice(0, 32).map((l) => ({ reason: `${l.reason}: ${l.detail}`.slice(0, 200), until: l.until })),
      status: r.status,
    };
  }

  /** One trader_control entry: parsed strictly, applied once per id, acknowledged. */
  private async onControl(json: string): Promise<void> {
    const { journal, now } = this.opts;
    const parsed = parseControl(json);
    if (!parsed.ok) {
      const r = parsed.rejection;
      journal.recordControl({ id: controlIdOf(json) || null, command: "?", args: null, receivedAt: now(), result: "rejected", detail: describeRejection(r) });
      return this.ack({ id: controlIdOf(json), command: "?", result: "rejected", message: describeRejection(r) });
    }
    const m = parsed.message;
    const previous = journal.db.prepare<unknown[]>("SELECT result, detail FROM controls WHERE id = ? ORDER BY seq LIMIT 1").get(m.id) as { result: string; detail: string } | undefined;
    if (previous !== undefined) {
      // At-least-once delivery: a message seen before is acknowledged again, never applied twice.
      return this.ack({ id: m.id, command: m.command, result: previous.result === "rejected" ? "rejected" : "already", message: `already handled: ${previous.detail}` });
    }
    let out: ControlOutcome;
    if (m.command === "coach") {
      const changed = this.coachEnabled !== m.args.enabled;
      this.coachEnabled = m.args.enabled;
      journal.setState("coach_enabled", String(m.args.enabled));
      const t = this.trader!;
      out = { result: changed ? "done" : "already", message: `coach guidance ${m.args.enabled ? "on" : "off (neutral guidance; the risk limits stay)"}`, status: t.statusText(), openOrders: journal.unresolvedOrders().length, coins: journal.lastEquity()?.coins ?? 0 };
    } else {
      const by = `${m.issuedBy}:${m.id}`;
      const cmd: TraderControlCommand =
        m.command === "stop"
          ? { command: "stop", by, cancelOpen: m.args.cancelOpen }
          : m.command === "set_risk"
            ? { command: "set_risk", by, ...(m.args.maxTradeFraction === undefined ? {} : { maxTradeFraction: m.args.maxTradeFraction }), ...(m.args.maxExposure === undefined ? {} : { maxExposure: m.args.maxExposure }) }
            : { command: m.command, by };
      out = await this.trader!.control(cmd);
    }
    journal.recordControl({ id: m.id, command: m.command, args: JSON.stringify(m.args), receivedAt: now(), result: out.result, detail: out.message });
    await this.ack({ id: m.id, command: m.command, result: out.result, message: out.message, status: out.status, openOrders: out.openOrders, coins: out.coins });
  }

  private async ack(a: Partial<TraderControlAck> & Pick<TraderControlAck, "id" | "command" | "result" | "message">): Promise<void> {
    const t = this.trader;
    const full: TraderControlAck = {
      schemaVersion: SCHEMA_VERSION,
      status: t?.statusText() ?? "running",
      openOrders: 0,
      coins: 0,
      ts: Math.max(946_684_800_000, Math.round(this.opts.now())),
      ...a,
      message: a.message.slice(0, 500),
    };
    try {
      await this.opts.bus.publish("trader_control_ack", JSON.stringify(full));
    } catch (err) {
      this.publishFailures++;
      this.opts.log?.("warn", `control ack not published: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    await this.guidanceLink?.stop();
    await this.controlLoop;
    this.opts.journal.setState("guidance", JSON.stringify(this.receiver.snapshot()));
  }
}
