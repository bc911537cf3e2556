/**
 * The live trader: one loop, the same in replay, paper and live mode (only the Exchange and the Clock differ).
 *
 * Each tick (R23): it starts after the decision bar's close plus an offset; ticks never overlap, and one that
 * overruns makes the next be skipped. The feeder appends the bar (R22: validated, the forming bar dropped, stale
 * data = no decision). The balances are read with bounded retries (R4: still failing → the tick is skipped, no
 * order). The decision runs on the training code path (src/trading/decide.ts), then the risk manager (R9–R11).
 * The decision, its order intent, the policy's recurrent state and the risk state are committed in ONE journal
 * transaction before the order goes out (R1, R6); the order manager places it (R1–R3); fills update the risk
 * state exactly once. A report of the tick goes to `onTick` (the bus publishes it as ppo_state, with the
 * heartbeat).
 *
 * Restart (R6): the policy's state is the last decision's, the risk state (locks included, R10) the journal's;
 * unresolved orders are reconciled with the exchange by our client order ids; a tick killed half-way is finished
 * (its order looked up, sent only if it never was and its moment has not passed), never decided twice.
 */
import type { Policy } from "../agent/policy.js";
import type { CandleMeta } from "../data/candles.js";
import { TradingError } from "../trading/errors.js";
import type { OrderFilter } from "../env/order-filter.js";
import type { DecisionModel, TickDecision } from "../trading/decide.js";
import { decideOnHistory } from "../trading/decide.js";
import { MarketHistory } from "../trading/market-history.js";
import { clientOrderId, decisionId, parseClientOrderId, runTag } from "../trading/order-id.js";
import { RiskOrderFilter } from "../trading/risk/risk-filter.js";
import type { RiskLimits } from "../trading/risk/risk-config.js";
import { initialRiskState, RiskManager, type RiskLock, type RiskState, type RiskStatus } from "../trading/risk/risk-manager.js";
import { nextTick, tickStartFor } from "../trading/schedule.js";
import { classifyError } from "./ccxt-errors.js";
import type { Clock } from "./clock.js";
import type { Balances, Exchange, MarketInfo } from "./exchange.js";
import type { CandleStream } from "./candle-stream.js";
import { Feeder, type FeedUpdate, type GapFill } from "./feeder.js";
import type { EventLevel, Journal, OrderRow } from "./journal.js";
import { UNRESOLVED_ORDER_STATUSES } from "./journal.js";
import { DEFAULT_ORDER_OPTIONS, OrderManager, type OrderManagerOptions, type PlaceOutcome } from "./order-manager.js";
import { ReadFailed, withReadRetries, type RetryPolicy, DEFAULT_READ_RETRIES } from "./retry.js";

export interface TraderOptions {
  readonly barMs: number;
  /** Ticks start this long after the decision bar's close (R23). */
  readonly offsetMs: number;
  /** Bars the features are computed over (a fixed-length tail of the history). */
  readonly historyBars: number;
  /** Bars fed through the policy before the first decision of a new journal, holding the start portfolio (0: none). */
  readonly warmupBars: number;
  /** At start-up, a bar that closed at most this long ago (past the offset) is still decided on. */
  readonly lateStartMs: number;
  /** The last bar of the run: its tick records the final mark and the run ends (a replay's window end). */
  readonly stopAfterBar: number | null;
  /** An order intent may still be sent this long after its tick's start (a restart within the tick); later it is abandoned. */
  readonly decisionMaxDelayMs: number;
  readonly readRetries: RetryPolicy;
  readonly gapFill: GapFill;
  readonly pageLimit: number;
  readonly order: Omit<OrderManagerOptions, "sleep" | "now" | "log">;
  /** Stop after this many ticks of this process (tests); null: no limit. */
  readonly maxTicks: number | null;
  /** Journal transactions per commit (1 in real time; a replay batches hold ticks, flushing before every order). */
  readonly groupCommit: number;
}

export const DEFAULT_TRADER_OPTIONS: Omit<TraderOptions, "barMs" | "stopAfterBar"> = {
  offsetMs: 1_000,
  historyBars: 1_000,
  warmupBars: 0,
  lateStartMs: 30_000,
  decisionMaxDelayMs: 60_000,
  readRetries: DEFAULT_READ_RETRIES,
  gapFill: "none",
  pageLimit: 1000,
  order: DEFAULT_ORDER_OPTIONS,
  maxTicks: null,
  groupCommit: 1,
};

/** What one tick did, for the bus (ppo_state + heartbeat) and the dashboard. */
export interface TickReport {
  /** Monotonic per journal (R14). */
  readonly seq: number;
  /** Open time of the decision bar. */
  readonly barTs: number;
  /** The decision bar's close: the tick's market time. */
  readonly ts: number;
  /** Wall-clock (or replay-clock) time the tick finished: the heartbeat's lastProcess (R23). */
  readonly lastProcess: number;
  readonly outcome: "decided" | "skipped" | "stale" | "final" | "halted";
  readonly detail: string | null;
  readonly price: number | null;
  readonly side: "buy" | "sell" | "hold" | null;
  /** Fraction of the cash a buy spent or of the coins a sell sold (0 for a hold). */
  readonly amount: number;
  readonly portfolio: { readonly cash: number; readonly coins: number; readonly value: number } | null;
  readonly exposure: number | null;
  readonly drawdown: number | null;
  /** Commission paid by this tick's order (quote). */
  readonly fee: number;
  readonly status: "running" | "stopentry" | "stopped";
  readonly locks: readonly RiskLock[];
  readonly riskCode: string | null;
}

export interface TraderDeps {
  readonly exchange: Exchange;
  readonly journal: Journal;
  readonly policy: Policy<unknown>;
  readonly model: DecisionModel;
  readonly riskLimits: RiskLimits;
  readonly clock: Clock;
  /** Waits between read retries and between ticks' feeds (a replay passes one that returns at once). */
  readonly sleep: (ms: number) => Promise<unknown>;
  /**
   * Waits of the order manager (R1, R2 backoff before a lookup or a resend); default `sleep`. Never cut short by a
   * stop signal: a lookup schedule collapsed into milliseconds would count an order the exchange has accepted but
   * not yet shows as "absent" and resend it. A stop finishes the tick's order first (a second signal exits at once).
   */
  readonly orderSleep?: (ms: number) => Promise<unknown>;
  readonly candleMeta: CandleMeta;
  /** The exchange's websocket candles (candle-stream.ts), started and stopped by the caller; absent: REST polling. */
  readonly candleStream?: CandleStream;
  readonly log?: (line: string) => void;
  /** Called after every tick (the bus publishes ppo_state and the heartbeat). */
  readonly onTick?: (report: TickReport, trader: Trader) => void | Promise<void>;
  /** Called before every tick's decision (the bus applies control messages and guidance here). */
  readonly beforeTick?: (trader: Trader) => void | Promise<void>;
  /** The guidance layer (the coach's GuidanceFilter), run between the action scheme and the risk manager. */
  readonly guidance?: () => OrderFilter | null;
  /** The guidance in force at a decision, as JSON for the journal (null: none). */
  readonly describeGuidance?: () => string | null;
}

export interface TraderSummary {
  readonly journal: string;
  readonly mode: Exchange["mode"];
  /** Decisions in the journal (one per decided tick). */
  readonly ticks: number;
  /** Orders with a fill. */
  readonly trades: number;
  readonly firstValue: number | null;
  readonly finalValue: number | null;
  readonly totalReturn: number | null;
  readonly stoppedBy: "end" | "signal" | "halt" | "max_ticks";
  readonly status: RiskStatus;
  readonly stopReason: string | null;
}

/** A control command as the trader applies it (parsed from a trader_control message). */
export type TraderControlCommand =
  | { readonly command: "stop"; readonly by: string; readonly cancelOpen: boolean }
  | { readonly command: "start" | "stopentry" | "startentry" | "forceexit" | "kill"; readonly by: string }
  | { readonly command: "set_risk"; readonly by: string; readonly maxTradeFraction?: number; readonly maxExposure?: number };

export interface ControlOutcome {
  readonly result: "done" | "already" | "rejected";
  readonly message: string;
  readonly status: "running" | "stopentry" | "stopped";
  readonly openOrders: number;
  readonly coins: number;
}

type RiskVerdictCode = import("../trading/risk/risk-manager.js").RiskCode;

export class Trader {
  readonly tag: string;
  readonly history: MarketHistory;
  readonly feeder: Feeder;
  readonly orders: OrderManager;
  risk!: RiskManager;
  riskFilter!: RiskOrderFilter;
  market!: MarketInfo;
  /** Market time of the decision being taken: the close of its bar (the risk and guidance filters' clock). */
  private decisionTime = 0;
  /** Balances read this tick plus our fills since: what the next tick should read (drift check). */
  private expected: { cash: number; coins: number } | null = null;
  private lastExpected: { cash: number; coins: number } | null = null;
  private seq: number;
  private ticksThisRun = 0;
  private lastBar: number | null = null;
  private halted = false;
  /** Ticks and control actions run one at a time (a control never lands in the middle of a tick). */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly deps: TraderDeps,
    readonly opts: TraderOptions,
  ) {
    this.tag = runTag(deps.journal.runId);
    this.history = new MarketHistory(deps.candleMeta, Math.max(opts.historyBars, 64) * 2);
    this.feeder = new Feeder(deps.exchange, this.history, {
      barMs: opts.barMs,
      offsetMs: opts.offsetMs,
      pageLimit: opts.pageLimit,
      retries: opts.readRetries,
      gapFill: opts.gapFill,
      sleep: deps.sleep,
      log: (level, message) => this.event(level, "feed", message),
    }, deps.candleStream ?? null);
    this.orders = new OrderManager(deps.exchange, deps.journal, this.tag, {
      ...opts.order,
      sleep: deps.orderSleep ?? deps.sleep,
      now: () => deps.clock.now(),
      log: (level, kind, message, data) => this.event(level, kind, message, data),
    });
    const saved = deps.journal.getState("tick");
    this.seq = saved === null ? 0 : (JSON.parse(saved) as { seq: number }).seq;
  }

  get journal(): Journal {
    return this.deps.journal;
  }

  /** Runs until the replay's end, a halt, `maxTicks`, or `signal` (SIGINT/SIGTERM: the current tick finishes first). */
  async run(signal?: AbortSignal): Promise<TraderSummary> {
    const { exchange, journal, clock, policy } = this.deps;
    journal.setGroupCommit(this.opts.groupCommit);
    this.market = await withReadRetries("loadMarkets", () => exchange.market(), this.opts.readRetries, this.deps.sleep);
    const saved = journal.getState("risk");
    this.risk = new RiskManager(this.deps.riskLimits, this.market, this.deps.model.terms, saved === null ? initialRiskState(this.deps.riskLimits) : (JSON.parse(saved) as RiskState));
    // Fills are attributed explicitly from the journal (applyFills), at their decision's time.
    this.riskFilter = new RiskOrderFilter(this.risk, () => this.decisionTime, false);
    this.log(`${exchange.mode} on ${exchange.id}${exchange.apiHost === null ? "" : ` (API host ${exchange.apiHost})`}: ${exchange.symbol} ${exchange.timeframe}, journal ${journal.path}`);

    const last = journal.lastDecision();
    if (last !== null) policy.setState(last.policyState);
    else policy.reset();
    this.lastBar = Math.max(last?.barTs ?? -Infinity, journal.lastTick()?.barTs ?? -Infinity);
    if (!Number.isFinite(this.lastBar)) this.lastBar = null;

    // R6: what happened on the exchange while we were down.
    const rec = await this.orders.reconcile((bar) => this.isCurrent(bar));
    if (rec.updated + rec.adopted + rec.abandoned > 0) this.event("info", "reconcile", `reconciled on start: ${rec.updated} updated, ${rec.adopted} adopted, ${rec.abandoned} abandoned`, rec);
    this.applyFills();

    const warm = await this.feeder.warmup(this.opts.historyBars + this.opts.warmupBars + 1, clock.now());
    journal.transaction(() => journal.upsertCandles(warm.bars));
    if (last === null && this.opts.warmupBars > 0) await this.warmPolicy();

    // A tick killed after its decision was committed: finish it (never decide it twice).
    if (last !== null && journal.tick(last.barTs)?.status !== "done") {
      await clock.sleepUntil(tickStartFor(last.barTs, this.opts.barMs, this.opts.offsetMs), signal);
      await this.resumeTick(last.barTs);
    }

    let stoppedBy: TraderSummary["stoppedBy"] = "signal";
    let first = true;
    while (signal?.aborted !== true) {
      if (this.halted) {
        stoppedBy = "halt";
        break;
      }
      if (this.opts.maxTicks !== null && this.ticksThisRun >= this.opts.maxTicks) {
        stoppedBy = "max_ticks";
        break;
      }
      const next = nextTick(clock.now(), this.opts.barMs, this.opts.offsetMs, this.lastBar, first ? this.opts.lateStartMs : 0);
      first = false;
      if (this.opts.stopAfterBar !== null && next.barTs > this.opts.stopAfterBar) {
        stoppedBy = "end";
        break;
      }
      if (next.skipped > 0 && this.lastBar !== null) this.event("warn", "tick_skipped", `${next.skipped} tick(s) skipped (overrun or downtime): next bar ${new Date(next.barTs).toISOString()}`, { skipped: next.skipped });
      if (!(await clock.sleepUntil(next.at, signal))) break;
      const final = this.opts.stopAfterBar !== null && next.barTs === this.opts.stopAfterBar;
      await this.exclusive(() => this.runTick(next.barTs, final));
      this.lastBar = next.barTs;
      this.ticksThisRun++;
      if (final) {
        stoppedBy = "end";
        break;
      }
    }
    journal.flush();
    return this.summary(stoppedBy);
  }

  summary(stoppedBy: TraderSummary["stoppedBy"]): TraderSummary {
    const j = this.deps.journal;
    const eq = j.equity();
    const firstValue = eq[0]?.value ?? null;
    const finalValue = eq.at(-1)?.value ?? null;
    const trades = j.orders().filter((o) => o.filled > 0).length;
    return {
      journal: j.path,
      mode: this.deps.exchange.mode,
      ticks: j.decisionCount(),
      trades,
      firstValue,
      finalValue,
      totalReturn: firstValue !== null && finalValue !== null && firstValue > 0 ? finalValue / firstValue - 1 : null,
      stoppedBy,
      status: this.risk?.state.status ?? "running",
      stopReason: this.risk?.state.stopReason ?? null,
    };
  }

  /** The intent is durable before a request to a real exchange (a simulated one commits with the journal). */
  private flushBeforeRequest(): void {
    if (!this.deps.exchange.sharesJournal) this.deps.journal.flush();
  }

  /**
   * The close of the bar being decided on (0 before the first decision). The guidance filter judges expiry on it, as
   * the backtest does on the bar's close, so a guidance for `ttlTicks` bars covers the same decisions in both, however
   * long after the close (offsetMs, a slow tick) the decision runs.
   */
  currentDecisionTime(): number {
    return this.decisionTime;
  }

  /** Runs `fn` when no tick or other control action is running. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies one control message (R21), between ticks: `stop` (no new orders from the next tick; open orders
   * cancelled only with cancelOpen), `start` (the explicit start after a stop, a halt or the kill switch),
   * `stopentry` / `startentry` (entries blocked or allowed; exits still run), `forceexit` (sell every coin now,
   * whatever the agent, the locks or a stop say), `kill` (stop and cancel every open order), `set_risk` (caps at
   * or below the configured limits). Every transition is journaled.
   */
  control(cmd: TraderControlCommand): Promise<ControlOutcome> {
    return this.exclusive(async () => {
      const { journal } = this.deps;
      const held = () => ({ openOrders: journal.unresolvedOrders().length, coins: Math.max(0, journal.lastEquity()?.coins ?? 0) });
      const outcome = (result: ControlOutcome["result"], message: string): ControlOutcome => {
        this.saveRisk();
        this.event(result === "rejected" ? "warn" : "info", "control", `${cmd.command}: ${result}: ${message}`);
        return { result, message, status: this.statusText(), ...held() };
      };
      switch (cmd.command) {
        case "stop": {
          const changed = this.risk.stop(`stopped by control (${cmd.by})`);
          if (cmd.cancelOpen) await this.orders.cancelOpen();
          const h = held();
          const warn = h.coins > 0 || h.openOrders > 0 ? `; still holding ${h.coins} coins and ${h.openOrders} open order(s)` : "";
          return outcome(changed ? "done" : "already", `${changed ? "stopped: no new orders from the next tick" : "already stopped"}${warn}`);
        }
        case "start": {
          const changed = this.risk.start();
          const wasHalted = this.halted;
          this.halted = false;
          return outcome(changed || wasHalted ? "done" : "already", changed || wasHalted ? "started" : "already running");
        }
        case "stopentry":
          return outcome(this.risk.pauseEntries(true) ? "done" : "already", "entries blocked; exits still run");
        case "startentry":
          return outcome(this.risk.pauseEntries(false) ? "done" : "already", "entries allowed");
        case "kill": {
          const changed = this.risk.stop(`kill switch by control (${cmd.by})`);
          const n = await this.orders.cancelOpen();
          return outcome(changed || n > 0 ? "done" : "already", `stopped; ${n} open order(s) cancelled; a start is required`);
        }
        case "set_risk": {
          const before = { maxTradeFraction: this.risk.state.maxTradeFraction, maxExposure: this.risk.state.maxExposure };
          const caps = this.risk.setCaps({ ...(cmd.maxTradeFraction === undefined ? {} : { maxTradeFraction: cmd.maxTradeFraction }), ...(cmd.maxExposure === undefined ? {} : { maxExposure: cmd.maxExposure }) });
          const same = caps.maxTradeFraction === before.maxTradeFraction && caps.maxExposure === before.maxExposure;
          return outcome(same ? "already" : "done", `caps in force: maxTradeFraction ${caps.maxTradeFraction}, maxExposure ${caps.maxExposure} (configured limits ${this.deps.riskLimits.maxTradeFraction}, ${this.deps.riskLimits.maxExposure})`);
        }
        case "forceexit":
          return this.forceExit(cmd.by).then((r) => outcome(r.result, r.message));
      }
    });
  }

  /** running, stopentry or stopped (published in ppo_state and the acks). */
  statusText(): "running" | "stopentry" | "stopped" {
    if (this.halted || this.risk.state.status === "stopped") return "stopped";
    return this.risk.state.entriesPaused ? "stopentry" : "running";
  }

  /** Sells every available coin at market: one order per bar at most (its client id is the bar's forced-exit id). */
  private async forceExit(by: string): Promise<{ result: ControlOutcome["result"]; message: string }> {
    const { journal, exchange, clock } = this.deps;
    let balances: Balances;
    try {
      balances = await withReadRetries("fetchBalance", () => exchange.fetchBalances(), this.opts.readRetries, this.deps.sleep);
    } catch (err) {
      return { result: "rejected", message: `balances unavailable: ${err instanceof Error ? err.message : String(err)}` };
    }
    const price = this.history.lastClose();
    const bar = this.history.lastTs ?? Math.floor(clock.now() / this.opts.barMs) * this.opts.barMs;
    const order = { spendUsd: 0, sellCoins: balances.coinsFree };
    const verdict = { code: "pass" as RiskVerdictCode, detail: "", alerts: [] as string[] };
    this.risk.reviewForcedExit(order, { time: clock.now(), cash: balances.cash, coins: balances.coinsFree, price, valid: true }, verdict);
    if (!(order.sellCoins > 0)) return { result: "already", message: `nothing to sell (${verdict.detail || "no coins"})` };
    const id = decisionId(this.tag, bar);
    const coid = clientOrderId(id, "x");
    if (journal.order(coid) === null) journal.insertOrder(coid, id, "sell", null, order.sellCoins, clock.now());
    this.flushBeforeRequest();
    const outcome = await this.orders.place(journal.order(coid)!);
    this.afterPlace(outcome);
    journal.transaction(() => this.applyFills());
    this.event("alert", "forceexit", `forced exit by ${by}: ${outcomeDetail(outcome)}`);
    if (outcome.kind === "done" || outcome.kind === "open") return { result: "done", message: `sold ${outcome.order.filled} coins (${outcome.order.status})` };
    return { result: "rejected", message: outcomeDetail(outcome) };
  }

  saveRisk(json: string = JSON.stringify(this.risk.state)): void {
    this.deps.journal.setState("risk", json);
  }

  isHalted(): boolean {
    return this.halted;
  }

  private isCurrent(barTs: number): boolean {
    return this.deps.clock.now() - tickStartFor(barTs, this.opts.barMs, this.opts.offsetMs) <= this.opts.decisionMaxDelayMs;
  }

  private async runTick(bar: number, final: boolean): Promise<void> {
    const { journal, clock, exchange } = this.deps;
    const now = clock.now();
    // Bars fetched this tick are written in the tick's first transaction (one commit per tick for a hold).
    let bars: FeedUpdate | null = null;
    const writeBars = (): void => {
      if (bars === null) return;
      journal.upsertCandles(bars.bars);
      journal.upsertCandles(bars.filledBars, true);
      bars = null;
    };
    // A tick's rows are written together (Journal.write: one statement for a hold tick), committed before onTick.
    const close = (status: "done" | "skipped" | "stale" | "failed", detail: string | null, report: TickReport, writes?: () => void, traded = false): void => {
      // Read before the writes (it reads this tick's orders, which the writes do not change): the rows stay one batch.
      const tickState = this.tickState(report, traded);
      journal.write(() => {
        writeBars();
        writes?.();
        journal.finishTick(bar, status, clock.now(), detail);
        journal.setState("tick", tickState);
      });
      void this.deps.onTick?.(report, this);
    };
    try {
      bars = await this.feeder.update(now);
    } catch (err) {
      if (err instanceof ReadFailed) {
        this.event("warn", "tick_skipped", `candles unavailable: ${err.message} (no order this tick)`);
        return close("skipped", "candles unavailable", this.report(bar, "skipped", "candles unavailable"));
      }
      if (err instanceof TradingError && err.code === "invalid_candles") {
        this.event("warn", "bad_candles", `${err.message} (no decision this tick)`);
        return close("failed", err.message.slice(0, 300), this.report(bar, "skipped", "invalid candles"));
      }
      return this.haltOn(err, bar);
    }
    const update = bars;
    if (update.stale || this.history.lastTs !== bar) {
      const why = update.latest === null ? "no candles" : `latest closed candle ${new Date(update.latest).toISOString()}, expected ${new Date(bar).toISOString()}`;
      if (update.stale) this.event("warn", "stale", `stale data: ${why}: no decision`);
      return close(update.stale ? "stale" : "skipped", why, this.report(bar, update.stale ? "stale" : "skipped", why));
    }
    if (this.deps.beforeTick) await this.deps.beforeTick(this);

    // Orders still pending from earlier ticks (open, LOST): polled before anything else (R2).
    let unresolved: OrderRow[] = journal.hasUnresolvedOrders() ? journal.unresolvedOrders() : [];
    if (unresolved.length > 0) {
      await this.orders.reconcile((b) => this.isCurrent(b)).catch((err: unknown) => this.event("warn", "reconcile", `reconcile failed: ${String(err)}`));
      this.applyFills();
      unresolved = journal.unresolvedOrders();
    }

    let balances: Balances;
    try {
      balances = await withReadRetries("fetchBalance", () => exchange.fetchBalances(), this.opts.readRetries, this.deps.sleep, (a, d, e) => this.event("warn", "retry", `fetchBalance retry ${a} in ${d} ms after ${e.errorClass}`));
    } catch (err) {
      if (!(err instanceof ReadFailed)) return this.haltOn(err, bar);
      // R4: no order this tick. R11: the valuation failed, which the risk manager counts (entries blocked, alert after M).
      const verdict = { code: "pass" as const, detail: "", alerts: [] as string[] };
      const hold = { spendUsd: 0, sellCoins: 0 };
      this.risk.review(hold, { time: bar + this.opts.barMs, cash: Number.NaN, coins: Number.NaN, price: this.history.lastClose(), valid: false }, verdict);
      for (const a of verdict.alerts) this.event("alert", "risk", a);
      this.event("warn", "tick_skipped", `balances unavailable: ${err.message} (no order this tick)`);
      return close("skipped", "balances unavailable", this.report(bar, "skipped", "balances unavailable"), () => this.saveRisk());
    }
    this.checkDrift(balances, unresolved);
    const price = this.history.lastClose();
    const value = balances.cash + balances.coins * price;
    const mark = { price, balances, value };
    const equity = () => journal.recordEquity({ barTs: bar, price, cash: balances.cash, coins: balances.coins, value });
    if (final) return close("done", "final mark", this.report(bar, "final", "final mark", mark), equity);
    if (this.history.length < Math.max(2, this.deps.model.firstDecisionRow + 1)) {
      const why = `warming up: ${this.history.length} of ${this.deps.model.firstDecisionRow + 1} bars`;
      return close("skipped", why, this.report(bar, "skipped", why));
    }

    // Funds of orders whose outcome is unknown stay reserved (R2).
    let reservedCash = 0;
    let reservedCoins = 0;
    for (const o of unresolved) {
      if (o.status === "open") continue; // the exchange already holds these in its "used" balance
      if (o.side === "buy") reservedCash += Math.max(0, (o.cost ?? 0) - o.costFilled);
      else reservedCoins += Math.max(0, (o.amount ?? 0) - o.filled);
    }
    const portfolio = {
      cash: balances.cash,
      coins: balances.coins,
      cashAvailable: Math.max(0, Math.min(balances.cashFree, balances.cash - reservedCash)),
      coinsAvailable: Math.max(0, Math.min(balances.coinsFree, balances.coins - reservedCoins)),
    };
    const statusBefore = this.risk.state.status;
    this.decisionTime = bar + this.opts.barMs;
    const d = decideOnHistory(this.deps.model, this.history.candles(this.opts.historyBars), this.deps.policy, { guidance: this.deps.guidance?.() ?? null, risk: this.riskFilter }, portfolio);
    const side = d.order.spendUsd > 0 ? "buy" : d.order.sellCoins > 0 ? "sell" : null;
    const id = decisionId(this.tag, bar);
    const coid = clientOrderId(id);
    const recordDecision = (): void => {
      const riskState = JSON.stringify(this.risk.state);
      equity();
      journal.recordDecision(
        {
          decisionId: id,
          barTs: bar,
          createdAt: clock.now(),
          price,
          cash: balances.cash,
          coins: balances.coins,
          value,
          action: d.action,
          probabilities: d.probabilities,
          criticValue: d.criticValue,
          holdReason: d.holdReason,
          guidance: this.deps.describeGuidance?.() ?? null,
          riskCode: d.risk.code,
          riskDetail: d.risk.detail === "" ? null : d.risk.detail,
          side,
          spend: side === "buy" ? d.order.spendUsd : null,
          amount: side === "sell" ? d.order.sellCoins : null,
          policyState: d.policyState,
          riskState,
        },
        side === null ? null : { clientOrderId: coid },
      );
      this.saveRisk(riskState);
    };
    for (const a of d.risk.alerts) this.event("alert", "risk", a);
    if (side === null) {
      close("done", null, this.report(bar, "decided", d.risk.detail || d.holdReason, mark, d), recordDecision);
      if (statusBefore === "running" && this.risk.state.status === "stopped") await this.onKillSwitch();
      return;
    }
    // The intent is committed before the request goes out (R1, R6): one statement (Journal.write).
    journal.write(() => {
      writeBars();
      recordDecision();
    });
    this.flushBeforeRequest();
    if (statusBefore === "running" && this.risk.state.status === "stopped") await this.onKillSwitch();
    const outcome = await this.orders.place(journal.order(coid)!);
    this.afterPlace(outcome);
    const fee = outcome.kind === "done" || outcome.kind === "open" ? outcome.order.fee : 0;
    return close("done", outcomeDetail(outcome), this.report(bar, this.halted ? "halted" : "decided", outcomeDetail(outcome), mark, d, fee), () => this.applyFills(), true);
  }

  /**
   * Balance drift: the account moved by something other than our fills (a deposit, a manual trade, a fee in
   * another asset). The exchange's balances are the truth and the next decision uses them; the drift is logged.
   */
  private checkDrift(b: Balances, unresolved: readonly OrderRow[]): void {
    const { journal } = this.deps;
    if (this.lastExpected === null) {
      const saved = journal.getState("tick");
      this.lastExpected = saved === null ? null : (JSON.parse(saved) as { balances: { cash: number; coins: number } | null }).balances;
    }
    const balances = this.lastExpected;
    if (balances !== null) {
      const exp = { ...balances };
      for (const open of unresolved) {
        exp.cash += open.cashDelta;
        exp.coins += open.coinsDelta;
      }
      const off = (x: number, y: number) => Math.abs(x - y) > 1e-6 * Math.max(1, Math.abs(y));
      if (off(b.cash, exp.cash) || off(b.coins, exp.coins)) {
        this.event("warn", "balance_drift", `balances moved outside our orders: cash ${exp.cash} → ${b.cash}, coins ${exp.coins} → ${b.coins} (the exchange's balances are used)`, { expected: exp, observed: { cash: b.cash, coins: b.coins } });
      }
    }
    this.expected = { cash: b.cash, coins: b.coins };
  }

  /** R11: the kill switch fired: no new orders, open ones cancelled, a manual start required. */
  private async onKillSwitch(): Promise<void> {
    this.flushBeforeRequest();
    const cancelled = await this.orders.cancelOpen();
    this.event("alert", "kill_switch", `${this.risk.state.stopReason ?? "stopped"}; ${cancelled} open order(s) cancelled; a manual start is required`);
  }

  /** Finishes a tick whose decision is in the journal (a restart in the middle of it). */
  private async resumeTick(bar: number): Promise<void> {
    const { journal, clock } = this.deps;
    const d = journal.decision(bar)!;
    let detail: string | null = "resumed";
    this.flushBeforeRequest();
    for (const o of journal.ordersOf(d.decisionId)) {
      if (!UNRESOLVED_ORDER_STATUSES.includes(o.status)) continue;
      if (o.status === "intent" && o.sends === 0 && !this.isCurrent(bar)) continue; // abandoned by reconcile
      const outcome = await this.orders.place(journal.order(o.clientOrderId)!);
      this.afterPlace(outcome);
      detail = `resumed: ${outcomeDetail(outcome)}`;
    }
    journal.transaction(() => {
      this.applyFills();
      journal.finishTick(bar, "done", clock.now(), detail);
    });
    this.event("info", "resume", `finished the tick of ${new Date(bar).toISOString()} after a restart (${detail})`);
    this.lastBar = Math.max(this.lastBar ?? bar, bar);
  }

  private afterPlace(outcome: PlaceOutcome): void {
    if (outcome.kind === "halt") {
      this.risk.stop(`halted: ${outcome.error.errorClass}: ${outcome.error.message.slice(0, 160)}`);
      this.saveRisk();
      this.halted = true;
    }
  }

  /** Attributes every final fill not yet attributed to the risk manager's position (exactly once, R6). */
  private applyFills(): void {
    const { journal } = this.deps;
    const fills = journal.unappliedFills();
    for (const o of fills) {
      // At the time of the decision that placed it, as a backtest's risk filter attributes it.
      const bar = parseClientOrderId(o.clientOrderId)?.barTs;
      this.risk.recordFill(bar === undefined ? o.updatedAt : bar + this.opts.barMs, o.coinsDelta, o.cashDelta);
      journal.updateOrder(o.clientOrderId, { applied: 1 });
    }
    if (fills.length > 0) this.saveRisk();
  }

  /** Feeds the `warmupBars` bars before the first decision through the policy, holding the start portfolio. */
  private async warmPolicy(): Promise<void> {
    const { model, policy } = this.deps;
    const all = this.history.candles();
    const n = this.opts.warmupBars;
    for (let k = n; k >= 1; k--) {
      const end = all.length - k;
      if (end < Math.max(2, model.firstDecisionRow + 1)) continue;
      const view = { ...all, length: end, timestamp: all.timestamp.subarray(0, end), open: all.open.subarray(0, end), high: all.high.subarray(0, end), low: all.low.subarray(0, end), close: all.close.subarray(0, end), volume: all.volume.subarray(0, end) };
      const tail = end > this.opts.historyBars ? { ...view, length: this.opts.historyBars, timestamp: view.timestamp.subarray(end - this.opts.historyBars), open: view.open.subarray(end - this.opts.historyBars), high: view.high.subarray(end - this.opts.historyBars), low: view.low.subarray(end - this.opts.historyBars), close: view.close.subarray(end - this.opts.historyBars), volume: view.volume.subarray(end - this.opts.historyBars) } : view;
      const { observation } = model.observe(tail, model.features(tail), model.start.cash, model.start.coins);
      policy.act(observation, { mode: "greedy" });
    }
    this.event("info", "warmup", `recurrent state warmed up over ${n} bars`);
  }

  private haltOn(err: unknown, bar: number): void {
    const c = classifyError(err);
    const halt = c.action === "halt";
    if (halt) {
      this.risk.stop(`halted: ${c.errorClass}: ${c.message.slice(0, 160)}`);
      this.halted = true;
      this.event("alert", "halt", `${c.errorClass}: ${c.message.slice(0, 200)}: trading halted, a manual start is required`);
    } else this.event("error", "tick_failed", `${c.errorClass}: ${c.message.slice(0, 200)} (tick skipped)`);
    const report = this.report(bar, halt ? "halted" : "skipped", c.errorClass);
    this.deps.journal.transaction(() => {
      this.saveRisk();
      this.deps.journal.finishTick(bar, "failed", this.deps.clock.now(), `${halt ? "halt: " : ""}${c.errorClass}`);
      this.persistReport(report);
    });
    void this.deps.onTick?.(report, this);
  }

  /** The balances the next tick should read: this tick's plus the fills of this tick's order (if it had one). */
  private expectedAfter(bar: number, traded: boolean): { cash: number; coins: number } | null {
    if (this.expected === null) return this.lastExpected;
    const e = { ...this.expected };
    if (traded) {
      for (const o of this.deps.journal.ordersOf(decisionId(this.tag, bar))) {
        if (o.status === "open" || o.status === "lost" || o.status === "unknown" || o.status === "intent") continue;
        e.cash += o.cashDelta;
        e.coins += o.coinsDelta;
      }
    }
    this.expected = null;
    this.lastExpected = e;
    return e;
  }

  /**
   * One state row per tick (inside the caller's transaction): the report's seq, the heartbeat (lastProcess, R23)
   * and the balances the next tick should read (drift check).
   */
  private persistReport(report: TickReport, traded = false): void {
    this.deps.journal.setState("tick", this.tickState(report, traded));
  }

  /** The `tick` state row of a report (see persistReport). */
  private tickState(report: TickReport, traded: boolean): string {
    const balances = this.expectedAfter(report.barTs, traded);
    return JSON.stringify({ seq: report.seq, lastProcess: report.lastProcess, barTs: report.barTs, outcome: report.outcome, balances });
  }

  private report(
    bar: number,
    outcome: TickReport["outcome"],
    detail: string | null,
    mark?: { price: number; balances: Balances; value: number },
    d?: TickDecision,
    fee = 0,
  ): TickReport {
    this.seq++;
    const risk = this.risk.state;
    const t = bar + this.opts.barMs;
    const value = mark?.value ?? null;
    const side = d === undefined ? null : d.order.spendUsd > 0 ? "buy" : d.order.sellCoins > 0 ? "sell" : "hold";
    const amount = d === undefined || mark === undefined ? 0 : side === "buy" ? d.order.spendUsd / Math.max(mark.balances.cash, 1e-12) : side === "sell" ? d.order.sellCoins / Math.max(mark.balances.coins, 1e-12) : 0;
    const report: TickReport = {
      seq: this.seq,
      barTs: bar,
      ts: t,
      lastProcess: this.deps.clock.now(),
      outcome,
      detail,
      price: mark?.price ?? null,
      side,
      amount: Math.min(1, Math.max(0, amount)),
      portfolio: mark === undefined ? null : { cash: mark.balances.cash, coins: mark.balances.coins, value: mark.value },
      exposure: mark === undefined || !(mark.value > 0) ? null : (mark.balances.coins * mark.price) / mark.value,
      drawdown: value === null || risk.peakValue === null || !(risk.peakValue > 0) ? null : Math.max(0, 1 - value / risk.peakValue),
      fee: Number.isFinite(fee) && fee > 0 ? fee : 0,
      status: this.statusText(),
      locks: this.risk.activeLocks(t),
      riskCode: d?.risk.code ?? null,
    };
    return report;
  }

  event(level: EventLevel, kind: string, message: string, data?: unknown): void {
    this.deps.journal.event(this.deps.clock.now(), level, kind, message, data);
    if (level !== "info" || kind === "reconcile") this.log(`${level}: ${message}`);
  }

  private log(line: string): void {
    this.deps.log?.(line);
  }
}

function outcomeDetail(o: PlaceOutcome): string {
  if (o.kind === "done" || o.kind === "open") return `${o.kind}: ${o.order.status}, filled ${o.order.filled}`;
  if (o.kind === "lost") return "lost";
  return `${o.kind}: ${o.error.errorClass}`;
}

export type { OrderRow };
