/**
 * The trader's journal as a source of the dashboard (read-only; reading while the trader writes is safe: WAL):
 * the equity history the bus cannot give a late joiner, the fills (the price chart's buys and sells at their
 * fill prices), the risk manager's state (caps, locks, stop and kill-switch reasons), the guidance verdicts, the
 * control log and the events. Polled incrementally: each poll reads what is new since the last one, plus the
 * last few bars again (their orders fill after the decision).
 *
 * Queries the journal's tables directly (src/live/journal.ts: the journal is documented as plain SQL); a table
 * this trader version does not have is skipped, never fatal.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import Database from "libsql";
import { parseGuidance } from "../bus/messages.js";
import { timeframeMs } from "../data/candles.js";
import { Journal } from "../live/journal.js";
import { parseClientOrderId } from "../trading/order-id.js";
import type { DashboardModel, EventEntry, RiskSnapshotView, SeriesPoint, TradeMark } from "./model.js";


type Row = Record<string, unknown>;
const num = (x: unknown): number => (typeof x === "number" ? x : typeof x === "bigint" ? Number(x) : Number.NaN);
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number.isFinite(num(x)) ? num(x) : null);
const strOrNull = (x: unknown): string | null => (x === null || x === undefined ? null : String(x));

export interface JournalInfo {
  readonly path: string;
  readonly runId: string;
  readonly mode: string | null;
  readonly exchange: string | null;
  readonly symbol: string | null;
  readonly timeframe: string | null;
  readonly createdAt: string | null;
}

/** Reads the risk manager's saved state (RiskState JSON) defensively. */
export function readRiskState(json: string, readAt: number): RiskSnapshotView | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (v === null || typeof v !== "object") return null;
  const r = v as Record<string, unknown>;
  const locks: Array<{ reason: string; until: number | null; detail: string }> = [];
  if (Array.isArray(r["locks"])) {
    for (const l of r["locks"].slice(0, 32)) {
      if (l !== null && typeof l === "object") {
        const o = l as Record<string, unknown>;
        locks.push({ reason: String(o["reason"] ?? "?").slice(0, 64), until: numOrNull(o["until"]), detail: String(o["detail"] ?? "").slice(0, 300) });
      }
    }
  }
  return {
    status: typeof r["status"] === "string" ? r["status"] : "unknown",
    stopReason: typeof r["stopReason"] === "string" ? r["stopReason"].slice(0, 500) : null,
    entriesPaused: r["entriesPaused"] === true,
    maxTradeFraction: numOrNull(r["maxTradeFraction"]),
    maxExposure: numOrNull(r["maxExposure"]),
    locks,
    failedChecks: numOrNull(r["failedChecks"]) ?? 0,
    peakValue: numOrNull(r["peakValue"]),
    sessionStartValue: numOrNull(r["sessionStartValue"]),
    readAt,
  };
}

/**
 * Why `path` can never be the trader's journal (a folder, a file that is not SQLite, a SQLite database of someone
 * else's), or null when it is one or may still become one: missing (the trader creates it), empty or without a
 * run yet (being created). Checked once at start-up so that a mistyped --journal is one clear error, not a health
 * line that never turns green.
 */
export function journalPathProblem(path: string): string | null {
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (st.isDirectory()) return `${path} is a folder; expected the trader's journal file (SQLite, e.g. journals/paper-binance-BTC-USDT-1h.db)`;
  if (!st.isFile()) return `${path} is not a regular file; expected the trader's journal file (SQLite)`;
  if (st.size === 0) return null;
  const head = Buffer.alloc(16);
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    readSync(fd, head, 0, 16, 0);
  } catch (err) {
    return `${path} cannot be read (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (head.toString("latin1") !== "SQLite format 3\0") return `${path} is not a trader journal (not an SQLite file); expected the file the trader's --journal writes`;
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const tables = (db.prepare<unknown[]>("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Row[]).map((r) => String(r["name"]));
    // The trader creates `meta` first: tables without it are another program's database.
    if (tables.length > 0 && !tables.includes("meta")) return `${path} is an SQLite database without the trader's meta table (tables ${tables.slice(0, 3).join(", ")}${tables.length > 3 ? ", …" : ""}): not a trader journal`;
    return null;
  } catch {
    return null; // busy or mid-creation: the poll reports it
  } finally {
    db?.close();
  }
}

export class JournalSource {
  private journal: Journal | null = null;
  private barMs: number | null = null;
  private lastBar = -Infinity;
  private lastOrderUpdate = -Infinity;
  private lastEventSeq = 0;
  private lastControlSeq = 0;
  private lastGuidanceSeq = 0;
  private lastRiskJson: string | null = null;
  info: JournalInfo | null = null;

  constructor(
    readonly path: string,
    private readonly model: DashboardModel,
    private readonly opts: { readonly maxPoints?: number; readonly rereadBars?: number } = {},
  ) {}

  /** Reads what is new. Never throws: problems become the journal's health line. */
  poll(now: number): void {
    try {
      if (this.journal === null && !this.open()) return;
      this.read(now);
      this.model.journalStatus("ok", `${this.path} (${this.info?.mode ?? "?"} ${this.info?.symbol ?? ""} ${this.info?.timeframe ?? ""})`.trim());
    } catch (err) {
      this.model.journalStatus("error", `${this.path}: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
      this.close();
    }
  }

  close(): void {
    try {
      this.journal?.close();
    } catch {
      // a read-only handle: nothing to lose
    }
    this.journal = null;
  }

  private open(): boolean {
    if (!existsSync(this.path)) {
      this.model.journalStatus("missing", `${this.path} does not exist yet (the trader creates it)`);
      return false;
    }
    const j = Journal.openReadOnly(this.path);
    const meta = new Map<string, string>();
    try {
      for (const r of j.db.prepare<unknown[]>("SELECT key, value FROM meta").all() as Row[]) meta.set(String(r["key"]), String(r["value"]));
    } catch {
      j.close();
      this.model.journalStatus("missing", `${this.path} is not a trader journal yet`);
      return false;
    }
    if (!meta.has("run_id")) {
      j.close();
      this.model.journalStatus("missing", `${this.path} has no run yet`);
      return false;
    }
    this.journal = j;
    this.info = {
      path: j.path,
      runId: meta.get("run_id") ?? "",
      mode: meta.get("mode") ?? null,
      exchange: meta.get("exchange") ?? null,
      symbol: meta.get("symbol") ?? null,
      timeframe: meta.get("timeframe") ?? null,
      createdAt: meta.get("created_at") ?? null,
    };
    try {
      this.barMs = this.info.timeframe === null ? null : timeframeMs(this.info.timeframe);
    } catch {
      this.barMs = null;
    }
    if (this.barMs !== null) this.model.setBarMs(this.barMs);
    return true;
  }

  private all(sql: string, ...args: unknown[]): Row[] {
    try {
      return this.journal!.db.prepare<unknown[]>(sql).all(...args) as Row[];
    } catch (err) {
      // A table this trader version does not write: skipped.
      if (err instanceof Error && /no such table|no such column/.test(err.message)) return [];
      throw err;
    }
  }

  private read(now: number): void {
    const barMs = this.barMs;
    if (barMs !== null) {
      const reread = (this.opts.rereadBars ?? 5) * barMs;
      const from = Number.isFinite(this.lastBar) ? this.lastBar - reread : -Number.MAX_SAFE_INTEGER;
      const rows = this.all(
        `SELECT * FROM (SELECT e.bar_ts AS bar_ts, e.price AS price, e.cash AS cash, e.coins AS coins, e.value AS value, d.hold_reason AS hold_reason,
           COALESCE(SUM(o.cost_filled), 0) AS notional, COALESCE(SUM(o.fee), 0) AS fee, COALESCE(MAX(o.filled > 0), 0) AS executed
         FROM equity e LEFT JOIN decisions d ON d.bar_ts = e.bar_ts LEFT JOIN orders o ON o.decision_id = d.decision_id
         WHERE e.bar_ts > ? GROUP BY e.bar_ts ORDER BY e.bar_ts DESC LIMIT ?) ORDER BY bar_ts`,
        from,
        this.opts.maxPoints ?? 5_000,
      );
      const points: SeriesPoint[] = rows.map((r) => {
        // The backtest's "turned into a hold": a hold code other than the agent's own hold action.
        const hold = strOrNull(r["hold_reason"]);
        return {
          ts: num(r["bar_ts"]) + barMs,
          price: num(r["price"]),
          cash: numOrNull(r["cash"]),
          coins: numOrNull(r["coins"]),
          value: numOrNull(r["value"]),
          executed: num(r["executed"]) > 0,
          turnedIntoHold: hold !== null && hold !== "hold_action",
          notional: num(r["notional"]) || 0,
          fee: num(r["fee"]) || 0,
          source: "journal",
        };
      });
      if (points.length > 0) this.lastBar = Math.max(this.lastBar, num(rows.at(-1)!["bar_ts"]));
      this.model.journalPoints(points);

      const orders = this.all("SELECT client_order_id, side, average, filled, cost_filled, updated_at FROM orders WHERE filled > 0 AND updated_at >= ? ORDER BY updated_at", Number.isFinite(this.lastOrderUpdate) ? this.lastOrderUpdate : -Number.MAX_SAFE_INTEGER);
      const trades: TradeMark[] = [];
      for (const o of orders) {
        const id = parseClientOrderId(String(o["client_order_id"]));
        if (id === null) continue;
        const filled = num(o["filled"]);
        const price = numOrNull(o["average"]) ?? (filled > 0 ? num(o["cost_filled"]) / filled : Number.NaN);
        if (!Number.isFinite(price)) continue;
        trades.push({ ts: id.barTs + barMs, side: o["side"] === "sell" ? "sell" : "buy", price, coins: filled, source: "fill" });
        this.lastOrderUpdate = Math.max(this.lastOrderUpdate, num(o["updated_at"]));
      }
      this.model.journalTrades(trades);
    }

    const risk = this.all("SELECT value FROM state WHERE key = 'risk'")[0];
    if (risk !== undefined && String(risk["value"]) !== this.lastRiskJson) {
      this.lastRiskJson = String(risk["value"]);
      const r = readRiskState(this.lastRiskJson, now);
      if (r !== null) this.model.journalRisk(r);
    }

    const events = this.all("SELECT seq, ts, level, kind, message FROM events WHERE seq > ? ORDER BY seq LIMIT 500", this.lastEventSeq);
    if (events.length > 0) {
      this.lastEventSeq = num(events.at(-1)!["seq"]);
      this.model.journalEvents(events.map((e): EventEntry => ({ ts: num(e["ts"]), level: String(e["level"]), kind: String(e["kind"]), message: String(e["message"]).slice(0, 500) })));
    }

    const controls = this.all("SELECT seq, id, command, args, received_at, result, detail FROM controls WHERE seq > ? ORDER BY seq LIMIT 500", this.lastControlSeq);
    if (controls.length > 0) {
      this.lastControlSeq = num(controls.at(-1)!["seq"]);
      this.model.journalControls(controls.map((c) => ({ id: strOrNull(c["id"]), command: String(c["command"]), args: strOrNull(c["args"]), receivedAt: num(c["received_at"]), result: String(c["result"]), detail: strOrNull(c["detail"]) })));
    }

    const guidance = this.all("SELECT seq, id, version, status, detail, payload, received_at FROM guidance WHERE seq > ? ORDER BY seq LIMIT 500", this.lastGuidanceSeq);
    if (guidance.length > 0) {
      this.lastGuidanceSeq = num(guidance.at(-1)!["seq"]);
      for (const g of guidance) {
        const id = strOrNull(g["id"]);
        // A verdict is joined to its guidance by the message id; a seed-form message has none on the wire (the
        // trader's "seed:<n>" numbers its own arrivals, not the dashboard's), nor has a message too broken to name one.
        if (id === null || id.startsWith("seed:")) continue;
        const payload = strOrNull(g["payload"]);
        const parsed = payload === null ? null : parseGuidance(payload);
        const version = g["version"] === null || g["version"] === undefined ? null : num(g["version"]);
        this.model.guidanceVerdict(id, String(g["status"]), strOrNull(g["detail"]), parsed !== null && parsed.ok ? parsed.message : null, num(g["received_at"]), version);
      }
    }
  }
}
