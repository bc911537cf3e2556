/**
 * Placing orders so that nothing is lost and nothing is doubled (R1, R2, R3, R6).
 *
 *   - The intent (decision id, client order id, side, size) is in the journal before the first request.
 *   - createOrder is never retried blind. A transient error (timeout, network, 5xx, 429) leaves the outcome
 *     unknown: the order is looked up by its client order id first, with backoff; only when the exchange has
 *     answered "not found" `confirmAbsentAfter` times in a row (network errors never count as "not found") is it
 *     resent, with the SAME client order id, at most `maxSends` times in all. A duplicate-id answer means it is
 *     already placed: it is fetched and adopted.
 *   - An error the exchange will repeat (InsufficientFunds, InvalidOrder, BadSymbol) is one call, a logged error
 *     naming the class, a skipped tick. Authentication and permission errors halt the trader. InvalidNonce gets
 *     one retry after a clock re-sync, then halts.
 *   - An order accepted but not found afterwards stays pending with its funds reserved and is re-checked with
 *     backoff; after `lostAfterMisses` misses it is LOST, still polled at every tick, and adopted when found.
 *     Nothing is marked failed or cancelled locally without the exchange saying so.
 *   - On start (and every tick) the journal's unresolved orders and the exchange's open and recent orders are
 *     reconciled by OUR client order id prefix; orders that are not ours are ignored.
 */
import { isOurOrder, parseClientOrderId } from "../trading/order-id.js";
import { classifyError, type ClassifiedError } from "./ccxt-errors.js";
import { isOrderDone, type Exchange, type ExchangeOrder, type OrderRequest } from "./exchange.js";
import type { Journal, OrderRow, OrderStatus } from "./journal.js";

export interface OrderManagerOptions {
  /** Waits before each lookup of an order whose outcome is unknown (R1/R2 backoff). */
  readonly lookupDelaysMs: readonly number[];
  /** "Not found" answers in a row that count as "absent" (R1: then it may be resent). */
  readonly confirmAbsentAfter: number;
  /** Sends of one order in all, the first included (R1: at most N). */
  readonly maxSends: number;
  /** Waits between polls of an accepted order that is not done yet (partial fills), within one tick. */
  readonly pollDelaysMs: readonly number[];
  /** Misses of an accepted order before it is LOST (R2). */
  readonly lostAfterMisses: number;
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly now: () => number;
  readonly log?: (level: "info" | "warn" | "error" | "alert", kind: string, message: string, data?: unknown) => void;
}

export const DEFAULT_ORDER_OPTIONS: Omit<OrderManagerOptions, "sleep" | "now"> = {
  lookupDelaysMs: [1_000, 2_000, 5_000, 10_000],
  confirmAbsentAfter: 3,
  maxSends: 2,
  pollDelaysMs: [1_000, 2_000, 5_000, 10_000],
  lostAfterMisses: 4,
};

export type PlaceOutcome =
  /** Done on the exchange (closed, or cancelled/expired with what it filled). */
  | { readonly kind: "done"; readonly order: ExchangeOrder }
  /** Accepted, not done yet (funds reserved; polled at the next ticks). */
  | { readonly kind: "open"; readonly order: ExchangeOrder }
  /** Refused by the exchange: nothing happened; the tick is skipped. */
  | { readonly kind: "rejected"; readonly error: ClassifiedError }
  /** A halting error (credentials, permissions, nonce twice): trading stops. */
  | { readonly kind: "halt"; readonly error: ClassifiedError }
  /** The outcome is still unknown after every lookup and send: LOST, funds reserved, polled later. */
  | { readonly kind: "lost"; readonly error: ClassifiedError | null };

type Lookup = { kind: "found"; order: ExchangeOrder } | { kind: "absent" } | { kind: "unreachable"; error: ClassifiedError | null } | { kind: "halt"; error: ClassifiedError };

export class OrderManager {
  constructor(
    private readonly exchange: Exchange,
    private readonly journal: Journal,
    private readonly tag: string,
    private readonly opts: OrderManagerOptions,
  ) {}

  /** Places (or finishes placing) the journaled order `row`. Never sends an order whose outcome may be known. */
  async place(row: OrderRow): Promise<PlaceOutcome> {
    const req: OrderRequest = row.side === "buy" ? { clientOrderId: row.clientOrderId, side: "buy", cost: row.cost ?? 0 } : { clientOrderId: row.clientOrderId, side: "sell", amount: row.amount ?? 0 };
    let sends = row.sends;
    let resynced = false;
    let lastError: ClassifiedError | null = null;
    // A previous process may have sent it: look first whenever a send may have happened.
    if (row.status !== "intent" || sends > 0) {
      const found = await this.lookup(row.clientOrderId);
      if (found.kind === "found") return this.adopt(row.clientOrderId, found.order);
      if (found.kind === "halt") return this.halt(row.clientOrderId, found.error);
      if (found.kind === "unreachable") return this.markLost(row.clientOrderId, found.error);
    }
    while (sends < this.opts.maxSends) {
      sends++;
      // Counted before the request: after a crash, a non-zero count means "look before sending again".
      this.journal.updateOrder(row.clientOrderId, { status: "unknown", sends, updatedAt: this.opts.now() });
      let order: ExchangeOrder;
      try {
        order = await this.exchange.createOrder(req);
      } catch (err) {
        const c = classifyError(err);
        lastError = c;
        this.log("warn", "order_error", `createOrder ${row.clientOrderId} (${row.side}) failed: ${c.errorClass}: ${c.message.slice(0, 200)} → ${c.action}`, { clientOrderId: row.clientOrderId, errorClass: c.errorClass, action: c.action });
        if (c.action === "skip" || c.action === "not_found") return this.reject(row.clientOrderId, c);
        if (c.action === "halt") return this.halt(row.clientOrderId, c);
        if (c.action === "resync") {
          // The exchange refused the request before processing it: one re-sync and one more try, then halt.
          if (resynced) return this.halt(row.clientOrderId, c);
          resynced = true;
          await this.exchange.resyncTime().catch(() => undefined);
          sends--;
          continue;
        }
        // retry (unknown outcome) or duplicate (already placed): find it before anything else.
        const found = await this.lookup(row.clientOrderId, c.action === "duplicate" ? Infinity : this.opts.confirmAbsentAfter);
        if (found.kind === "found") return this.adopt(row.clientOrderId, found.order);
        if (found.kind === "halt") return this.halt(row.clientOrderId, found.error);
        if (found.kind === "unreachable") return this.markLost(row.clientOrderId, found.error ?? c);
        continue; // absent, confirmed: resend with the same client order id
      }
      return this.track(row.clientOrderId, order);
    }
    return this.markLost(row.clientOrderId, lastError);
  }

  /**
   * Brings every unresolved order of the journal up to date with the exchange, and adopts orders of ours the
   * journal does not know (R6). `isCurrent(decisionBarTs)` says whether an intent never sent may still be sent
   * (its tick is the one being run); older intents are abandoned, never placed late.
   */
  async reconcile(isCurrent: (barTs: number) => boolean): Promise<{ updated: number; adopted: number; abandoned: number }> {
    let updated = 0;
    let adopted = 0;
    let abandoned = 0;
    const unresolved = this.journal.unresolvedOrders();
    const since = Math.min(this.opts.now() - 86_400_000, ...unresolved.map((o) => o.createdAt - 3_600_000));
    let exchangeOrders: ExchangeOrder[] = [];
    try {
      const open = await this.exchange.fetchOpenOrders();
      const recent = await this.exchange.fetchRecentOrders(since);
      const byId = new Map<string, ExchangeOrder>();
      for (const o of [...recent, ...open]) if (isOurOrder(o.clientOrderId, this.tag)) byId.set(o.clientOrderId, o);
      exchangeOrders = [...byId.values()];
    } catch (err) {
      const c = classifyError(err);
      this.log("warn", "reconcile", `listing orders failed (${c.errorClass}); reconciling one by one`, { errorClass: c.errorClass });
      if (c.action === "halt") throw err;
    }
    for (const o of exchangeOrders) {
      const row = this.journal.order(o.clientOrderId);
      if (row === null) {
        // Ours by prefix, unknown to this journal (written by a lost journal or a crash before the intent commit).
        const parsed = parseClientOrderId(o.clientOrderId)!;
        this.journal.insertOrder(o.clientOrderId, parsed.decisionId, o.side, o.side === "buy" ? o.cost : null, o.side === "sell" ? o.filled : null, this.opts.now(), "open");
        this.record(o.clientOrderId, o);
        this.log("warn", "order_adopted", `adopted order ${o.clientOrderId} found on the exchange but not in the journal (${o.status})`, { clientOrderId: o.clientOrderId });
        adopted++;
      } else if (!isFinal(row.status)) {
        this.record(o.clientOrderId, o);
        updated++;
      }
    }
    for (const row of this.journal.unresolvedOrders()) {
      if (exchangeOrders.some((o) => o.clientOrderId === row.clientOrderId)) continue;
      const barTs = parseClientOrderId(row.clientOrderId)?.barTs ?? 0;
      if (row.status === "intent" && row.sends === 0) {
        if (!isCurrent(barTs)) {
          this.journal.updateOrder(row.clientOrderId, { status: "abandoned", updatedAt: this.opts.now(), lastError: "its decision's tick passed before it was sent" });
          this.log("warn", "order_abandoned", `order ${row.clientOrderId} was journaled but never sent, and its tick has passed: not placed`, { clientOrderId: row.clientOrderId });
          abandoned++;
        }
        continue;
      }
      const found = await this.lookup(row.clientOrderId, 1, [0]);
      if (found.kind === "found") {
        this.record(row.clientOrderId, found.order);
        updated++;
      } else if (found.kind === "absent") {
        const misses = row.misses + 1;
        const lost = row.status !== "lost" && misses >= this.opts.lostAfterMisses && !isCurrent(barTs);
        this.journal.updateOrder(row.clientOrderId, { misses, updatedAt: this.opts.now(), ...(lost ? { status: "lost" as const } : {}) });
        if (lost) this.log("alert", "order_lost", `order ${row.clientOrderId}: not found ${misses} times; LOST, funds reserved, still polled each tick`, { clientOrderId: row.clientOrderId });
      }
    }
    return { updated, adopted, abandoned };
  }

  /** Cancels our open orders (kill switch, `stop` with cancel): each cancel confirmed by the exchange. */
  async cancelOpen(): Promise<number> {
    let n = 0;
    for (const row of this.journal.unresolvedOrders()) {
      if (row.status !== "open") continue;
      try {
        const o = await this.exchange.cancelOrder(row.clientOrderId);
        this.record(row.clientOrderId, o);
        n++;
      } catch (err) {
        const c = classifyError(err);
        this.log("warn", "cancel_failed", `cancel ${row.clientOrderId}: ${c.errorClass}: ${c.message.slice(0, 160)}`, { clientOrderId: row.clientOrderId });
      }
    }
    return n;
  }

  /** Polls an accepted order until it is done or the tick's polling budget is spent (partial fills, R2). */
  private async track(clientOrderId: string, first: ExchangeOrder): Promise<PlaceOutcome> {
    this.record(clientOrderId, first);
    let order = first;
    let misses = 0;
    for (const delay of this.opts.pollDelaysMs) {
      if (isOrderDone(order)) break;
      await this.opts.sleep(delay);
      try {
        order = await this.exchange.fetchOrder(clientOrderId);
        misses = 0;
        this.record(clientOrderId, order);
      } catch (err) {
        const c = classifyError(err);
        if (c.action === "halt") return this.halt(clientOrderId, c, false);
        if (c.action === "not_found") {
          misses++;
          const row = this.journal.order(clientOrderId)!;
          this.journal.updateOrder(clientOrderId, { misses: row.misses + 1, updatedAt: this.opts.now() });
          this.log("warn", "order_not_found", `order ${clientOrderId} accepted but not found (${misses} in a row): still pending, funds reserved`, { clientOrderId });
          if (misses >= this.opts.lostAfterMisses) return this.markLost(clientOrderId, c, "open");
        }
        // Network errors while polling never count as "not found".
      }
    }
    return isOrderDone(order) ? { kind: "done", order } : { kind: "open", order };
  }

  /**
   * Looks an order up by client id with backoff. "absent" only after `confirm` not-found answers in a row;
   * network errors never count as not found.
   */
  private async lookup(clientOrderId: string, confirm = this.opts.confirmAbsentAfter, delays: readonly number[] = this.opts.lookupDelaysMs): Promise<Lookup> {
    let misses = 0;
    let lastError: ClassifiedError | null = null;
    for (const delay of delays) {
      await this.opts.sleep(delay);
      try {
        return { kind: "found", order: await this.exchange.fetchOrder(clientOrderId) };
      } catch (err) {
        const c = classifyError(err);
        lastError = c;
        if (c.action === "halt") return { kind: "halt", error: c };
        if (c.action === "not_found") {
          misses++;
          if (misses >= confirm) return { kind: "absent" };
        } else misses = 0;
      }
    }
    return lastError?.action === "not_found" && misses >= Math.min(confirm, delays.length) ? { kind: "absent" } : { kind: "unreachable", error: lastError };
  }

  private adopt(clientOrderId: string, order: ExchangeOrder): Promise<PlaceOutcome> {
    this.log("info", "order_found", `order ${clientOrderId} found on the exchange after an unknown outcome (${order.status}): adopted, not resent`, { clientOrderId });
    return this.track(clientOrderId, order);
  }

  private reject(clientOrderId: string, error: ClassifiedError): PlaceOutcome {
    this.journal.updateOrder(clientOrderId, { status: "rejected", lastError: `${error.errorClass}: ${error.message.slice(0, 300)}`, updatedAt: this.opts.now() });
    this.log("error", "order_rejected", `order ${clientOrderId} refused by the exchange: ${error.errorClass}: ${error.message.slice(0, 200)} (tick skipped, no retry)`, { clientOrderId, errorClass: error.errorClass });
    return { kind: "rejected", error };
  }

  private halt(clientOrderId: string, error: ClassifiedError, refused = true): PlaceOutcome {
    if (refused) this.journal.updateOrder(clientOrderId, { status: "rejected", lastError: `${error.errorClass}: ${error.message.slice(0, 300)}`, updatedAt: this.opts.now() });
    this.log("alert", "halt", `${error.errorClass} on order ${clientOrderId}: trading halted, a manual start is required`, { clientOrderId, errorClass: error.errorClass });
    return { kind: "halt", error };
  }

  private markLost(clientOrderId: string, error: ClassifiedError | null, _from: OrderStatus = "unknown"): PlaceOutcome {
    this.journal.updateOrder(clientOrderId, { status: "lost", lastError: error === null ? null : `${error.errorClass}: ${error.message.slice(0, 300)}`, updatedAt: this.opts.now() });
    this.log("alert", "order_lost", `order ${clientOrderId}: outcome unknown after every lookup; LOST, funds reserved, still polled each tick`, { clientOrderId });
    return { kind: "lost", error };
  }

  private record(clientOrderId: string, o: ExchangeOrder): void {
    this.journal.updateOrder(clientOrderId, {
      status: o.status,
      exchangeOrderId: o.id,
      filled: o.filled,
      costFilled: o.cost,
      average: o.average,
      fee: o.fee,
      coinsDelta: o.coinsDelta,
      cashDelta: o.cashDelta,
      misses: 0,
      updatedAt: this.opts.now(),
    });
  }

  private log(level: "info" | "warn" | "error" | "alert", kind: string, message: string, data?: unknown): void {
    this.opts.log?.(level, kind, message, data);
  }
}

function isFinal(s: OrderStatus): boolean {
  return s === "closed" || s === "canceled" || s === "expired" || s === "rejected" || s === "abandoned";
}
