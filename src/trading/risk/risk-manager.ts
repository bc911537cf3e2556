import type { Order } from "../../env/actions/action-scheme.js";
import type { MarketRules, RiskLimits } from "./risk-config.js";

/**
 * The risk manager: a small state machine over explicit, JSON-serialisable state, applied to every order after
 * the agent and the coach's guidance have shaped it and before it goes to the exchange (or to `executeOrder` in a
 * backtest). Hard caps win: whatever the agent or the coach asks, an entry never spends more than
 * maxTradeFraction of the value nor lifts the coin share above maxExposure (R9); protections lock entries while
 * exits still work (R10); the kill switch stops the trader until a manual start, and a valuation that cannot be
 * computed blocks entries (fail closed, R11).
 *
 * Spot, long only: a buy is an entry (it raises exposure), a sell is an exit. Market time only: every rule reads
 * the snapshot's `time` (the decision bar's close), never the wall clock, so a replay and its backtest agree.
 */

export type RiskStatus = "running" | "stopped";

export type LockReason = "daily_loss" | "drawdown" | "losing_streak" | "cooldown";

export interface RiskLock {
  readonly reason: LockReason;
  /** Market time the lock was set. */
  readonly since: number;
  /** Market time it ends (exclusive). */
  readonly until: number;
  /** Why, in words (published in ppo_state, R10). */
  readonly detail: string;
}

/** Everything the risk manager remembers; saved in the journal each tick so locks survive a restart (R10). */
export interface RiskState {
  status: RiskStatus;
  /** Why the trader stopped (kill switch, control `stop`, a halting exchange error); null while running. */
  stopReason: string | null;
  /** Entries blocked by a control `stopentry` (exits still run, R21). */
  entriesPaused: boolean;
  locks: RiskLock[];
  /** Caps in force: the configured limits, or lower ones set by a control message (never higher). */
  maxTradeFraction: number;
  maxExposure: number;
  /** Value at the first valid valuation of the session (the kill switch's reference). */
  sessionStartValue: number | null;
  peakValue: number | null;
  /** UTC day (ms of its 00:00) of `dayStartValue`. */
  day: number | null;
  dayStartValue: number | null;
  /** Coins and cash after the last snapshot (to attribute our fills) and the coins' average cost. */
  lastCoins: number | null;
  averageCost: number;
  /** Market times of the orders let through in the last hour. */
  orderTimes: number[];
  /** Losing exits (market times) within the losing-streak lookback. */
  losingExits: number[];
  /** Consecutive ticks without a valid valuation. */
  failedChecks: number;
  /** Market time of the last review. */
  lastTime: number | null;
}

export function initialRiskState(limits: RiskLimits): RiskState {
  return {
    status: "running",
    stopReason: null,
    entriesPaused: false,
    locks: [],
    maxTradeFraction: limits.maxTradeFraction,
    maxExposure: limits.maxExposure,
    sessionStartValue: null,
    peakValue: null,
    day: null,
    dayStartValue: null,
    lastCoins: null,
    averageCost: 0,
    orderTimes: [],
    losingExits: [],
    failedChecks: 0,
    lastTime: null,
  };
}

/** The portfolio as the trader sees it at a decision. */
export interface RiskSnapshot {
  /** Market time: the decision bar's close (ms). */
  readonly time: number;
  /** Cash and coins available to trade (pending orders' reservations already taken out). */
  readonly cash: number;
  readonly coins: number;
  /** Valuation price: the decision bar's close. */
  readonly price: number;
  /** False when the balance or the price could not be read: entries are blocked (fail closed). */
  readonly valid: boolean;
}

/** How orders fill, for sizing the caps: the fill model's commission and slippage factors. */
export interface FillTerms {
  readonly commission: number;
  /** Expected buy fill over the decision price (1 + slippage). */
  readonly buyFactor: number;
  /** Expected sell fill over the decision price (1 − slippage). */
  readonly sellFactor: number;
}

/** What the risk manager did to an order. `pass` and the `capped_*` codes send it; every other code holds. */
export type RiskCode =
  | "pass"
  | "capped_trade"
  | "capped_exposure"
  | "rounded"
  | "stopped"
  | "entries_paused"
  | "entry_locked"
  | "fail_closed"
  | "exposure_full"
  | "rate_limited"
  | "below_min_amount"
  | "below_min_notional";

/** Codes that let the (possibly reduced) order through. */
export function riskPasses(code: RiskCode): boolean {
  return code === "pass" || code === "capped_trade" || code === "capped_exposure" || code === "rounded";
}

export interface RiskVerdict {
  code: RiskCode;
  /** Details in words for the journal (lock reasons, the cap that bound). */
  detail: string;
  /** Alerts raised by this review (kill switch fired, lock set, valuation failing): the trader publishes them. */
  alerts: string[];
}

export function newVerdict(): RiskVerdict {
  return { code: "pass", detail: "", alerts: [] };
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Largest multiple of `step` ≤ x (x itself when step is 0), robust to binary rounding (never above x). */
export function floorToStep(x: number, step: number): number {
  if (!(step > 0)) return x;
  let k = Math.floor(x / step + 1e-9);
  let y = k * step;
  // Tidy binary noise (0.1 * 3 = 0.30000000000000004) without ever ending above x.
  y = Number(y.toPrecision(15));
  while (y > x && k > 0) {
    k--;
    y = Number((k * step).toPrecision(15));
  }
  return y;
}

/**
 * Largest buy spend x (quote) so that after the buy the coins are at most `cap` of the value, with fills at
 * p·buyFactor and commission c: coins after = C + (1−c)·x/(p·b), value after = V − x + (1−c)·x/b, so
 * C·p + r·x ≤ cap·(V − x + r·x) with r = (1−c)/b, i.e. x ≤ (cap·V − C·p) / (r·(1−cap) + cap).
 */
export function maxSpendForExposure(cap: number, cash: number, coins: number, price: number, terms: FillTerms): number {
  const value = cash + coins * price;
  const r = (1 - terms.commission) / terms.buyFactor;
  const room = cap * value - coins * price;
  if (!(room > 0)) return 0;
  return room / (r * (1 - cap) + cap);
}

export class RiskManager {
  constructor(
    readonly limits: RiskLimits,
    readonly market: MarketRules,
    readonly terms: FillTerms,
    public state: RiskState = initialRiskState(limits),
  ) {}

  /**
   * Reviews `order` (a buy's spendUsd or a sell's sellCoins; both 0 for a hold) at `snap`, reducing it in place
   * or zeroing it, and writes what it did into `out`. Also updates the state: peak, day, locks, kill switch.
   */
  review(order: Order, snap: RiskSnapshot, out: RiskVerdict): RiskCode {
    out.code = "pass";
    out.detail = "";
    out.alerts.length = 0;
    const s = this.state;
    this.observe(snap, out);
    const buy = order.spendUsd > 0;
    const sell = order.sellCoins > 0;
    if (!buy && !sell) return out.code;
    if (s.status === "stopped") return this.hold(order, out, "stopped", s.stopReason ?? "stopped");
    if (buy) {
      if (!snap.valid) return this.hold(order, out, "fail_closed", "the portfolio could not be valued: entries blocked");
      if (s.entriesPaused) return this.hold(order, out, "entries_paused", "entries paused (stopentry)");
      const lock = this.activeLock(snap.time);
      if (lock !== null) return this.hold(order, out, "entry_locked", `${lock.reason} until ${new Date(lock.until).toISOString()}: ${lock.detail}`);
    }
    this.trimOrderTimes(snap.time);
    if (this.limits.maxOrdersPerHour !== null && s.orderTimes.length >= this.limits.maxOrdersPerHour) {
      return this.hold(order, out, "rate_limited", `${s.orderTimes.length} orders in the last hour (max ${this.limits.maxOrdersPerHour})`);
    }
    const p = snap.price;
    const value = snap.cash + snap.coins * p;
    if (buy) {
      let spend = Math.min(order.spendUsd, snap.cash);
      const tradeCap = s.maxTradeFraction * value;
      if (spend > tradeCap) {
        spend = tradeCap;
        out.code = "capped_trade";
        out.detail = `entry capped at ${s.maxTradeFraction} of the value`;
      }
      const exposureCap = maxSpendForExposure(s.maxExposure, snap.cash, snap.coins, p, this.terms);
      if (spend > exposureCap) {
        spend = exposureCap;
        out.code = "capped_exposure";
        out.detail = `entry capped by the exposure limit ${s.maxExposure}`;
      }
      if (!(spend > 0)) return this.hold(order, out, "exposure_full", `coins already at the exposure limit ${s.maxExposure}`);
      const rounded = floorToStep(spend, this.market.costStep);
      if (rounded < spend && out.code === "pass") out.code = "rounded";
      spend = rounded;
      if (!(spend > 0) || spend < this.market.minNotional) return this.hold(order, out, "below_min_notional", `spend ${spend} below the exchange minimum notional ${this.market.minNotional}`);
      if (spend / (p * this.terms.buyFactor) < this.market.minAmount) return this.hold(order, out, "below_min_amount", `about ${spend / (p * this.terms.buyFactor)} coins, below the exchange minimum ${this.market.minAmount}`);
      order.spendUsd = spend;
      order.sellCoins = 0;
    } else {
      let amount = Math.min(order.sellCoins, snap.coins);
      const rounded = floorToStep(amount, this.market.amountStep);
      if (rounded < amount) out.code = "rounded";
      amount = rounded;
      if (!(amount > 0) || amount < this.market.minAmount) return this.hold(order, out, "below_min_amount", `${amount} coins below the exchange minimum ${this.market.minAmount}`);
      if (amount * p * this.terms.sellFactor < this.market.minNotional) return this.hold(order, out, "below_min_notional", `notional ${amount * p} below the exchange minimum ${this.market.minNotional}`);
      order.sellCoins = amount;
      order.spendUsd = 0;
    }
    s.orderTimes.push(snap.time);
    return out.code;
  }

  /**
   * A forced exit (control `forceexit`, R21): it bypasses the agent, the caps, the locks and a stop, and only
   * meets the exchange's precision and minimums. Returns the code (a hold when it is below the minimums).
   */
  reviewForcedExit(order: Order, snap: RiskSnapshot, out: RiskVerdict): RiskCode {
    out.code = "pass";
    out.detail = "forced exit";
    out.alerts.length = 0;
    order.spendUsd = 0;
    const amount = floorToStep(Math.min(order.sellCoins, snap.coins), this.market.amountStep);
    if (!(amount > 0) || amount < this.market.minAmount) return this.hold(order, out, "below_min_amount", `${amount} coins below the exchange minimum ${this.market.minAmount}`);
    if (amount * snap.price * this.terms.sellFactor < this.market.minNotional) return this.hold(order, out, "below_min_notional", `notional ${amount * snap.price} below the exchange minimum ${this.market.minNotional}`);
    order.sellCoins = amount;
    this.state.orderTimes.push(snap.time);
    return out.code;
  }

  /**
   * Attributes one of our fills (coins bought > 0 or sold < 0, and the cash it moved) to the position: the
   * average cost, and for an exit its profit, the cooldown and the losing streak (R10).
   */
  recordFill(time: number, coinsDelta: number, cashDelta: number): void {
    const s = this.state;
    const before = s.lastCoins ?? 0;
    if (coinsDelta > 0) {
      const after = before + coinsDelta;
      s.averageCost = after > 0 ? (before * s.averageCost - cashDelta) / after : 0;
    } else if (coinsDelta < 0) {
      const sold = -coinsDelta;
      const pnl = cashDelta - sold * s.averageCost;
      if (this.limits.cooldownMs > 0) this.lock("cooldown", time, time + this.limits.cooldownMs, "after an exit");
      if (pnl < 0 && this.limits.losingStreak !== null) {
        s.losingExits.push(time);
        const from = time - this.limits.losingStreakLookbackMs;
        while (s.losingExits.length > 0 && s.losingExits[0]! <= from) s.losingExits.shift();
        if (s.losingExits.length >= this.limits.losingStreak) {
          this.lock("losing_streak", time, time + this.limits.losingStreakLockMs, `${s.losingExits.length} losing exits within ${this.limits.losingStreakLookbackMs / HOUR} h`);
          s.losingExits.length = 0;
        }
      }
      if (before + coinsDelta <= 0) s.averageCost = 0;
    }
    s.lastCoins = before + coinsDelta;
  }

  /** Control: stop all new orders until `start` (R21). Returns false when already stopped. */
  stop(reason: string): boolean {
    if (this.state.status === "stopped") return false;
    this.state.status = "stopped";
    this.state.stopReason = reason;
    return true;
  }

  /** Control: the explicit start a halt requires (R11, R21). Returns false when already running. */
  start(): boolean {
    if (this.state.status === "running") return false;
    this.state.status = "running";
    this.state.stopReason = null;
    // A fresh reference for the kill switch: the loss that stopped the trader must not stop it again at once.
    this.state.sessionStartValue = null;
    this.state.peakValue = null;
    return true;
  }

  /** Control: block (true) or allow (false) entries; exits still run. Returns false when nothing changed. */
  pauseEntries(paused: boolean): boolean {
    if (this.state.entriesPaused === paused) return false;
    this.state.entriesPaused = paused;
    return true;
  }

  /** Control: caps at or below the configured limits (a control message can never raise them past the config). */
  setCaps(caps: { maxTradeFraction?: number; maxExposure?: number }): { maxTradeFraction: number; maxExposure: number } {
    if (caps.maxTradeFraction !== undefined) this.state.maxTradeFraction = clampTo(caps.maxTradeFraction, 1e-9, this.limits.maxTradeFraction);
    if (caps.maxExposure !== undefined) this.state.maxExposure = clampTo(caps.maxExposure, 0, this.limits.maxExposure);
    return { maxTradeFraction: this.state.maxTradeFraction, maxExposure: this.state.maxExposure };
  }

  /** Locks in force at market time `t` (published in ppo_state). */
  activeLocks(t: number): RiskLock[] {
    return this.state.locks.filter((l) => l.until > t);
  }

  private activeLock(t: number): RiskLock | null {
    let best: RiskLock | null = null;
    for (const l of this.state.locks) if (l.until > t && (best === null || l.until > best.until)) best = l;
    return best;
  }

  private observe(snap: RiskSnapshot, out: RiskVerdict): void {
    const s = this.state;
    s.lastTime = snap.time;
    s.locks = s.locks.filter((l) => l.until > snap.time);
    const value = snap.cash + snap.coins * snap.price;
    if (!snap.valid || !Number.isFinite(value) || !(snap.price > 0)) {
      s.failedChecks++;
      if (s.failedChecks === this.limits.alertAfterFailedChecks) out.alerts.push(`the portfolio could not be valued for ${s.failedChecks} ticks in a row: entries stay blocked`);
      return;
    }
    s.failedChecks = 0;
    // Coins held when the session starts are valued at the first price seen (their cost is not ours to know).
    if (s.lastCoins === null && snap.coins > 0) s.averageCost = snap.price;
    s.lastCoins = snap.coins;
    if (s.sessionStartValue === null) s.sessionStartValue = value;
    if (s.peakValue === null || value > s.peakValue) s.peakValue = value;
    const day = Math.floor(snap.time / DAY) * DAY;
    if (s.day !== day) {
      s.day = day;
      s.dayStartValue = value;
    }
    const L = this.limits;
    if (L.killSwitchLoss !== null && s.status === "running" && value <= s.sessionStartValue * (1 - L.killSwitchLoss)) {
      s.status = "stopped";
      s.stopReason = `kill switch: value ${value.toFixed(2)} is ${(100 * (1 - value / s.sessionStartValue)).toFixed(2)}% below the session start ${s.sessionStartValue.toFixed(2)} (limit ${100 * L.killSwitchLoss}%)`;
      out.alerts.push(s.stopReason);
    }
    if (L.dailyLossLimit !== null && s.dayStartValue !== null && value < s.dayStartValue * (1 - L.dailyLossLimit)) {
      this.lock("daily_loss", snap.time, day + DAY, `value ${(100 * (1 - value / s.dayStartValue)).toFixed(2)}% below the day's start`, out);
    }
    if (L.maxDrawdown !== null && value < s.peakValue * (1 - L.maxDrawdown)) {
      this.lock("drawdown", snap.time, snap.time + L.drawdownLockMs, `drawdown ${(100 * (1 - value / s.peakValue)).toFixed(2)}% from the peak ${s.peakValue.toFixed(2)}`, out);
      // Re-arm from here: the lock covers this drawdown; a further fall of the same size sets a new one.
      s.peakValue = value;
    }
  }

  private lock(reason: LockReason, since: number, until: number, detail: string, out?: RiskVerdict): void {
    const s = this.state;
    const existing = s.locks.find((l) => l.reason === reason && l.until > since);
    if (existing !== undefined && existing.until >= until) return;
    s.locks = s.locks.filter((l) => l.reason !== reason);
    s.locks.push({ reason, since, until, detail });
    out?.alerts.push(`entries locked (${reason}) until ${new Date(until).toISOString()}: ${detail}`);
  }

  private trimOrderTimes(t: number): void {
    const times = this.state.orderTimes;
    while (times.length > 0 && times[0]! <= t - HOUR) times.shift();
  }

  private hold(order: Order, out: RiskVerdict, code: RiskCode, detail: string): RiskCode {
    order.spendUsd = 0;
    order.sellCoins = 0;
    out.code = code;
    out.detail = detail;
    return code;
  }
}

function clampTo(x: number, lo: number, hi: number): number {
  if (!Number.isFinite(x)) return hi;
  return Math.min(hi, Math.max(lo, x));
}
