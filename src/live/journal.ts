/**
 * The trader's journal: one embedded SQLite file (libsql, prebuilt; WAL, synchronous=NORMAL, so a committed
 * transaction survives kill -9) that records everything the trader decides and does, and the historical store
 * the seed system asks for: candles, decisions, orders, fills, equity, guidance, control messages and events,
 * all queryable with plain SQL (docs/live.md lists the schema and example queries, and how to move to PostgreSQL).
 *
 * Rules it exists for:
 *   - the intent of an order is committed BEFORE the request goes out (R1, R6: hummingbot's start_tracking_order);
 *   - a restart reconciles the exchange's orders with the journal by our client order ids (R6);
 *   - a journal belongs to one mode, exchange, symbol, timeframe and checkpoint: opening it for another refuses
 *     to start (R7: paper and live state never mix).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "libsql";
import { TradingError } from "../trading/errors.js";
import type { OutputKind } from "../util/safe-output.js";
import type { Bar } from "../trading/market-history.js";
import type { ExchangeMode, OrderSide } from "./exchange.js";

export const JOURNAL_SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candles (
  ts INTEGER PRIMARY KEY, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
  volume REAL NOT NULL, filled INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ticks (
  bar_ts INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER, status TEXT NOT NULL, detail TEXT);
CREATE TABLE IF NOT EXISTS decisions (
  decision_id TEXT PRIMARY KEY, bar_ts INTEGER NOT NULL UNIQUE, created_at INTEGER NOT NULL,
  price REAL NOT NULL, cash REAL NOT NULL, coins REAL NOT NULL, value REAL NOT NULL,
  action REAL NOT NULL, probabilities TEXT, critic_value REAL, hold_reason TEXT,
  guidance TEXT, risk_code TEXT NOT NULL, risk_detail TEXT,
  side TEXT, spend REAL, amount REAL,
  policy_state BLOB NOT NULL, risk_state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  client_order_id TEXT PRIMARY KEY, decision_id TEXT NOT NULL, side TEXT NOT NULL, cost REAL, amount REAL,
  status TEXT NOT NULL, exchange_order_id TEXT, filled REAL NOT NULL DEFAULT 0, cost_filled REAL NOT NULL DEFAULT 0,
  average REAL, fee REAL NOT NULL DEFAULT 0, coins_delta REAL NOT NULL DEFAULT 0, cash_delta REAL NOT NULL DEFAULT 0,
  sends INTEGER NOT NULL DEFAULT 0, misses INTEGER NOT NULL DEFAULT 0, last_error TEXT, applied INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status);
CREATE INDEX IF NOT EXISTS orders_decision ON orders(decision_id);
CREATE INDEX IF NOT EXISTS orders_unapplied ON orders(applied) WHERE applied = 0;
CREATE TABLE IF NOT EXISTS equity (
  bar_ts INTEGER PRIMARY KEY, price REAL NOT NULL, cash REAL NOT NULL, coins REAL NOT NULL, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS guidance (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, version INTEGER, kind TEXT, value REAL, received_at INTEGER NOT NULL,
  status TEXT NOT NULL, detail TEXT, payload TEXT);
CREATE TABLE IF NOT EXISTS controls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, command TEXT NOT NULL, args TEXT, received_at INTEGER NOT NULL,
  result TEXT NOT NULL, detail TEXT);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, level TEXT NOT NULL, kind TEXT NOT NULL,
  message TEXT NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * The rows one `Journal.write()` gathers (a candle, the equity mark, a decision and its order intent, an order's
 * fill attributed, the tick's end, the risk and tick state), written by ONE statement: an insert into this
 * connection-local view, whose trigger writes each table (a statement is atomic by itself: no savepoint, one call
 * into libsql instead of up to ten). Values are bound parameters (doubles and blobs exact); an empty slot is NULL
 * and its table is left alone. Temporary: nothing is added to the file's schema.
 */
const TICK_ROWS_COLUMNS = [
  "c_ts", "c_open", "c_high", "c_low", "c_close", "c_volume", "c_filled",
  "e_bar_ts", "e_price", "e_cash", "e_coins", "e_value",
  "d_id", "d_bar_ts", "d_created_at", "d_price", "d_cash", "d_coins", "d_value", "d_action", "d_probabilities", "d_critic_value",
  "d_hold_reason", "d_guidance", "d_risk_code", "d_risk_detail", "d_side", "d_spend", "d_amount", "d_policy_state", "d_risk_state",
  "o_id", "a_id", "t_bar_ts", "t_at", "t_status", "t_detail", "s_risk", "s_tick",
] as const;

// One trigger per table, each with its WHEN: an empty slot costs SQLite nothing (the table is not even opened).
// The tables are distinct (the two state rows are distinct keys), so the order the triggers fire in does not matter.
const TICK_ROWS_TRIGGERS: readonly (readonly [string, string, string])[] = [
  ["candle", "NEW.c_ts IS NOT NULL", `INSERT INTO candles (ts, open, high, low, close, volume, filled) VALUES (NEW.c_ts, NEW.c_open, NEW.c_high, NEW.c_low, NEW.c_close, NEW.c_volume, NEW.c_filled)
    ON CONFLICT(ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume, filled = excluded.filled`],
  ["equity", "NEW.e_bar_ts IS NOT NULL", `INSERT INTO equity (bar_ts, price, cash, coins, value) VALUES (NEW.e_bar_ts, NEW.e_price, NEW.e_cash, NEW.e_coins, NEW.e_value)
    ON CONFLICT(bar_ts) DO UPDATE SET price = excluded.price, cash = excluded.cash, coins = excluded.coins, value = excluded.value`],
  ["decision", "NEW.d_id IS NOT NULL", `INSERT INTO decisions (decision_id, bar_ts, created_at, price, cash, coins, value, action, probabilities, critic_value,
      hold_reason, guidance, risk_code, risk_detail, side, spend, amount, policy_state, risk_state)
    VALUES (NEW.d_id, NEW.d_bar_ts, NEW.d_created_at, NEW.d_price, NEW.d_cash, NEW.d_coins, NEW.d_value, NEW.d_action, NEW.d_probabilities,
      NEW.d_critic_value, NEW.d_hold_reason, NEW.d_guidance, NEW.d_risk_code, NEW.d_risk_detail, NEW.d_side, NEW.d_spend, NEW.d_amount,
      NEW.d_policy_state, NEW.d_risk_state)`],
  ["intent", "NEW.o_id IS NOT NULL", `INSERT INTO orders (client_order_id, decision_id, side, cost, amount, status, created_at, updated_at)
    VALUES (NEW.o_id, NEW.d_id, NEW.d_side, NEW.d_spend, NEW.d_amount, 'intent', NEW.d_created_at, NEW.d_created_at)`],
  ["applied", "NEW.a_id IS NOT NULL", `UPDATE orders SET applied = 1 WHERE client_order_id = NEW.a_id`],
  ["tick", "NEW.t_bar_ts IS NOT NULL", `INSERT INTO ticks (bar_ts, started_at, finished_at, status, detail) VALUES (NEW.t_bar_ts, NEW.t_at, NEW.t_at, NEW.t_status, NEW.t_detail)
    ON CONFLICT(bar_ts) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status, detail = excluded.detail`],
  ["risk", "NEW.s_risk IS NOT NULL", `INSERT INTO state (key, value) VALUES ('risk', NEW.s_risk) ON CONFLICT(key) DO UPDATE SET value = excluded.value`],
  ["tick_state", "NEW.s_tick IS NOT NULL", `INSERT INTO state (key, value) VALUES ('tick', NEW.s_tick) ON CONFLICT(key) DO UPDATE SET value = excluded.value`],
];

const TICK_ROWS = `
CREATE TEMP VIEW IF NOT EXISTS tick_rows AS SELECT ${TICK_ROWS_COLUMNS.map((c) => `NULL AS ${c}`).join(", ")};
${TICK_ROWS_TRIGGERS.map(([name, when, body]) => `CREATE TEMP TRIGGER IF NOT EXISTS tick_rows_${name} INSTEAD OF INSERT ON tick_rows WHEN ${when} BEGIN
  ${body};
END;`).join("\n")}
`;

/** What a `write()` has gathered and not written yet: one slot per kind of row (see TICK_ROWS). */
interface PendingRows {
  candle: { readonly row: CandleRow; readonly filled: boolean } | null;
  equity: EquityRow | null;
  decision: { readonly d: DecisionRecord; readonly intent: string | null } | null;
  applied: string | null;
  tick: { readonly barTs: number; readonly status: TickStatus; readonly at: number; readonly detail: string | null } | null;
  risk: string | null;
  tickState: string | null;
}

// Slots of PendingRows, by the table a read must see them in.
const CANDLE = 1;
const EQUITY = 2;
const DECISION = 4;
const ORDERS = 8; // the decision's order intent, or a fill attributed
const TICK = 16;
const RISK_STATE = 32;
const TICK_STATE = 64;
const ALL_SLOTS = 127;

/** The decisions row's values, in TICK_ROWS' (and the decisions table's) column order. */
function decisionParams(d: DecisionRecord): unknown[] {
  return [
    d.decisionId,
    d.barTs,
    d.createdAt,
    d.price,
    d.cash,
    d.coins,
    d.value,
    d.action,
    d.probabilities === null ? null : JSON.stringify(d.probabilities),
    d.criticValue,
    d.holdReason,
    d.guidance,
    d.riskCode,
    d.riskDetail,
    d.side,
    d.spend,
    d.amount,
    Buffer.from(d.policyState.buffer, d.policyState.byteOffset, d.policyState.byteLength),
    d.riskState,
  ];
}
const NO_DECISION: readonly null[] = new Array<null>(19).fill(null);

const emptyPending = (): PendingRows => ({ candle: null, equity: null, decision: null, applied: null, tick: null, risk: null, tickState: null });

/**
 * The journal as an output (src/util/safe-output.ts): a file the project wrote when it is a SQLite database
 * with this trader's meta table; anything else at the path is never touched. Continuing a journal is the
 * purpose of a run (no --force); its lock (`.<name>.lock`) keeps two traders off one journal.
 */
export const JOURNAL_OUTPUT: OutputKind = {
  name: "trader journal",
  type: "file",
  describe(path: string): string | null {
    if (!existsSync(path)) return null;
    let db: Database.Database | null = null;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      const rows = db.prepare<unknown[]>("SELECT key, value FROM meta").all() as Row[];
      const meta = new Map(rows.map((r) => [String(r.key), String(r.value)]));
      if (meta.get("schema_version") === undefined || meta.get("run_id") === undefined) return null;
      return `a ${meta.get("mode")} journal of ${meta.get("exchange")} ${meta.get("symbol")} ${meta.get("timeframe")}, created ${meta.get("created_at")}`;
    } catch {
      return null;
    } finally {
      db?.close();
    }
  },
};

/** What a journal belongs to; a journal opened for anything else refuses to start (R7). */
export interface JournalIdentity {
  readonly mode: ExchangeMode;
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  /** SHA-256 of the checkpoint's weights: a journal's LSTM state belongs to one set of weights. */
  readonly checkpointSha256: string;
}

export type OrderStatus =
  /** Journaled, not (known to be) sent yet. */
  | "intent"
  /** Sent; the answer did not come back (timeout): the outcome is unknown until a lookup finds it or proves it absent. */
  | "unknown"
  /** On the exchange, not done (partially filled or waiting). */
  | "open"
  | "closed"
  | "canceled"
  | "expired"
  /** The exchange refused it (InsufficientFunds, InvalidOrder …): nothing happened. */
  | "rejected"
  /** Sent, but not found after every lookup: funds stay reserved and it is still polled (R2). */
  | "lost"
  /** Its decision's moment passed before it was ever sent (restart long after the intent): never placed. */
  | "abandoned";

/** Statuses of an order whose outcome is not final. */
export const UNRESOLVED_ORDER_STATUSES: readonly OrderStatus[] = ["intent", "unknown", "open", "lost"];

export interface OrderRow {
  readonly clientOrderId: string;
  readonly decisionId: string;
  readonly side: OrderSide;
  readonly cost: number | null;
  readonly amount: number | null;
  readonly status: OrderStatus;
  readonly exchangeOrderId: string | null;
  readonly filled: number;
  readonly costFilled: number;
  readonly average: number | null;
  readonly fee: number;
  readonly coinsDelta: number;
  readonly cashDelta: number;
  readonly sends: number;
  readonly misses: number;
  readonly lastError: string | null;
  /** 1 once its fill was attributed to the risk manager's position (exactly once). */
  readonly applied: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface DecisionRecord {
  readonly decisionId: string;
  readonly barTs: number;
  readonly createdAt: number;
  readonly price: number;
  readonly cash: number;
  readonly coins: number;
  readonly value: number;
  readonly action: number;
  readonly probabilities: readonly number[] | null;
  readonly criticValue: number | null;
  readonly holdReason: string | null;
  /** The guidance in force (JSON), if any. */
  readonly guidance: string | null;
  readonly riskCode: string;
  readonly riskDetail: string | null;
  /** The final order; null side: a hold. */
  readonly side: OrderSide | null;
  readonly spend: number | null;
  readonly amount: number | null;
  /** The policy's recurrent state after this decision (float64, little-endian). */
  readonly policyState: Float64Array;
  /** The risk manager's state after this decision (JSON). */
  readonly riskState: string;
}

/** One closed candle as the journal stores it. */
export type CandleRow = Bar;

export interface EquityRow {
  readonly barTs: number;
  readonly price: number;
  readonly cash: number;
  readonly coins: number;
  readonly value: number;
}

export type TickStatus = "started" | "done" | "skipped" | "stale" | "failed";

export interface TickRow {
  readonly barTs: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly status: TickStatus;
  readonly detail: string | null;
}

export type EventLevel = "info" | "warn" | "error" | "alert";

type Row = Record<string, unknown>;
type Statement = Database.Statement<unknown[]>;

const num = (x: unknown): number => (typeof x === "number" ? x : typeof x === "bigint" ? Number(x) : Number.NaN);
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : num(x));
const strOrNull = (x: unknown): string | null => (x === null || x === undefined ? null : String(x));

function orderOf(r: Row): OrderRow {
  return {
    clientOrderId: String(r.client_order_id),
    decisionId: String(r.decision_id),
    side: r.side === "sell" ? "sell" : "buy",
    cost: numOrNull(r.cost),
    amount: numOrNull(r.amount),
    status: String(r.status) as OrderStatus,
    exchangeOrderId: strOrNull(r.exchange_order_id),
    filled: num(r.filled),
    costFilled: num(r.cost_filled),
    average: numOrNull(r.average),
    fee: num(r.fee),
    coinsDelta: num(r.coins_delta),
    cashDelta: num(r.cash_delta),
    sends: num(r.sends),
    misses: num(r.misses),
    lastError: strOrNull(r.last_error),
    applied: num(r.applied),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

function decisionOf(r: Row): DecisionRecord {
  const blob = r.policy_state as Uint8Array;
  const state = new Float64Array(blob.byteLength / 8);
  new Uint8Array(state.buffer).set(blob);
  return {
    decisionId: String(r.decision_id),
    barTs: num(r.bar_ts),
    createdAt: num(r.created_at),
    price: num(r.price),
    cash: num(r.cash),
    coins: num(r.coins),
    value: num(r.value),
    action: num(r.action),
    probabilities: r.probabilities === null ? null : (JSON.parse(String(r.probabilities)) as number[]),
    criticValue: numOrNull(r.critic_value),
    holdReason: strOrNull(r.hold_reason),
    guidance: strOrNull(r.guidance),
    riskCode: String(r.risk_code),
    riskDetail: strOrNull(r.risk_detail),
    side: r.side === "buy" || r.side === "sell" ? r.side : null,
    spend: numOrNull(r.spend),
    amount: numOrNull(r.amount),
    policyState: state,
    riskState: String(r.risk_state),
  };
}

/** A new order's row, as the orders table's defaults make it. */
function intentRow(clientOrderId: string, decisionId: string, side: OrderSide, cost: number | null, amount: number | null, at: number, status: OrderStatus): OrderRow {
  return { clientOrderId, decisionId, side, cost, amount, status, exchangeOrderId: null, filled: 0, costFilled: 0, average: null, fee: 0, coinsDelta: 0, cashDelta: 0, sends: 0, misses: 0, lastError: null, applied: 0, createdAt: at, updatedAt: at };
}

export type OrderPatch = Partial<Omit<OrderRow, "clientOrderId" | "decisionId" | "side" | "createdAt">>;

const ORDER_COLUMNS: Record<keyof OrderPatch, string> = {
  cost: "cost",
  amount: "amount",
  status: "status",
  exchangeOrderId: "exchange_order_id",
  filled: "filled",
  costFilled: "cost_filled",
  average: "average",
  fee: "fee",
  coinsDelta: "coins_delta",
  cashDelta: "cash_delta",
  sends: "sends",
  misses: "misses",
  lastError: "last_error",
  applied: "applied",
  updatedAt: "updated_at",
};

export interface JournalOpenResult {
  readonly journal: Journal;
  /** True when the file was created by this call. */
  readonly created: boolean;
}

export class Journal {
  readonly path: string;
  readonly runId: string;
  private readonly stmts: Map<string, Statement> = new Map();
  private groupCommit = 1;
  private batched = 0;
  private depth = 0;
  /** How the open top-level transaction was opened (a BEGIN of its own, or a savepoint in the batch). */
  private topMode: "begin" | "savepoint" = "begin";
  /** A write() is running: bufferable rows are held (PendingRows) and written together. */
  private gathering = false;
  /** The running write() has opened its transaction (something besides the held rows had to be written). */
  private opened = false;
  private pending: PendingRows = emptyPending();
  private pendingSlots = 0;
  private pendingRows = 0;
  private tickRowsStmt: Statement | null = null;
  /** The order row written last, as written (null: unknown): the trader reads back the intent it just wrote. */
  private lastOrder: OrderRow | null = null;
  /**
   * Every row of the orders table in rowid order, as this journal wrote it (null: not read yet, or forgotten after
   * a rollback). A writing journal is its file's only writer (its lock), so the order reads of a tick (the fill
   * lookup, the decision's orders, the unresolved ones) need no query. A read-only journal never keeps one.
   */
  private ordersMem: Map<string, OrderRow> | null = null;
  /** Indexes of ordersMem (valid with it): the unresolved ones' count, the ids with applied = 0, ids by decision. */
  private unresolvedCount = 0;
  private readonly unappliedIds = new Set<string>();
  private readonly idsByDecision = new Map<string, string[]>();

  private constructor(
    readonly db: Database.Database,
    path: string,
    runId: string,
    /** Keep the orders in memory (a writing journal: no other writer of its orders). */
    private readonly mirrorOrders = false,
  ) {
    this.path = path;
    this.runId = runId;
  }

  /**
   * Opens (or creates) the journal at `path` for `identity`. Refuses a journal written for another mode, exchange,
   * symbol, timeframe or checkpoint (R7), or with an unknown schema version.
   */
  static open(path: string, identity: JournalIdentity, runIdForNew: () => string): JournalOpenResult {
    const full = resolve(path);
    mkdirSync(dirname(full), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(full);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("temp_store = MEMORY");
      db.exec(SCHEMA);
      db.exec(TICK_ROWS);
    } catch (err) {
      throw new TradingError("journal_unreadable", err instanceof Error ? err.message : String(err), full);
    }
    const meta = new Map<string, string>();
    for (const r of db.prepare("SELECT key, value FROM meta").all() as Row[]) meta.set(String(r.key), String(r.value));
    let created = false;
    if (!meta.has("schema_version")) {
      created = true;
      const runId = runIdForNew();
      const put = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      db.transaction(() => {
        put.run("schema_version", String(JOURNAL_SCHEMA_VERSION));
        put.run("run_id", runId);
        put.run("created_at", new Date().toISOString());
        for (const [k, v] of Object.entries(identity)) put.run(k, String(v));
      })();
      meta.set("run_id", runId);
    } else {
      if (meta.get("schema_version") !== String(JOURNAL_SCHEMA_VERSION)) {
        db.close();
        throw new TradingError("journal_unreadable", `schema version ${meta.get("schema_version")}, this trader reads ${JOURNAL_SCHEMA_VERSION}`, full);
      }
      for (const [k, v] of Object.entries(identity)) {
        const have = meta.get(k);
        if (have !== String(v)) {
          db.close();
          throw new TradingError(
            "journal_mismatch",
            `this journal belongs to ${k} = ${JSON.stringify(have)}, the trader runs with ${JSON.stringify(String(v))} (paper, live and replay state never share a journal; use another --journal)`,
            full,
          );
        }
      }
    }
    return { journal: new Journal(db, full, meta.get("run_id")!, true), created };
  }

  /**
   * Opens an existing journal to read it (a notebook, the dashboard, a test), whatever it belongs to. Reading
   * while a trader writes is safe (WAL).
   */
  static openReadOnly(path: string): Journal {
    const full = resolve(path);
    // libsql creates a missing file even when told it must exist: check first (a reader must never create one).
    if (!existsSync(full)) throw new TradingError("journal_unreadable", "no journal at this path", full);
    let db: Database.Database;
    try {
      db = new Database(full, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new TradingError("journal_unreadable", err instanceof Error ? err.message : String(err), full);
    }
    const r = db.prepare<unknown[]>("SELECT value FROM meta WHERE key = 'run_id'").get() as Row | undefined;
    return new Journal(db, full, r === undefined ? "" : String(r.value));
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  meta(key: string): string | null {
    const r = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r === undefined ? null : String(r.value);
  }

  /**
   * Runs `fn` in one transaction (all of it is committed, or none). With group commit on (a replay), the
   * transaction is a savepoint inside a batch that commits every `groupCommit` calls or at `flush()`. Group
   * commit is only for an exchange whose state lives in this database (the replay's simulated account commits in
   * the same batch): a crash then loses the batch's ticks and their simulated orders together, and a restart
   * recomputes them identically. With a real exchange every transaction commits, and the trader flushes before
   * every request (R1, R6).
   */
  transaction<T>(fn: () => T): T {
    if (this.gathering) {
      // Inside a write(): what it gathered goes first, then this runs as a nested transaction of its own.
      this.settle(ALL_SLOTS);
      this.gathering = false;
      try {
        return this.transaction(fn);
      } finally {
        this.gathering = true;
      }
    }
    const top = this.depth === 0;
    if (top) this.openTop();
    else this.db.exec(`SAVEPOINT t${this.depth}`);
    this.depth++;
    let out: T;
    try {
      out = fn();
    } catch (err) {
      this.depth--;
      this.forgetOrders();
      if (top) this.rollbackTop();
      else {
        this.db.exec(`ROLLBACK TO t${this.depth}`);
        this.db.exec(`RELEASE t${this.depth}`);
      }
      throw err;
    }
    this.depth--;
    if (top) this.commitTop();
    else this.db.exec(`RELEASE t${this.depth}`);
    return out;
  }

  /**
   * A transaction like `transaction(fn)` whose rows are gathered and written together: the journal's writes in
   * `fn` (a candle, the equity mark, the decision and its order intent, a fill attributed, the tick's end, the
   * risk and tick state) are held and written by one statement at the end (TICK_ROWS); a read of a table with
   * held rows, a second row of a kind, or any other write first writes what is held (in a savepoint then opened,
   * so all of `fn` still commits or none of it). One call into SQLite for a hold tick instead of ten. Committed
   * (or group-committed) when it returns, exactly as `transaction` would: the order intent is durable before the
   * request (R1, R6).
   */
  write<T>(fn: () => T): T {
    if (this.depth > 0) return this.transaction(fn);
    this.depth = 1;
    this.gathering = true;
    this.opened = false;
    let out: T;
    try {
      out = fn();
      this.gathering = false;
      if (this.opened) this.writePending();
    } catch (err) {
      this.gathering = false;
      this.pending = emptyPending();
      this.pendingRows = 0;
      this.depth = 0;
      this.forgetOrders();
      if (this.opened) this.rollbackTop();
      this.opened = false;
      throw err;
    }
    this.depth = 0;
    if (this.opened) {
      this.opened = false;
      this.commitTop();
    } else if (this.pendingRows > 0) {
      // Nothing else was written: the held rows are one statement, atomic by itself.
      this.single(() => this.writePending());
    }
    return out;
  }

  /** Opens the top-level transaction: BEGIN (commit per transaction), or a savepoint in the group-commit batch. */
  private openTop(): void {
    const db = this.db;
    if (this.groupCommit <= 1 && !db.inTransaction) {
      db.exec("BEGIN IMMEDIATE");
      this.topMode = "begin";
      return;
    }
    if (!db.inTransaction) {
      db.exec("BEGIN IMMEDIATE");
      this.batched = 0;
    }
    // Nested calls (and every call inside a batch) are savepoints: libsql's own transaction() does not nest.
    db.exec("SAVEPOINT t0");
    this.topMode = "savepoint";
  }

  private commitTop(): void {
    const db = this.db;
    if (this.topMode === "begin") {
      db.exec("COMMIT");
      return;
    }
    db.exec("RELEASE t0");
    if (this.groupCommit <= 1) db.exec("COMMIT");
    else if (++this.batched >= this.groupCommit) this.flush();
  }

  private rollbackTop(): void {
    const db = this.db;
    if (this.topMode === "begin") {
      db.exec("ROLLBACK");
      return;
    }
    db.exec("ROLLBACK TO t0");
    db.exec("RELEASE t0");
    if (this.groupCommit <= 1) db.exec("COMMIT");
  }

  /**
   * Before a statement inside a write(): its transaction is opened (once) and the rows it holds are written
   * first when they touch `slots` (a read of their table), or always before a write (rows keep their order).
   */
  private settle(slots: number): void {
    if (!this.gathering) return;
    if (slots !== ALL_SLOTS && (this.pendingSlots & slots) === 0) return;
    if (!this.opened) {
      if (slots !== ALL_SLOTS && this.pendingRows === 0) return;
      this.openTop();
      this.opened = true;
    }
    if (this.pendingRows > 0) this.writePending();
  }

  /** Holds a row in its slot (a write() in progress); false when not gathering (the caller writes it now). */
  private hold(slot: number, put: (p: PendingRows) => void): boolean {
    if (!this.gathering) return false;
    if ((this.pendingSlots & slot) !== 0) this.settle(ALL_SLOTS);
    put(this.pending);
    this.pendingSlots |= slot;
    this.pendingRows++;
    return true;
  }

  /** Writes the held rows with one statement (TICK_ROWS) and empties the slots. */
  private writePending(): void {
    if (this.pendingRows === 0) return;
    const p = this.pending;
    this.pending = emptyPending();
    this.pendingRows = 0;
    this.pendingSlots = 0;
    const c = p.candle?.row;
    const e = p.equity;
    const d = p.decision?.d;
    const t = p.tick;
    this.tickRowsStmt ??= this.db.prepare<unknown[]>(`INSERT INTO tick_rows (${TICK_ROWS_COLUMNS.join(", ")}) VALUES (${TICK_ROWS_COLUMNS.map(() => "?").join(", ")})`);
    this.tickRowsStmt.run(
      c?.ts ?? null,
      c?.open ?? null,
      c?.high ?? null,
      c?.low ?? null,
      c?.close ?? null,
      c?.volume ?? null,
      p.candle === null ? null : p.candle.filled ? 1 : 0,
      e?.barTs ?? null,
      e?.price ?? null,
      e?.cash ?? null,
      e?.coins ?? null,
      e?.value ?? null,
      ...(d === undefined ? NO_DECISION : decisionParams(d)),
      p.decision?.intent ?? null,
      p.applied,
      t?.barTs ?? null,
      t?.at ?? null,
      t?.status ?? null,
      t?.detail ?? null,
      p.risk,
      p.tickState,
    );
  }

  /** Commits a pending group commit (no-op otherwise). */
  flush(): void {
    if (this.depth === 0 && this.db.open && this.db.inTransaction) {
      try {
        this.db.exec("COMMIT");
      } catch (err) {
        this.forgetOrders(); // a failed COMMIT may have rolled the batch back
        throw err;
      }
    }
    this.batched = 0;
  }

  /** After a rollback: what is known of the orders table is read again. */
  private forgetOrders(): void {
    this.lastOrder = null;
    this.ordersMem = null;
  }

  /** The orders table in rowid order (memory; read once), or null when this journal keeps none. */
  private orderMap(): Map<string, OrderRow> | null {
    if (!this.mirrorOrders) return null;
    if (this.ordersMem === null) {
      this.settle(ORDERS);
      this.ordersMem = new Map<string, OrderRow>();
      this.unresolvedCount = 0;
      this.unappliedIds.clear();
      this.idsByDecision.clear();
      for (const r of this.stmt("SELECT * FROM orders ORDER BY rowid").all() as Row[]) this.remember(orderOf(r));
    }
    return this.ordersMem;
  }

  /**
   * Orders of the memory (or of `ids` in it) that pass `keep`, oldest first (as ORDER BY created_at; ties in rowid order, where the
   * query's order of ties was its plan's: by status for the unresolved ones).
   */
  private ordersWhere(m: Map<string, OrderRow>, keep: (o: OrderRow) => boolean, ids?: Iterable<string>): OrderRow[] {
    const out: OrderRow[] = [];
    if (ids === undefined) {
      for (const o of m.values()) if (keep(o)) out.push(o);
    } else {
      for (const id of ids) {
        const o = m.get(id);
        if (o !== undefined && keep(o)) out.push(o);
      }
      // In rowid order first (an index keeps the order its ids were added in, which a re-added id breaks).
      if (out.length > 1) {
        const rank = new Map<string, number>();
        let i = 0;
        for (const id of m.keys()) rank.set(id, i++);
        out.sort((a, b) => rank.get(a.clientOrderId)! - rank.get(b.clientOrderId)!);
      }
    }
    if (out.length > 1) out.sort((a, b) => a.createdAt - b.createdAt); // stable
    return out;
  }

  /** A row just written (inserted, or patched) into the memory. */
  private remember(row: OrderRow): void {
    this.lastOrder = row;
    const m = this.ordersMem;
    if (m === null) return;
    const id = row.clientOrderId;
    const prev = m.get(id);
    m.set(id, row);
    this.unresolvedCount += (isUnresolved(row) ? 1 : 0) - (prev !== undefined && isUnresolved(prev) ? 1 : 0);
    if (row.applied === 0) this.unappliedIds.add(id);
    else this.unappliedIds.delete(id);
    if (prev === undefined) {
      const ids = this.idsByDecision.get(row.decisionId);
      if (ids === undefined) this.idsByDecision.set(row.decisionId, [id]);
      else ids.push(id);
    }
  }

  /** Transactions per commit (1: every transaction commits; replays use more). */
  setGroupCommit(n: number): void {
    this.flush();
    this.groupCommit = Math.max(1, Math.floor(n));
  }

  // ---- candles ------------------------------------------------------------------------------------------------

  upsertCandles(rows: readonly CandleRow[], filled = false): void {
    if (rows.length === 0) return;
    if (rows.length === 1 && this.hold(CANDLE, (p) => (p.candle = { row: rows[0]!, filled }))) return;
    this.settle(ALL_SLOTS);
    const s = this.stmt("INSERT INTO candles (ts, open, high, low, close, volume, filled) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume, filled = excluded.filled");
    for (const c of rows) s.run(c.ts, c.open, c.high, c.low, c.close, c.volume, filled ? 1 : 0);
  }

  candles(from = -Infinity, to = Infinity): CandleRow[] {
    this.settle(CANDLE);
    const rows = this.stmt("SELECT ts, open, high, low, close, volume FROM candles WHERE ts >= ? AND ts < ? ORDER BY ts").all(
      Number.isFinite(from) ? from : -Number.MAX_SAFE_INTEGER,
      Number.isFinite(to) ? to : Number.MAX_SAFE_INTEGER,
    ) as Row[];
    return rows.map((r) => ({ ts: num(r.ts), open: num(r.open), high: num(r.high), low: num(r.low), close: num(r.close), volume: num(r.volume) }));
  }

  // ---- ticks --------------------------------------------------------------------------------------------------

  startTick(barTs: number, at: number): void {
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO ticks (bar_ts, started_at, status) VALUES (?, ?, 'started') ON CONFLICT(bar_ts) DO UPDATE SET started_at = excluded.started_at, status = 'started', finished_at = NULL").run(barTs, at);
  }

  finishTick(barTs: number, status: TickStatus, at: number, detail: string | null = null): void {
    if (this.hold(TICK, (p) => (p.tick = { barTs, status, at, detail }))) return;
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO ticks (bar_ts, started_at, finished_at, status, detail) VALUES (?, ?, ?, ?, ?) ON CONFLICT(bar_ts) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status, detail = excluded.detail").run(barTs, at, at, status, detail);
  }

  tick(barTs: number): TickRow | null {
    this.settle(TICK);
    const r = this.stmt("SELECT * FROM ticks WHERE bar_ts = ?").get(barTs) as Row | undefined;
    return r === undefined ? null : tickOf(r);
  }

  lastTick(): TickRow | null {
    this.settle(TICK);
    const r = this.stmt("SELECT * FROM ticks ORDER BY bar_ts DESC LIMIT 1").get() as Row | undefined;
    return r === undefined ? null : tickOf(r);
  }

  // ---- decisions and orders -----------------------------------------------------------------------------------

  /** Records a decision and, when it trades, its order intent: one transaction, committed before any request. */
  recordDecision(d: DecisionRecord, intent: { clientOrderId: string } | null): void {
    const orderId = intent !== null && d.side !== null ? intent.clientOrderId : null;
    if (orderId !== null) {
      if (this.hold(DECISION | ORDERS, (p) => (p.decision = { d, intent: orderId }))) {
        this.remember(intentRow(orderId, d.decisionId, d.side!, sqlNumber(d.spend), sqlNumber(d.amount), d.createdAt, "intent"));
        return;
      }
    } else if (this.hold(DECISION, (p) => (p.decision = { d, intent: null }))) return;
    this.settle(ALL_SLOTS);
    this.stmt(
      `INSERT INTO decisions (decision_id, bar_ts, created_at, price, cash, coins, value, action, probabilities, critic_value,
        hold_reason, guidance, risk_code, risk_detail, side, spend, amount, policy_state, risk_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...decisionParams(d));
    if (orderId !== null) this.insertOrder(orderId, d.decisionId, d.side!, d.spend, d.amount, d.createdAt);
  }

  insertOrder(clientOrderId: string, decisionId: string, side: OrderSide, cost: number | null, amount: number | null, at: number, status: OrderStatus = "intent"): void {
    this.settle(ALL_SLOTS);
    this.lastOrder = null;
    this.stmt("INSERT INTO orders (client_order_id, decision_id, side, cost, amount, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(clientOrderId, decisionId, side, cost, amount, status, at, at);
    this.remember(intentRow(clientOrderId, decisionId, side, sqlNumber(cost), sqlNumber(amount), at, status));
  }

  decision(barTs: number): DecisionRecord | null {
    this.settle(DECISION);
    const r = this.stmt("SELECT * FROM decisions WHERE bar_ts = ?").get(barTs) as Row | undefined;
    return r === undefined ? null : decisionOf(r);
  }

  lastDecision(): DecisionRecord | null {
    this.settle(DECISION);
    const r = this.stmt("SELECT * FROM decisions ORDER BY bar_ts DESC LIMIT 1").get() as Row | undefined;
    return r === undefined ? null : decisionOf(r);
  }

  decisionCount(): number {
    this.settle(DECISION);
    return num((this.stmt("SELECT COUNT(*) AS n FROM decisions").get() as Row).n);
  }

  /** One order's new state, in its own (possibly group-committed) transaction. */
  updateOrder(clientOrderId: string, patch: OrderPatch): void {
    const keys = Object.keys(patch) as (keyof OrderPatch)[];
    if (keys.length === 0) return;
    const patchLast = (): void => {
      const last = this.lastOrder?.clientOrderId === clientOrderId ? this.lastOrder : (this.ordersMem?.get(clientOrderId) ?? null);
      if (last === null) {
        this.lastOrder = null;
        return;
      }
      // As the table will read it back (sqlNumber: what SQLite makes of NaN and -0).
      const row: Record<string, unknown> = { ...last };
      for (const k of keys) {
        const v = patch[k] ?? null;
        row[k] = typeof v === "number" ? sqlNumber(v) : v;
      }
      this.remember(row as unknown as OrderRow);
    };
    if (keys.length === 1 && patch.applied === 1 && this.hold(ORDERS, (p) => (p.applied = clientOrderId))) {
      patchLast();
      return;
    }
    this.settle(ALL_SLOTS);
    const sql = `UPDATE orders SET ${keys.map((k) => `${ORDER_COLUMNS[k]} = ?`).join(", ")} WHERE client_order_id = ?`;
    this.single(() => this.stmt(sql).run(...keys.map((k) => patch[k] ?? null), clientOrderId));
    patchLast();
  }

  /**
   * Runs `fn`, which writes with ONE statement (atomic by itself), as a transaction of its own without a savepoint:
   * committed now, or counted in the group-commit batch; inside a caller's transaction it is part of it. For
   * writers sharing this database (the simulated exchange's order and account).
   */
  statement<T>(fn: () => T): T {
    if (this.gathering) this.settle(ALL_SLOTS);
    let out: T;
    try {
      this.single(() => (out = fn()));
    } catch (err) {
      this.forgetOrders();
      throw err;
    }
    return out!;
  }

  /**
   * One statement as a transaction of its own: a single SQLite statement is atomic by itself, so it needs no
   * savepoint; inside a caller's transaction it is part of it, in a group-commit batch it counts as one call.
   */
  private single(fn: () => unknown): void {
    if (this.depth > 0 || this.groupCommit <= 1) {
      fn();
      return;
    }
    if (!this.db.inTransaction) {
      this.db.exec("BEGIN IMMEDIATE");
      this.batched = 0;
    }
    fn();
    if (++this.batched >= this.groupCommit) this.flush();
  }

  order(clientOrderId: string): OrderRow | null {
    if (this.lastOrder?.clientOrderId === clientOrderId) return this.lastOrder;
    const m = this.orderMap();
    if (m !== null) return m.get(clientOrderId) ?? null;
    this.settle(ORDERS);
    const r = this.stmt("SELECT * FROM orders WHERE client_order_id = ?").get(clientOrderId) as Row | undefined;
    return r === undefined ? null : orderOf(r);
  }

  ordersOf(decisionId: string): OrderRow[] {
    const m = this.orderMap();
    if (m !== null) return this.ordersWhere(m, () => true, this.idsByDecision.get(decisionId) ?? []);
    this.settle(ORDERS);
    return (this.stmt("SELECT * FROM orders WHERE decision_id = ? ORDER BY created_at").all(decisionId) as Row[]).map(orderOf);
  }

  /** Orders whose outcome is not final (intent, unknown, open, lost), oldest first. */
  unresolvedOrders(): OrderRow[] {
    const m = this.orderMap();
    if (m !== null) return this.unresolvedCount === 0 ? [] : this.ordersWhere(m, isUnresolved);
    this.settle(ORDERS);
    return (this.stmt("SELECT * FROM orders WHERE status IN ('intent', 'unknown', 'open', 'lost') ORDER BY created_at").all() as Row[]).map(orderOf);
  }

  /** True when some order's outcome is not final (one indexed lookup: the per-tick fast path). */
  hasUnresolvedOrders(): boolean {
    const m = this.orderMap();
    if (m !== null) return this.unresolvedCount > 0;
    this.settle(ORDERS);
    return this.stmt("SELECT 1 FROM orders WHERE status IN ('intent', 'unknown', 'open', 'lost') LIMIT 1").get() !== undefined;
  }

  /** Orders with a fill not yet attributed to the risk manager's position. */
  unappliedFills(): OrderRow[] {
    const m = this.orderMap();
    if (m !== null) return this.ordersWhere(m, (o) => o.filled > 0 && (o.status === "closed" || o.status === "canceled" || o.status === "expired"), this.unappliedIds);
    this.settle(ORDERS);
    return (this.stmt("SELECT * FROM orders WHERE applied = 0 AND filled > 0 AND status IN ('closed', 'canceled', 'expired') ORDER BY created_at").all() as Row[]).map(orderOf);
  }

  orders(): OrderRow[] {
    const m = this.orderMap();
    if (m !== null) return this.ordersWhere(m, () => true);
    this.settle(ORDERS);
    return (this.stmt("SELECT * FROM orders ORDER BY created_at").all() as Row[]).map(orderOf);
  }

  // ---- equity, guidance, controls, events, state ----------------------------------------------------------------

  recordEquity(e: EquityRow): void {
    if (this.hold(EQUITY, (p) => (p.equity = e))) return;
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO equity (bar_ts, price, cash, coins, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT(bar_ts) DO UPDATE SET price = excluded.price, cash = excluded.cash, coins = excluded.coins, value = excluded.value").run(e.barTs, e.price, e.cash, e.coins, e.value);
  }

  equity(): EquityRow[] {
    this.settle(EQUITY);
    return (this.stmt("SELECT * FROM equity ORDER BY bar_ts").all() as Row[]).map((r) => ({ barTs: num(r.bar_ts), price: num(r.price), cash: num(r.cash), coins: num(r.coins), value: num(r.value) }));
  }

  lastEquity(): EquityRow | null {
    this.settle(EQUITY);
    const r = this.stmt("SELECT * FROM equity ORDER BY bar_ts DESC LIMIT 1").get() as Row | undefined;
    return r === undefined ? null : { barTs: num(r.bar_ts), price: num(r.price), cash: num(r.cash), coins: num(r.coins), value: num(r.value) };
  }

  recordGuidance(g: { id: string | null; version: number | null; kind: string | null; value: number | null; receivedAt: number; status: string; detail: string | null; payload: string | null }): void {
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO guidance (id, version, kind, value, received_at, status, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(g.id, g.version, g.kind, g.value, g.receivedAt, g.status, g.detail, g.payload === null ? null : g.payload.slice(0, 4096));
  }

  recordControl(c: { id: string | null; command: string; args: string | null; receivedAt: number; result: string; detail: string | null }): void {
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO controls (id, command, args, received_at, result, detail) VALUES (?, ?, ?, ?, ?, ?)").run(c.id, c.command, c.args, c.receivedAt, c.result, c.detail);
  }

  event(ts: number, level: EventLevel, kind: string, message: string, data?: unknown): void {
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO events (ts, level, kind, message, data) VALUES (?, ?, ?, ?, ?)").run(ts, level, kind, message, data === undefined ? null : JSON.stringify(data));
  }

  events(kind?: string): { ts: number; level: EventLevel; kind: string; message: string; data: unknown }[] {
    const rows = (kind === undefined ? this.stmt("SELECT * FROM events ORDER BY seq").all() : this.stmt("SELECT * FROM events WHERE kind = ? ORDER BY seq").all(kind)) as Row[];
    return rows.map((r) => ({ ts: num(r.ts), level: String(r.level) as EventLevel, kind: String(r.kind), message: String(r.message), data: r.data === null ? null : (JSON.parse(String(r.data)) as unknown) }));
  }

  getState(key: string): string | null {
    if (key === "risk") this.settle(RISK_STATE);
    else if (key === "tick") this.settle(TICK_STATE);
    const r = this.stmt("SELECT value FROM state WHERE key = ?").get(key) as Row | undefined;
    return r === undefined ? null : String(r.value);
  }

  setState(key: string, value: string): void {
    if (key === "risk" && this.hold(RISK_STATE, (p) => (p.risk = value))) return;
    if (key === "tick" && this.hold(TICK_STATE, (p) => (p.tickState = value))) return;
    this.settle(ALL_SLOTS);
    this.stmt("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (s === undefined) {
      s = this.db.prepare<unknown[]>(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }
}

const isUnresolved = (o: OrderRow): boolean => o.status === "intent" || o.status === "unknown" || o.status === "open" || o.status === "lost";

/** A number as a REAL column reads it back: NaN is stored as NULL, -0 as 0. */
function sqlNumber<T extends number | null>(x: T): T | null {
  if (x === null) return null;
  if (Number.isNaN(x)) return null;
  return (x === 0 ? 0 : x) as T;
}

function tickOf(r: Row): TickRow {
  return { barTs: num(r.bar_ts), startedAt: num(r.started_at), finishedAt: numOrNull(r.finished_at), status: String(r.status) as TickStatus, detail: strOrNull(r.detail) };
}
