import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Journal, type DecisionRecord } from "./journal.js";

/**
 * Journal.write (the rows of a tick gathered and written by one statement) against Journal.transaction (every row
 * its own statement): the same calls must leave the same tables, a failure must leave nothing, and reads inside a
 * write must see its rows.
 */
const dir = mkdtempSync(join(tmpdir(), "journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function open(groupCommit = 1): Journal {
  const { journal } = Journal.open(join(dir, `j${n++}.db`), { mode: "replay", exchange: "test", symbol: "BTC/USD", timeframe: "1h", checkpointSha256: "x" }, () => "run-1");
  journal.setGroupCommit(groupCommit);
  return journal;
}

const H = 3_600_000;
function decision(bar: number, side: "buy" | "sell" | null): DecisionRecord {
  return {
    decisionId: `d${bar}`,
    barTs: bar,
    createdAt: bar + H + 1_000,
    price: 100 + bar / H / 3,
    cash: 1_000 / 3,
    coins: 0.1 + 1e-17,
    value: Math.PI * 1_000,
    action: side === "buy" ? 1 : side === "sell" ? 2 : 0,
    probabilities: [0.1, 0.2, 0.7],
    criticValue: -0.123456789012345,
    holdReason: side === null ? "hold" : null,
    guidance: null,
    riskCode: "pass",
    riskDetail: null,
    side,
    spend: side === "buy" ? 33.333333333333336 : null,
    amount: side === "sell" ? 0.05 : null,
    policyState: Float64Array.from({ length: 16 }, (_, i) => Math.sin(bar + i) / 7),
    riskState: JSON.stringify({ bar }),
  };
}

/** One hold tick and one traded tick as the trader writes them, through `tx` (write or transaction). */
function tick(j: Journal, bar: number, side: "buy" | "sell" | null, tx: "write" | "transaction"): void {
  const run = (fn: () => void) => (tx === "write" ? j.write(fn) : j.transaction(fn));
  run(() => {
    j.upsertCandles([{ ts: bar, open: 1.1, high: 2.2, low: 0.3, close: 1.7, volume: 12.5 }]);
    j.recordEquity({ barTs: bar, price: 1.7, cash: 1_000 / 3, coins: 0.1, value: 1_000 / 3 + 0.17 });
    j.recordDecision(decision(bar, side), side === null ? null : { clientOrderId: `o${bar}` });
    j.setState("risk", JSON.stringify({ risk: bar }));
  });
  if (side !== null) {
    j.updateOrder(`o${bar}`, { status: "closed", filled: 0.25, costFilled: 25, average: 100, fee: 0.1, coinsDelta: 0.25, cashDelta: -25.1, sends: 1, updatedAt: bar + H + 2_000 });
    run(() => {
      for (const o of j.unappliedFills()) j.updateOrder(o.clientOrderId, { applied: 1 });
      j.setState("risk", JSON.stringify({ risk: bar, applied: true }));
      j.finishTick(bar, "done", bar + H + 3_000, "traded");
      j.setState("tick", JSON.stringify({ seq: bar / H }));
    });
  }
}

function dump(j: Journal): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of ["candles", "equity", "decisions", "orders", "ticks", "state"]) {
    out[t] = j.db.prepare<unknown[]>(`SELECT * FROM ${t} ORDER BY 1`).all().map((r) => {
      const { _metadata: _, ...rest } = r as Record<string, unknown>;
      return rest;
    });
  }
  return out;
}

describe("Journal.write: a tick's rows in one statement", () => {
  it("leaves exactly the rows the same calls leave through transaction(), values bit for bit", () => {
    for (const group of [1, 7]) {
      const a = open(group);
      const b = open(group);
      for (let k = 0; k < 20; k++) {
        const side = k % 3 === 0 ? null : k % 3 === 1 ? "buy" : "sell";
        tick(a, k * H, side, "transaction");
        tick(b, k * H, side, "write");
      }
      a.flush();
      b.flush();
      const da = dump(a);
      expect(da.decisions!.length).toBe(20);
      expect(da.orders!.length).toBe(13);
      expect(dump(b)).toEqual(da);
      expect(b.lastDecision()!.policyState).toEqual(decision(19 * H, "buy").policyState);
      a.close();
      b.close();
    }
  });

  it("a failure anywhere in write() leaves nothing, whether the rows were still held or already written", () => {
    const j = open();
    expect(() =>
      j.write(() => {
        j.recordEquity({ barTs: H, price: 1, cash: 1, coins: 1, value: 2 });
        j.recordDecision(decision(H, "buy"), { clientOrderId: "oH" });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(() =>
      j.write(() => {
        j.recordEquity({ barTs: 2 * H, price: 1, cash: 1, coins: 1, value: 2 });
        j.event(0, "info", "test", "a direct write: the held rows are written first, in an opened transaction");
        j.recordDecision(decision(2 * H, null), null);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    // A second decision for the same bar violates the table's UNIQUE(bar_ts): the statement fails, nothing lands.
    j.write(() => j.recordDecision(decision(3 * H, null), null));
    expect(() =>
      j.write(() => {
        j.recordEquity({ barTs: 3 * H, price: 1, cash: 1, coins: 1, value: 2 });
        j.recordDecision({ ...decision(3 * H, null), decisionId: "other" }, null);
      }),
    ).toThrow(/UNIQUE/);
    const d = dump(j);
    expect(d.equity).toEqual([]);
    expect(d.orders).toEqual([]);
    expect(d.decisions!.map((r) => (r as { bar_ts: number }).bar_ts)).toEqual([3 * H]);
    expect(j.events("test")).toEqual([]);
    expect(j.hasUnresolvedOrders()).toBe(false);
    j.close();
  });

  it("reads inside a write see its rows (read your writes), and a nested transaction keeps its own rollback", () => {
    const j = open(5);
    j.write(() => {
      j.recordDecision(decision(H, "buy"), { clientOrderId: "oH" });
      expect(j.order("oH")?.status).toBe("intent");
      expect(j.ordersOf(`d${H}`).map((o) => o.clientOrderId)).toEqual(["oH"]);
      expect(j.hasUnresolvedOrders()).toBe(true);
      expect(j.lastDecision()?.barTs).toBe(H);
      j.setState("tick", "t1");
      expect(j.getState("tick")).toBe("t1");
      j.setState("tick", "t2"); // a second row of a kind: the first is written, then this one is held
      j.finishTick(H, "done", 5, "x");
      expect(j.tick(H)?.detail).toBe("x");
      expect(() =>
        j.transaction(() => {
          j.recordEquity({ barTs: H, price: 1, cash: 1, coins: 1, value: 2 });
          throw new Error("inner");
        }),
      ).toThrow("inner");
      j.recordEquity({ barTs: 2 * H, price: 2, cash: 2, coins: 2, value: 6 });
    });
    j.flush();
    expect(j.getState("tick")).toBe("t2");
    expect(j.equity().map((e) => e.barTs)).toEqual([2 * H]);
    // The cached intent row equals the table's.
    const fresh = Journal.openReadOnly(j.path);
    expect(j.order("oH")).toEqual(fresh.order("oH"));
    j.updateOrder("oH", { status: "closed", filled: 1, updatedAt: 9 });
    j.flush();
    expect(j.order("oH")).toEqual(fresh.order("oH"));
    expect(j.hasUnresolvedOrders()).toBe(false);
    fresh.close();
    j.close();
  });
});

describe("Journal: the orders served from memory", () => {
  it("read back exactly as the table reads them (a reader's queries), after writes, a rollback and a NaN / -0 patch", () => {
    for (const groupCommit of [1, 100]) {
      const j = open(groupCommit);
      const sql = (): Journal => {
        j.flush();
        return Journal.openReadOnly(j.path);
      };
      // Before anything is read, then after (the memory is filled on the first read, then kept up to date).
      j.write(() => j.recordDecision(decision(0, "buy"), { clientOrderId: "o0" }));
      expect(j.unresolvedOrders().map((o) => o.clientOrderId)).toEqual(["o0"]);
      j.updateOrder("o0", { status: "unknown", sends: 1, updatedAt: 5 });
      j.updateOrder("o0", { status: "closed", filled: 0.5, costFilled: 50, average: Number.NaN, fee: 0.05, coinsDelta: 0.5, cashDelta: -0, updatedAt: 6 });
      j.insertOrder("o1", "d1", "sell", null, 0.25, 7, "open");
      // A tie on created_at: rowid order (a query's order of ties depends on its plan: the same status here).
      j.insertOrder("o2", "d1", "sell", null, 0.125, 7, "open");
      j.write(() => j.recordDecision(decision(H, "sell"), { clientOrderId: "o3" }));
      // A rolled-back transaction leaves nothing, in the table or in memory.
      expect(() =>
        j.transaction(() => {
          j.updateOrder("o1", { status: "closed", filled: 0.25, updatedAt: 8 });
          j.insertOrder("o4", "d4", "buy", 1, null, 8);
          throw new Error("boom");
        }),
      ).toThrow("boom");
      j.write(() => {
        for (const o of j.unappliedFills()) j.updateOrder(o.clientOrderId, { applied: 1 });
      });
      const r = sql();
      expect(j.orders()).toEqual(r.orders());
      expect(j.unresolvedOrders()).toEqual(r.unresolvedOrders());
      expect(j.unappliedFills()).toEqual(r.unappliedFills());
      expect(j.ordersOf("d1")).toEqual(r.ordersOf("d1"));
      expect(j.ordersOf("d0")).toEqual(r.ordersOf("d0"));
      expect(j.order("o0")).toEqual(r.order("o0"));
      expect(j.order("o4")).toBeNull();
      expect(j.hasUnresolvedOrders()).toBe(r.hasUnresolvedOrders());
      expect(j.order("o0")).toMatchObject({ average: null, cashDelta: 0, applied: 1 });
      expect(j.ordersOf("d1").map((o) => o.clientOrderId)).toEqual(["o1", "o2"]);
      r.close();
      j.close();
    }
  });
});
