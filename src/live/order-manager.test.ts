import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientOrderId, decisionId, runTag } from "../trading/order-id.js";
import { assertClientSafety, CcxtExchange, createCcxtClient } from "./ccxt-exchange.js";
import type { ExchangeOrder } from "./exchange.js";
import { Journal } from "./journal.js";
import { OrderManager, type OrderManagerOptions } from "./order-manager.js";
import { startFakeBinance, type FakeBinance } from "./testing/fake-binance.js";
import { DEFAULT_READ_RETRIES, ReadFailed, withReadRetries } from "./retry.js";

/**
 * R1–R4 and R6 at the order manager, with the REAL ccxt `binance` class talking to a local imitation of Binance's
 * spot REST API (src/live/testing/fake-binance.ts) that injects the faults. Waits are recorded, not slept.
 */
let dir: string;
let fake: FakeBinance;
let ex: CcxtExchange;
let journal: Journal;
let delays: number[];
let events: { level: string; kind: string; message: string }[];
const RUN = "test-run";
const TAG = runTag(RUN);
const T0 = Date.UTC(2024, 0, 1, 12);
let bar = T0;

function manager(over: Partial<OrderManagerOptions> = {}): OrderManager {
  return new OrderManager(ex, journal, TAG, {
    lookupDelaysMs: [1_000, 2_000, 5_000, 10_000],
    confirmAbsentAfter: 3,
    maxSends: 2,
    pollDelaysMs: [1_000, 2_000, 5_000, 10_000],
    lostAfterMisses: 4,
    sleep: async (ms) => void delays.push(ms),
    now: () => Date.now(),
    log: (level, kind, message) => void events.push({ level, kind, message }),
    ...over,
  });
}

/** Journals an order intent for a new decision and returns its row. */
function intent(side: "buy" | "sell", size: number) {
  bar += 300_000;
  const d = decisionId(TAG, bar);
  const id = clientOrderId(d);
  journal.insertOrder(id, d, side, side === "buy" ? size : null, side === "sell" ? size : null, Date.now());
  return journal.order(id)!;
}

const ordersOnExchange = (id: string) => fake.orders.filter((o) => o.clientOrderId === id);
const posts = () => fake.log.filter((r) => r.route === "createOrder");

beforeAll(async () => {
  fake = await startFakeBinance({ balances: { USDT: 100_000, BTC: 2 } });
  fake.price = 50_000;
  ex = await CcxtExchange.create({
    exchangeId: "binance",
    symbol: "BTC/USDT",
    timeframe: "5m",
    mode: "live",
    credentials: { apiKey: fake.apiKey, secret: fake.secret },
    apiUrl: fake.url,
    timeoutMs: 1_500,
    ccxtOptions: { rateLimit: 1 },
  });
  await ex.market();
});
afterAll(async () => {
  await ex.close();
  await fake.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orders-"));
  journal = Journal.open(join(dir, "j.db"), { mode: "live", exchange: "binance", symbol: "BTC/USDT", timeframe: "5m", checkpointSha256: "x" }, () => RUN).journal;
  delays = [];
  events = [];
  fake.clearFaults();
  fake.log.length = 0;
  fake.orders.length = 0;
  fake.hideNewOrdersFor = 0;
  fake.fillSteps = 1;
  fake.expirePartial = false;
  fake.maintenance = false;
  fake.clockSkewMs = 0;
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("R1: unknown outcome of createOrder", () => {
  it("a timeout after the exchange accepted: looked up by client id, adopted, never resent", async () => {
    const row = intent("buy", 1000);
    fake.inject("createOrder", { kind: "accept_then_hang", delayMs: 4_000 });
    const out = await manager().place(row);
    expect(out.kind).toBe("done");
    expect(ordersOnExchange(row.clientOrderId)).toHaveLength(1);
    expect(posts()).toHaveLength(1);
    const saved = journal.order(row.clientOrderId)!;
    expect(saved.status).toBe("closed");
    expect(saved.sends).toBe(1);
    expect(saved.costFilled).toBeCloseTo(1000, 6);
    // The lookup asked for our client order id.
    expect(fake.log.some((r) => r.route === "fetchOrder" && r.query.origClientOrderId === row.clientOrderId)).toBe(true);
    expect(events.some((e) => e.kind === "order_found")).toBe(true);
  });

  it("a timeout before acceptance: confirmed absent after 3 lookups, resent with the SAME client id, exactly one order", async () => {
    const row = intent("buy", 500);
    fake.inject("createOrder", { kind: "hang", delayMs: 4_000 });
    const out = await manager().place(row);
    expect(out.kind).toBe("done");
    expect(ordersOnExchange(row.clientOrderId)).toHaveLength(1);
    const sent = posts();
    expect(sent).toHaveLength(2);
    expect(sent.map((r) => r.query.newClientOrderId)).toEqual([row.clientOrderId, row.clientOrderId]);
    expect(delays.slice(0, 3)).toEqual([1_000, 2_000, 5_000]);
    expect(journal.order(row.clientOrderId)!.sends).toBe(2);
  });

  it("503 and 429 on createOrder are unknown outcomes too (looked up before the resend)", async () => {
    for (const fault of [{ kind: "http", status: 503, msg: "Service Unavailable" }, { kind: "http", status: 429, code: -1003, msg: "Too many requests" }] as const) {
      const row = intent("sell", 0.01);
      fake.inject("createOrder", fault);
      const out = await manager().place(row);
      expect(out.kind).toBe("done");
      expect(ordersOnExchange(row.clientOrderId)).toHaveLength(1);
    }
  });

  it("a duplicate client order id means it is already placed: fetched and adopted", async () => {
    const row = intent("buy", 200);
    // A previous process sent it and died before it could record anything.
    journal.updateOrder(row.clientOrderId, { status: "intent" });
    await ex.createOrder({ clientOrderId: row.clientOrderId, side: "buy", cost: 200 });
    fake.log.length = 0;
    const out = await manager().place({ ...row, sends: 0, status: "intent" });
    expect(out.kind).toBe("done");
    expect(ordersOnExchange(row.clientOrderId)).toHaveLength(1);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.status).toBe(400); // "Duplicate order sent."
    expect(journal.order(row.clientOrderId)!.status).toBe("closed");
  });

  it("at most maxSends sends; then the order is LOST (funds reserved), never a third send", async () => {
    const row = intent("buy", 300);
    fake.inject("createOrder", { kind: "hang", delayMs: 4_000 }, 5);
    const out = await manager({ maxSends: 2 }).place(row);
    expect(out.kind).toBe("lost");
    expect(posts()).toHaveLength(2);
    expect(ordersOnExchange(row.clientOrderId)).toHaveLength(0);
    expect(journal.order(row.clientOrderId)!.status).toBe("lost");
  });

  it("start-up assertions: ccxt never retries order calls itself, and the rate limiter is on (R1, R4)", async () => {
    const { client } = await createCcxtClient({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "5m", mode: "live", ccxtOptions: { enableRateLimit: false, options: { maxRetriesOnFailure: 5 } } });
    expect(client.enableRateLimit).toBe(true);
    expect((client.options as Record<string, unknown>).maxRetriesOnFailure).toBe(0);
    (client.options as Record<string, unknown>).maxRetriesOnFailure = 3;
    expect(() => assertClientSafety(client)).toThrow(/maxRetriesOnFailure is 3, expected 0/);
    (client.options as Record<string, unknown>).maxRetriesOnFailure = 0;
    client.enableRateLimit = false;
    expect(() => assertClientSafety(client)).toThrow(/enableRateLimit === true/);
  });
});

describe("R2: not found after placement, network errors while polling", () => {
  it("OrderNotFound k times after a successful create, then found: stays pending, backs off, no second order", async () => {
    fake.fillSteps = 2; // accepted partially filled: the trader polls it
    fake.hideNewOrdersFor = 3;
    const row = intent("buy", 1000);
    const out = await manager({ pollDelaysMs: [1_000, 2_000, 5_000, 10_000, 10_000] }).place(row);
    expect(out.kind).toBe("done");
    expect(posts()).toHaveLength(1);
    expect(delays).toEqual([1_000, 2_000, 5_000, 10_000]);
    expect(events.filter((e) => e.kind === "order_not_found")).toHaveLength(3);
    expect(journal.order(row.clientOrderId)).toMatchObject({ status: "closed", misses: 0 });
  });

  it("after the limit of misses the order is LOST, and a later reconcile still adopts it", async () => {
    fake.fillSteps = 2;
    fake.hideNewOrdersFor = 6;
    const row = intent("buy", 800);
    const out = await manager({ lostAfterMisses: 4 }).place(row);
    expect(out.kind).toBe("lost");
    expect(journal.order(row.clientOrderId)!.status).toBe("lost");
    expect(posts()).toHaveLength(1);
    // Later ticks: the exchange answers again.
    await manager().reconcile(() => false);
    const after = journal.order(row.clientOrderId)!;
    expect(["open", "closed"]).toContain(after.status);
    expect(posts()).toHaveLength(1);
  });

  it("network errors on every poll never count as not found: the order stays pending, never failed locally", async () => {
    fake.fillSteps = 3;
    const row = intent("sell", 0.02);
    fake.inject("fetchOrder", { kind: "drop" }, 100);
    const out = await manager().place(row);
    expect(out.kind).toBe("open");
    const saved = journal.order(row.clientOrderId)!;
    expect(saved.status).toBe("open");
    expect(saved.misses).toBe(0);
    expect(posts()).toHaveLength(1);
  });

  it("a partial fill that expires is adopted with what it filled", async () => {
    fake.fillSteps = 2;
    fake.expirePartial = true;
    const row = intent("buy", 1000);
    const out = await manager().place(row);
    expect(out.kind).toBe("done");
    const saved = journal.order(row.clientOrderId)!;
    expect(saved.status).toBe("expired");
    expect(saved.costFilled).toBeCloseTo(500, 6);
  });
});

describe("R3: non-retryable exchange errors", () => {
  it("InsufficientFunds, InvalidOrder and BadSymbol: one call, the class named, the order rejected", async () => {
    const cases: Array<[string, () => void, number]> = [
      ["InsufficientFunds", () => undefined, 10_000_000],
      ["InvalidOrder", () => fake.inject("createOrder", { kind: "binance_error", code: -1013, msg: "Filter failure: LOT_SIZE" }), 100],
      ["BadSymbol", () => fake.inject("createOrder", { kind: "binance_error", code: -1121, msg: "Invalid symbol." }), 100],
    ];
    for (const [cls, setup, size] of cases) {
      fake.log.length = 0;
      const row = intent("buy", size);
      setup();
      const out = await manager().place(row);
      expect(out).toMatchObject({ kind: "rejected", error: { errorClass: cls } });
      expect(posts()).toHaveLength(1);
      expect(journal.order(row.clientOrderId)!.lastError).toMatch(new RegExp(`^${cls}:`));
      expect(events.some((e) => e.kind === "order_rejected" && e.message.includes(cls) && e.message.includes(row.clientOrderId))).toBe(true);
    }
  });

  it("AuthenticationError, PermissionDenied and AccountSuspended halt", async () => {
    const cases: Array<[string, number, string]> = [
      ["AuthenticationError", -2014, "API-key format invalid."],
      ["PermissionDenied", -2010, "This account may not place or cancel orders."],
      ["AccountSuspended", -2011, "This action is disabled on this account."],
    ];
    for (const [cls, code, msg] of cases) {
      fake.log.length = 0;
      const row = intent("buy", 100);
      fake.inject("createOrder", { kind: "binance_error", code, msg });
      const out = await manager().place(row);
      expect(out).toMatchObject({ kind: "halt", error: { errorClass: cls } });
      expect(posts()).toHaveLength(1);
    }
  });

  it("InvalidNonce: one retry after a clock re-sync, then halt", async () => {
    const row = intent("buy", 100);
    fake.inject("createOrder", { kind: "binance_error", code: -1021, msg: "Timestamp for this request is outside of the recvWindow." }, 2);
    const out = await manager().place(row);
    expect(out).toMatchObject({ kind: "halt", error: { errorClass: "InvalidNonce" } });
    expect(posts()).toHaveLength(2);
    expect(fake.count("time")).toBe(1);
    // Once re-synced, a single nonce error is survived.
    fake.log.length = 0;
    const ok = intent("buy", 100);
    fake.inject("createOrder", { kind: "binance_error", code: -1021, msg: "Timestamp for this request is outside of the recvWindow." }, 1);
    expect((await manager().place(ok)).kind).toBe("done");
    expect(posts()).toHaveLength(2);
  });
});

describe("R4: transient read errors and rate limits", () => {
  it("bounded retries with increasing backoff: calls ≤ retries + 1, then a ReadFailed (the tick is skipped)", async () => {
    const policy = { ...DEFAULT_READ_RETRIES, retries: 3, baseMs: 100 };
    const sleep = async (ms: number) => void delays.push(ms);
    fake.inject("klines", { kind: "drop" }, 2);
    const rows = await withReadRetries("fetchOHLCV", () => ex.fetchCandles(undefined, 5), policy, sleep);
    expect(Array.isArray(rows)).toBe(true);
    expect(fake.count("klines")).toBe(3);
    expect(delays).toEqual([100, 200]);

    fake.log.length = 0;
    delays = [];
    fake.inject("account", { kind: "http", status: 502, msg: "Bad Gateway" }, 10);
    await expect(withReadRetries("fetchBalance", () => ex.fetchBalances(), policy, sleep)).rejects.toBeInstanceOf(ReadFailed);
    expect(fake.count("account")).toBe(policy.retries + 1);
    expect(delays).toEqual([100, 200, 400]);

    for (const fault of [{ kind: "http", status: 429, code: -1003, msg: "Too many requests" }, { kind: "http", status: 418, code: -1003, msg: "IP banned" }] as const) {
      fake.log.length = 0;
      fake.clearFaults();
      fake.inject("ticker", fault, 10);
      await expect(withReadRetries("fetchTicker", () => ex.fetchLastPrice(), policy, sleep)).rejects.toMatchObject({ error: { errorClass: "DDoSProtection" } });
      expect(fake.count("ticker")).toBe(policy.retries + 1);
    }
    // Maintenance is transient (OnMaintenance ⊂ ExchangeNotAvailable): retried, never a halt.
    fake.clearFaults();
    fake.maintenance = true;
    await expect(withReadRetries("fetchBalance", () => ex.fetchBalances(), policy, sleep)).rejects.toMatchObject({ error: { errorClass: "OnMaintenance" } });
  });

  it("a non-retryable read error is thrown at once (one call)", async () => {
    fake.inject("account", { kind: "binance_error", code: -2014, msg: "API-key format invalid." });
    await expect(withReadRetries("fetchBalance", () => ex.fetchBalances(), DEFAULT_READ_RETRIES, async () => undefined)).rejects.toThrow(/API-key format invalid/);
    expect(fake.count("account")).toBe(1);
  });
});

describe("R6: reconcile with the exchange by our client order id prefix", () => {
  it("adopts what happened while the trader was down, ignores orders that are not ours, never re-places", async () => {
    // 1: journaled and sent (the answer never recorded); it filled on the exchange meanwhile.
    const sent = intent("buy", 1000);
    journal.updateOrder(sent.clientOrderId, { status: "unknown", sends: 1 });
    await ex.createOrder({ clientOrderId: sent.clientOrderId, side: "buy", cost: 1000 });
    // 2: an order of ours the journal never saw (an intent commit lost with a journal).
    const stray = clientOrderId(decisionId(TAG, T0 - 3_600_000));
    await ex.createOrder({ clientOrderId: stray, side: "sell", amount: 0.01 });
    // 3: another bot's order and a manual one.
    await ex.createOrder({ clientOrderId: "x-TKT5PX2Fother-bot", side: "buy", cost: 50 });
    await ex.createOrder({ clientOrderId: "web_manual_1", side: "sell", amount: 0.001 });
    // 4: an intent never sent, whose tick has passed.
    const stale = intent("buy", 100);
    fake.log.length = 0;
    const res = await manager().reconcile(() => false);
    expect(res).toEqual({ updated: 1, adopted: 1, abandoned: 1 });
    expect(journal.order(sent.clientOrderId)).toMatchObject({ status: "closed" });
    expect(journal.order(stray)).toMatchObject({ status: "closed", side: "sell" });
    expect(journal.order("x-TKT5PX2Fother-bot")).toBeNull();
    expect(journal.order("web_manual_1")).toBeNull();
    expect(journal.order(stale.clientOrderId)).toMatchObject({ status: "abandoned" });
    expect(posts()).toHaveLength(0);
  });

  it("an order cancelled on the exchange while the trader was down is recorded as cancelled (by the exchange, not locally)", async () => {
    fake.fillSteps = 3;
    const row = intent("buy", 600);
    journal.updateOrder(row.clientOrderId, { status: "unknown", sends: 1 });
    const placed: ExchangeOrder = await ex.createOrder({ clientOrderId: row.clientOrderId, side: "buy", cost: 600 });
    expect(placed.status).toBe("open");
    await ex.cancelOrder(row.clientOrderId);
    await manager().reconcile(() => false);
    const saved = journal.order(row.clientOrderId)!;
    expect(saved.status).toBe("canceled");
    expect(saved.costFilled).toBeCloseTo(200, 6);
  });
});
