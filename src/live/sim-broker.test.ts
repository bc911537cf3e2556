import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExchangeFault } from "./exchange.js";
import { Journal } from "./journal.js";
import { SimBroker } from "./sim-broker.js";

/**
 * The simulated exchange writes an order and the account it leaves with one statement: a duplicate client order
 * id must change nothing and be reported as a duplicate (whatever else is wrong with the request), the ids must be
 * AUTOINCREMENT's, and the fill must be the hand-worked one.
 */
const dir = mkdtempSync(join(tmpdir(), "sim-broker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let k = 0;
function open(groupCommit: number): Journal {
  const { journal } = Journal.open(join(dir, `j${k++}.db`), { mode: "replay", exchange: "test", symbol: "BTC/USD", timeframe: "1h", checkpointSha256: "x" }, () => "run-1");
  journal.setGroupCommit(groupCommit);
  return journal;
}
const terms = { commission: 0.001, buyFactor: 1, sellFactor: 1 };
const fault = (fn: () => unknown): ExchangeFault => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ExchangeFault) return err;
    throw err;
  }
  throw new Error("no fault");
};
const table = (j: Journal) => ({
  orders: j.db.prepare<unknown[]>("SELECT seq, client_order_id, filled, cost, fee, coins_delta, cash_delta FROM sim_orders ORDER BY seq").all(),
  account: j.db.prepare<unknown[]>("SELECT cash, coins FROM sim_account").all(),
});

describe("SimBroker", () => {
  for (const groupCommit of [1, 100]) {
    it(`R1, R6: fills, refuses a duplicate without a change, numbers orders as AUTOINCREMENT would (group commit ${groupCommit})`, () => {
      const j = open(groupCommit);
      const b = new SimBroker(j.db, terms, { cash: 1_000, coins: 0 }, (fn) => j.statement(fn));
      const o1 = b.execute({ clientOrderId: "c1", side: "buy", cost: 500 }, 100, 7);
      // Hand-worked: 500 USD at 100 with 0.1 % commission → 4.995 coins, cash 500.
      expect(o1).toMatchObject({ id: "sim-1", clientOrderId: "c1", status: "closed", cost: 500, average: 100, cashDelta: -500, timestamp: 7 });
      expect(o1.coinsDelta).toBeCloseTo(4.995, 12);
      expect(b.find("c1")).toEqual(o1);
      const before = table(j);
      expect(fault(() => b.execute({ clientOrderId: "c1", side: "buy", cost: 100 }, 100, 8)).action).toBe("duplicate");
      // A duplicate is a duplicate even when the request could not be filled anyway (no price, no funds).
      expect(fault(() => b.execute({ clientOrderId: "c1", side: "buy", cost: 100 }, Number.NaN, 8)).action).toBe("duplicate");
      expect(fault(() => b.execute({ clientOrderId: "c1", side: "buy", cost: 1e9 }, 100, 8)).action).toBe("duplicate");
      expect(table(j)).toEqual(before);
      expect(b.balances()).toEqual({ cash: 500, coins: o1.coinsDelta, cashFree: 500, coinsFree: o1.coinsDelta });
      expect(fault(() => b.execute({ clientOrderId: "c2", side: "buy", cost: 1e9 }, 100, 8)).errorClass).toBe("InsufficientFunds");
      expect(fault(() => b.execute({ clientOrderId: "c2", side: "buy", cost: 10 }, 0, 8)).action).toBe("retry");
      const o2 = b.execute({ clientOrderId: "c2", side: "sell", amount: 1 }, 200, 9);
      expect(o2.id).toBe("sim-2");
      j.flush();
      // A restarted broker on the same database continues the numbering and the account.
      const b2 = new SimBroker(j.db, terms, { cash: 1_000, coins: 0 }, (fn) => j.statement(fn));
      expect(b2.balances().cash).toBe(500 + 200 * 0.999);
      expect(b2.execute({ clientOrderId: "c3", side: "buy", cost: 1 }, 100, 10).id).toBe("sim-3");
      expect(b2.recent(0).map((o) => o.id)).toEqual(["sim-1", "sim-2", "sim-3"]);
      // The one the first broker would number next was taken by the second: its stale seq is refused, then re-read.
      expect(() => b.execute({ clientOrderId: "c4", side: "buy", cost: 1 }, 100, 11)).toThrow(/stale seq/);
      expect(b.execute({ clientOrderId: "c4", side: "buy", cost: 1 }, 100, 11).id).toBe("sim-4");
      j.close();
    });
  }
});
