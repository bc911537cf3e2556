/**
 * The simulated account of paper and replay runs: market orders fill at once through the env's own
 * `executeOrder` (the one code path for fees and fills), at a base price the exchange in front of it chooses
 * (the backtest's fill price in a replay, the live last price in paper), with the checkpoint's commission and
 * slippage. Its state (balances, orders by client id) lives in `sim_*` tables of the journal's database, written
 * in its own transaction: it is "the exchange", so an order it accepted survives a kill -9 of the trader even
 * when the trader did not get to record the answer (R6 in a replay). An order and the account it leaves are ONE
 * statement (an insert into the connection-local view `sim_fill`, whose trigger writes both tables): atomic by
 * itself, so no savepoint, and a duplicate client order id is the table's UNIQUE constraint (the statement, trigger
 * included, is undone), so no lookup before it either.
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

// Temporary (nothing added to the file's schema). The seq is bound (the order's id is "sim-<seq>"), checked to be
// what AUTOINCREMENT would give (orders are never deleted, so max + 1); a stale one aborts the statement.
const FILL_VIEW = `
CREATE TEMP VIEW IF NOT EXISTS sim_fill AS SELECT NULL AS seq, NULL AS client_order_id, NULL AS side, NULL AS filled, NULL AS cost,
  NULL AS average, NULL AS fee, NULL AS coins_delta, NULL AS cash_delta, NULL AS ts, NULL AS cash, NULL AS coins;
CREATE TEMP TRIGGER IF NOT EXISTS sim_fill_write INSTEAD OF INSERT ON sim_fill BEGIN
  SELECT RAISE(ABORT, 'sim_fill: stale seq') WHERE NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM sim_orders);
  INSERT INTO sim_orders (seq, client_order_id, side, status, filled, cost, average, fee, coins_delta, cash_delta, ts)
    VALUES (NEW.seq, NEW.client_order_id, NEW.side, 'closed', NEW.filled, NEW.cost, NEW.average, NEW.fee, NEW.coins_delta, NEW.cash_delta, NEW.ts);
  UPDATE sim_account SET cash = NEW.cash, coins = NEW.coins, updated_at = NEW.ts WHERE id = 1;
END;
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
  private readonly putFill;
  private readonly maxSeq;
  private readonly getOrder;
  private readonly ordersSince;
  private readonly placeTx;
  /** The account as last read or written (null: read it). */
  private account: { cash: number; coins: number } | null = null;
  /** The seq the next order gets (null: read it). */
  private nextSeq: number | null = null;

  constructor(
    private readonly db: Database.Database,
    readonly terms: FillTerms,
    initial: { readonly cash: number; readonly coins: number },
    /**
     * Runs the broker's write (one statement, atomic by itself): through the journal's `statement` so that a
     * replay's group commit takes the simulated orders too; by default on its own (autocommit).
     */
    atomically: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    db.exec(SCHEMA);
    db.exec(FILL_VIEW);
    this.getAccount = db.prepare<unknown[]>("SELECT cash, coins FROM sim_account WHERE id = 1");
    this.putAccount = db.prepare<unknown[]>("INSERT INTO sim_account (id, cash, coins, updated_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET cash = excluded.cash, coins = excluded.coins, updated_at = excluded.updated_at");
    this.putFill = db.prepare<unknown[]>("INSERT INTO sim_fill (seq, client_order_id, side, filled, cost, average, fee, coins_delta, cash_delta, ts, cash, coins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.maxSeq = db.prepare<unknown[]>("SELECT COALESCE(MAX(seq), 0) AS seq FROM sim_orders");
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
      this.account = null; // rolled back: read them again
      this.nextSeq = null;
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
    const refuse = (fault: ExchangeFault): never => {
      // A duplicate is reported as one whatever else is wrong with the request (as the lookup before did).
      if (this.getOrder.get(req.clientOrderId) !== undefined) throw duplicate(req.clientOrderId);
      throw fault;
    };
    if (!(base > 0 && Number.isFinite(base))) refuse(new ExchangeFault("retry", "ExchangeNotAvailable", `simulated exchange: no price to fill at (${base})`));
    const { cash, coins } = this.balances();
    const o = this.order;
    o.spendUsd = req.side === "buy" ? (req.cost ?? 0) : 0;
    o.sellCoins = req.side === "sell" ? (req.amount ?? 0) : 0;
    if (!(o.spendUsd > 0 || o.sellCoins > 0)) refuse(new ExchangeFault("skip", "InvalidOrder", `simulated exchange: an order of nothing (${JSON.stringify(req)})`));
    // The same tolerance both ways: an order the trader sized from these balances always fits.
    if (o.spendUsd > cash || o.sellCoins > coins) {
      refuse(new ExchangeFault("skip", "InsufficientFunds", `simulated exchange: insufficient balance (cash ${cash}, coins ${coins}) for ${req.side} ${o.spendUsd || o.sellCoins}`));
    }
    const t = this.terms;
    const f = this.fill;
    executeOrder(cash, coins, o, base * t.buyFactor, base * t.sellFactor, t.commission, f);
    const buy = req.side === "buy";
    const filled = buy ? o.spendUsd / f.price : o.sellCoins;
    const coinsDelta = f.coins - coins;
    const cashDelta = f.cash - cash;
    const seq = (this.nextSeq ??= n((this.maxSeq.get() as Row).seq) + 1);
    try {
      this.putFill.run(seq, req.clientOrderId, req.side, filled, f.notional, f.price, f.fee, coinsDelta, cashDelta, now, f.cash, f.coins);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(req.clientOrderId);
      throw err;
    }
    this.nextSeq = seq + 1;
    this.account = { cash: f.cash, coins: f.coins };
    // The row just written, as find() would read it back (one query less per order).
    return orderOf({ seq, client_order_id: req.clientOrderId, side: req.side, status: "closed", filled, cost: f.notional, average: f.price, fee: f.fee, coins_delta: coinsDelta, cash_delta: cashDelta, ts: now });
  }
}

const duplicate = (clientOrderId: string): ExchangeFault => new ExchangeFault("duplicate", "DuplicateOrderId", `simulated exchange: duplicate client order id ${clientOrderId}`);

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e?.code === "string" && e.code.startsWith("SQLITE_CONSTRAINT") && typeof e.message === "string" && e.message.includes("sim_orders.client_order_id");
}
