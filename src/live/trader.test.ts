import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "./journal.js";
import { candles, HOUR, startHarness, T0, type Harness } from "./testing/harness.js";

/**
 * The trader loop against the REAL ccxt binance class and the local fake Binance, on a simulated clock:
 * R4 (a failed read skips the tick, no order; the next tick runs), R7 (paper never calls an order endpoint),
 * R10 (a lock survives a restart and is reported), R11 (kill switch: stop, cancel, stay stopped), R22 (stale or
 * broken candles: no decision), R23 (ticks after close + offset, an overrun skips, a heartbeat every tick),
 * balance drift, maintenance.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

const BUY = 1;
const SELL = 2;
const HOLD = 0;
const posts = () => h.fake.log.filter((r) => r.route === "createOrder");

describe("the trader loop", () => {
  it("R23: one tick per closed bar, after the close plus the offset, with a heartbeat; R6: every decision once", async () => {
    h = await startHarness({ mode: "live", script: (t) => (t % 2 === 0 ? BUY : SELL) });
    const { summary } = await h.run(5);
    expect(summary.ticks).toBe(5);
    const j = Journal.openReadOnly(h.journalPath);
    const ticks = j.db.prepare<unknown[]>("SELECT bar_ts, started_at, finished_at, status FROM ticks ORDER BY bar_ts").all() as { bar_ts: number; finished_at: number }[];
    expect(ticks.map((t) => t.bar_ts)).toEqual([47, 48, 49, 50, 51].map((k) => T0 + k * HOUR));
    for (const t of ticks) expect(t.finished_at).toBeGreaterThanOrEqual(t.bar_ts + HOUR + 1_000);
    const hb = JSON.parse(j.getState("tick")!) as { lastProcess: number; seq: number };
    expect(hb.seq).toBe(5);
    expect(h.reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(h.reports.every((r) => r.lastProcess >= r.ts)).toBe(true);
    // Five decisions, five orders on the exchange, each with its own client id, each once.
    expect(j.orders()).toHaveLength(5);
    expect(new Set(h.fake.orders.map((o) => o.clientOrderId)).size).toBe(5);
    j.close();
    // A restart continues at the next bar, never re-deciding one.
    await h.run(2);
    const j2 = Journal.openReadOnly(h.journalPath);
    expect(j2.decisionCount()).toBe(7);
    expect(h.fake.orders).toHaveLength(7);
    j2.close();
  });

  it("the recurrent state: warmed up over --warmup-bars bars before a new journal's first decision, then carried and saved with each decision", async () => {
    // The scripted policy's state counts its steps: 5 warm-up steps, then one per decision.
    h = await startHarness({ mode: "paper", script: () => HOLD, trader: { warmupBars: 5 } });
    await h.run(2);
    let j = Journal.openReadOnly(h.journalPath);
    const states = () => (j.db.prepare<unknown[]>("SELECT bar_ts FROM decisions ORDER BY bar_ts").all() as { bar_ts: number }[]).map((r) => j.decision(r.bar_ts)!.policyState[0]);
    expect(states()).toEqual([6, 7]);
    expect(j.events("warmup")).toHaveLength(1);
    j.close();
    // A restart continues the saved state and never warms up again.
    await h.run(1);
    j = Journal.openReadOnly(h.journalPath);
    expect(states()).toEqual([6, 7, 8]);
    expect(j.events("warmup")).toHaveLength(1);
    j.close();
  });

  it("R23: a tick that overruns the interval makes the next one be skipped, not stacked", async () => {
    let slow = true;
    h = await startHarness({
      mode: "live",
      script: () => HOLD,
      hooks: {
        beforeTick: () => {
          // The first tick takes 1.5 bars (a hung exchange, a slow disk).
          if (slow) void h.clock.sleepUntil(h.clock.now() + 1.5 * HOUR);
          slow = false;
        },
      },
    });
    await h.run(3);
    const j = Journal.openReadOnly(h.journalPath);
    const bars = (j.db.prepare<unknown[]>("SELECT bar_ts FROM decisions ORDER BY bar_ts").all() as { bar_ts: number }[]).map((r) => (r.bar_ts - T0) / HOUR);
    expect(bars).toEqual([47, 49, 50]);
    expect(j.events("tick_skipped").map((e) => e.message)[0]).toMatch(/1 tick\(s\) skipped/);
    j.close();
  });

  it("R4: balances unreadable after the retries: that tick is skipped with no order, the next one runs normally", async () => {
    let tick = 0;
    h = await startHarness({
      mode: "live",
      script: () => BUY,
      hooks: {
        beforeTick: () => {
          if (tick++ === 1) h.fake.inject("account", { kind: "http", status: 503, msg: "Service Unavailable" }, 3);
        },
      },
    });
    await h.run(3);
    const j = Journal.openReadOnly(h.journalPath);
    const statuses = (j.db.prepare<unknown[]>("SELECT status, detail FROM ticks ORDER BY bar_ts").all() as { status: string; detail: string }[]).map((t) => `${t.status}:${t.detail ?? ""}`);
    expect(statuses[1]).toBe("skipped:balances unavailable");
    expect(j.decisionCount()).toBe(2);
    expect(posts()).toHaveLength(2);
    expect(h.fake.count("account")).toBeGreaterThanOrEqual(3 + 2); // 3 calls (2 retries) on the failing tick
    j.close();
  });

  it("R7: in paper mode the exchange sees ZERO order calls; fills come from the backtest's fill model", async () => {
    h = await startHarness({ mode: "paper", script: (t) => [BUY, SELL, BUY, HOLD][t % 4]! });
    const { trader: t, journal, exchange } = await h.trader({ trader: { maxTicks: 4 } });
    const client = (exchange as unknown as { data: { client: Record<string, unknown> } }).data.client;
    const calls: string[] = [];
    for (const m of ["createOrder", "cancelOrder", "editOrder", "withdraw", "createMarketBuyOrderWithCost", "createMarketOrder"]) {
      const real = client[m] as (...a: unknown[]) => unknown;
      client[m] = (...a: unknown[]) => {
        calls.push(m);
        return real.apply(client, a);
      };
    }
    const summary = await t.run();
    await exchange.close();
    expect(summary.trades).toBe(3);
    expect(calls).toEqual([]);
    expect(h.fake.log.filter((r) => r.path === "/api/v3/order" || r.path.includes("withdraw"))).toEqual([]);
    expect(h.fake.log.every((r) => r.method === "GET")).toBe(true);
    expect(journal.orders().every((o) => o.status === "closed" && o.exchangeOrderId?.startsWith("sim-"))).toBe(true);
    journal.close();
  });

  it("R22: stale candles mean no decision and a warning; a broken candle is named by row and column", async () => {
    h = await startHarness({ mode: "live", script: () => BUY });
    // The exchange stops printing candles after bar 48.
    h.fake.candles = h.fake.candles.filter((c) => c.ts <= T0 + 48 * HOUR);
    await h.run(4);
    const j = Journal.openReadOnly(h.journalPath);
    expect(j.decisionCount()).toBe(2);
    const ticks = (j.db.prepare<unknown[]>("SELECT status FROM ticks ORDER BY bar_ts").all() as { status: string }[]).map((t) => t.status);
    expect(ticks).toEqual(["done", "done", "skipped", "stale"]);
    expect(j.events("stale")[0]!.message).toMatch(/stale data: latest closed candle 2024-01-03T00:00:00.000Z/);
    j.close();

    await h.close();
    h = await startHarness({ mode: "live", script: () => BUY });
    const bad = h.fake.candles[48]!;
    h.fake.candles[48] = { ...bad, high: bad.low - 1 };
    await h.run(2);
    const j2 = Journal.openReadOnly(h.journalPath);
    expect(j2.decisionCount()).toBe(1);
    expect(j2.events("bad_candles")[0]!.message).toMatch(/row \d+ \(2024-01-03T00:00:00.000Z\), column 3 \(high\): expected high >= max\(open, close\)/);
    j2.close();
  });

  it("R10: a losing streak locks entries; the lock survives a restart and is reported in every tick's state", async () => {
    // Prices fall: every sell after a buy loses.
    h = await startHarness({ mode: "live", script: (t) => (t % 2 === 0 ? BUY : SELL), risk: { losingStreak: 2, losingStreakLookbackMs: 24 * HOUR, losingStreakLockMs: 12 * HOUR } });
    h.fake.candles = candles(T0, 300, (i) => 200 - 0.5 * i);
    h.fake.price = null;
    await h.run(4);
    const j = Journal.openReadOnly(h.journalPath);
    const risk = JSON.parse(j.getState("risk")!) as { locks: { reason: string; until: number }[] };
    expect(risk.locks.map((l) => l.reason)).toEqual(["losing_streak"]);
    j.close();
    const before = posts().length;
    await h.run(3); // a new process: entries still locked, exits still work
    const after = h.reports.slice(-3);
    expect(after.every((r) => r.locks.some((l) => l.reason === "losing_streak"))).toBe(true);
    const j2 = Journal.openReadOnly(h.journalPath);
    const last3 = (j2.db.prepare<unknown[]>("SELECT side, risk_code FROM decisions ORDER BY bar_ts DESC LIMIT 3").all() as { side: string | null; risk_code: string }[]).reverse();
    expect(last3.map((d) => d.side)).toEqual([null, "sell", null]);
    expect([last3[0]!.risk_code, last3[2]!.risk_code]).toEqual(["entry_locked", "entry_locked"]);
    expect(posts().length - before).toBe(1); // the exit
    j2.close();
  });

  it("R11: the kill switch stops the trader, cancels our open orders, and it stays stopped across a restart until started", async () => {
    h = await startHarness({ mode: "live", script: () => BUY, risk: { killSwitchLoss: 0.1 } });
    h.fake.fillSteps = 0; // orders rest unfilled: there is something to cancel
    // A crash of the price at bar 50.
    h.fake.candles = candles(T0, 300, (i) => (i < 50 ? 100 : 40));
    await h.run(4);
    const j = Journal.openReadOnly(h.journalPath);
    const risk = JSON.parse(j.getState("risk")!) as { status: string; stopReason: string };
    expect(risk.status).toBe("stopped");
    expect(risk.stopReason).toMatch(/kill switch/);
    expect(j.events("kill_switch")).toHaveLength(1);
    expect(h.fake.orders.filter((o) => o.status === "CANCELED").length).toBeGreaterThan(0);
    expect(h.fake.orders.filter((o) => o.status === "NEW" || o.status === "PARTIALLY_FILLED")).toEqual([]);
    j.close();
    const n = posts().length;
    await h.run(2);
    expect(posts().length).toBe(n);
    expect(h.reports.at(-1)!.status).toBe("stopped");
    // An explicit start resumes trading.
    const { trader, journal, exchange } = await h.trader({ trader: { maxTicks: 1 } });
    await trader.run(new AbortController().signal).catch(() => undefined);
    expect(await trader.control({ command: "start", by: "test" })).toMatchObject({ result: "done", status: "running" });
    await exchange.close();
    journal.close();
    await h.run(1);
    expect(posts().length).toBe(n + 1);
  });

  it("balance drift is logged and the exchange's balances are used; maintenance skips ticks without an order", async () => {
    let tick = 0;
    h = await startHarness({
      mode: "live",
      script: () => HOLD,
      hooks: {
        onTick: () => {
          tick++;
          if (tick === 2) h.fake.balances.BTC!.free += 0.5; // a deposit between ticks 2 and 3
          // Maintenance during tick 4.
          h.fake.maintenance = tick === 3;
        },
      },
    });
    await h.run(5);
    const j = Journal.openReadOnly(h.journalPath);
    expect(j.events("balance_drift")).toHaveLength(1);
    expect(j.events("balance_drift")[0]!.message).toMatch(/coins 1 → 1.5/);
    expect(j.lastDecision()!.coins).toBeCloseTo(1.5, 12);
    const statuses = (j.db.prepare<unknown[]>("SELECT status, detail FROM ticks ORDER BY bar_ts").all() as { status: string; detail: string | null }[]).map((t) => `${t.status}:${t.detail ?? ""}`);
    expect(statuses).toEqual(["done:", "done:", "done:", "skipped:candles unavailable", "done:"]);
    expect(posts()).toHaveLength(0);
    j.close();
  });
});
