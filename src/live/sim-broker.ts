/**
 * The simulated account of paper and replay runs: market orders fill at once through the env's own
 * `executeOrder` (the one code path for fees and fills), at a base price the exchange in front of it chooses
 * (the backtest's fill price in a replay, the live last price in paper), with the checkpoint's commission and
 * slippage. Its state (balances, orders by client id) lives in `sim_*` tables of the journal's database, written
 * in its own transaction: it is "the exchange", so an order it accepted survives a kill -9 of the trader even
 * when the trader did not get to record the answer (R6 in a replay).
 */
import type Database from "libsql";
import { Order } from "../env/actions/action-scheme.js";
import { executeOrder, Fill } from "../env/fill.js";
import type { FillTerms } from "../trading/risk/risk-manager.js";
import { ExchangeFault, type Balances, type ExchangeOrder, type OrderRequest } from "./exchange.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sim_account (id INTEGER PRIMARY KEY CHECK (id = 1), cash REAL NOT NULL, coins REAL NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sim_orders (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL UNIQUE, side TEXT NOT NULL, status TEXT NOT NULL,
  filled REAL NOT NULL, cost REAL NOT NULL, average REAL, fee REAL NOT NULL, coins_delta REAL NOT NULL, cash_delta REAL NOT NULL, ts INTEGER NOT NULL);
`;

type Row = Record<string, unknown>;
const n = (x: unknown): number => Number(x);

function orderOf(r: Row): ExchangeOrder {
  return {
    id: `sim-${n(r.seq)}`,
    clientOrderId: String(r.client_order_id),
    side: r.side === "sell" ? "sell" : "buy",
    status: r.status === "rejected" ? "rejected" : "closed",
    filled: n(r.filled),
    cost: n(r.cost),
    average: r.average === null ? null : n(r.average),
    fee: n(r.fee),
    coinsDelta: n(r.coins_delta),
    cashDelta: n(r.cash_delta),
    timestamp: n(r.ts),
  };
}

export class SimBroker {
  private readonly order = new Order();
  private readonly fill = new Fill();
  private readonly getAccount;
  private readonly putAccount;
  private readonly putOrder;
  private readonly getOrder;
  private readonly ordersSince;
  private readonly placeTx;
  /** The account as last read or written (null: read it). */
  private account: { cash: number; coins: number } | null = null;

  constructor(
    private readonly db: Database.Database,
    readonly terms: FillTerms,
    initial: { readonly cash: number; readonly coins: number },
    /** Runs a write atomically: the journal's transaction (so a replay's group commit takes the simulated orders too). */
    atomically: <T>(fn: () => T) => T = (fn) => db.transaction(fn)(),
  ) {
    db.exec(SCHEMA);
    this.getAccount = db.prepare<unknown[]>("SELECT cash, coins FROM sim_account WHERE id = 1");
    this.putAccount = db.prepare<unknown[]>("INSERT INTO sim_account (id, cash, coins, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET cash = excluded.cash, coins = excluded.coins, updated_at = excluded.updated_at");
    this.putOrder = db.prepare<unknown[]>("INSERT INTO sim_orders (client_order_id, side, status, filled, cost, average, fee, coins_delta, cash_delta, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.getOrder = db.prepare<unknown[]>("SELECT * FROM sim_orders WHERE client_order_id = ?");
    this.ordersSince = db.prepare<unknown[]>("SELECT * FROM sim_orders WHERE ts >= ? ORDER BY seq");
    if (this.getAccount.get() === undefined) this.putAccount.run(initial.cash, initial.coins, 0);
    this.placeTx = (req: OrderRequest, base: number, now: number): ExchangeOrder => atomically(() => this.place(req, base, now));
  }

  balances(): Balances {
    // This broker is the account's only writer: what it last read or committed is the table's content.
    if (this.account === null) {
      const r = this.getAccount.get() as Row;
      this.account = { cash: n(r.cash), coins: n(r.coins) };
    }
    const { cash, coins } = this.account;
    return { cash, coins, cashFree: cash, coinsFree: coins };
  }

  /** Fills a market order at once at `base` (slippage and commission applied by executeOrder), atomically. */
  execute(req: OrderRequest, base: number, now: number): ExchangeOrder {
    try {
      return this.placeTx(req, base, now);
    } catch (err) {
      this.account = null; // rolled back: read it again
      throw err;
    }
  }

  find(clientOrderId: string): ExchangeOrder {
    const r = this.getOrder.get(clientOrderId) as Row | undefined;
    if (r === undefined) throw new ExchangeFault("not_found", "OrderNotFound", `simulated exchange: no order ${clientOrderId}`);
    return orderOf(r);
  }

  recent(since: number): ExchangeOrder[] {
    return (this.ordersSince.all(since) as Row[]).map(orderOf);
  }

  private place(req: OrderRequest, base: number, now: number): ExchangeOrder {
    if (this.getOrder.get(req.clientOrderId) !== undefined) throw new ExchangeFault("duplicate", "DuplicateOrderId", `simulated exchange: duplicate client order id ${req.clientOrderId}`);
    if (!(base > 0 && Number.isFinite(base))) throw new ExchangeFault("retry", "ExchangeNotAvailable", `simulated exchange: no price to fill at (${base})`);
    const { cash, coins } = this.balances();
    const o = this.order;
    o.spendUsd = req.side === "buy" ? (req.cost ?? 0) : 0;
    o.sellCoins = req.side === "sell" ? (req.amount ?? 0) : 0;
    if (!(o.spendUsd > 0 || o.sellCoins > 0)) throw new ExchangeFault("skip", "InvalidOrder", `simulated exchange: an order of nothing (${JSON.stringify(req)})`);
    // The same tolerance both ways: an order the trader sized from these balances always fits.
    if (o.spendUsd > cash || o.sellCoins > coins) {
      throw new ExchangeFault("skip", "InsufficientFunds", `simulated exchange: insufficient balance (cash ${cash}, coins ${coins}) for ${req.side} ${o.spendUsd || o.sellCoins}`);
    }
    const t = this.terms;
    const f = this.fill;
    executeOrder(cash, coins, o, base * t.buyFactor, base * t.sellFactor, t.commission, f);
    const buy = req.side === "buy";
    const filled = buy ? o.spendUsd / f.price : o.sellCoins;
    const coinsDelta = f.coins - coins;
    const cashDelta = f.cash - cash;
    this.putAccount.run(f.cash, f.coins, now);
    this.account = { cash: f.cash, coins: f.coins };
    const info = this.putOrder.run(req.clientOrderId, req.side, "closed", filled, f.notional, f.price, f.fee, coinsDelta, cashDelta, now) as { lastInsertRowid: number | bigint };
    // The row just written, as find() would read it back (one query less per order).
    return orderOf({ seq: info.lastInsertRowid, client_order_id: req.clientOrderId, side: req.side, status: "closed", filled, cost: f.notional, average: f.price, fee: f.fee, coins_delta: coinsDelta, cash_delta: cashDelta, ts: now });
  }
}
