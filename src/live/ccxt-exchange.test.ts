import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CcxtExchange, firstApiHost, redirectHosts } from "./ccxt-exchange.js";
import { startFakeBinance, type FakeBinance } from "./testing/fake-binance.js";

/** R8: sandbox fails closed; the resolved API host is logged, and requests go where it says (real ccxt). */
let fake: FakeBinance;
beforeAll(async () => {
  fake = await startFakeBinance();
  fake.price = 100;
});
afterAll(async () => {
  await fake.close();
});

describe("R8: sandbox mode", () => {
  it("an exchange without test URLs refuses to start with NotSupported, never falling back to production", async () => {
    const log: string[] = [];
    await expect(CcxtExchange.create({ exchangeId: "bitfinex", symbol: "BTC/USD", timeframe: "1h", mode: "live", sandbox: true, log: (l) => log.push(l) })).rejects.toMatchObject({
      code: "exchange_unsupported",
      where: "--sandbox",
      message: expect.stringMatching(/NotSupported.*refusing to fall back to production/),
    });
    expect(log).toEqual([]);
  });

  it("Binance's sandbox resolves to its testnet host, logged at start-up, and every request goes there", async () => {
    const log: string[] = [];
    const ex = await CcxtExchange.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "5m", mode: "live", sandbox: true, credentials: { apiKey: fake.apiKey, secret: fake.secret }, apiUrl: fake.url, ccxtOptions: { rateLimit: 1 }, log: (l) => log.push(l) });
    expect(ex.apiHost).toBe("testnet.binance.vision");
    expect(log).toEqual(["exchange binance (sandbox): API host testnet.binance.vision"]);
    await ex.market();
    await ex.fetchBalances();
    expect(fake.log.length).toBeGreaterThan(0);
    expect(new Set(fake.log.map((r) => r.host))).toEqual(new Set(["testnet.binance.vision"]));
    await ex.close();
  });

  it("without --sandbox the production host is used and logged", async () => {
    fake.log.length = 0;
    const log: string[] = [];
    const ex = await CcxtExchange.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "5m", mode: "paper", apiUrl: fake.url, ccxtOptions: { rateLimit: 1 }, log: (l) => log.push(l) });
    expect(log).toEqual(["exchange binance: API host api.binance.com"]);
    await ex.fetchLastPrice();
    expect(new Set(fake.log.map((r) => r.host))).toEqual(new Set(["api.binance.com"]));
    // Paper never reaches an order endpoint, even when asked directly.
    await expect(ex.createOrder({ clientOrderId: "drlabcdef-1-0", side: "buy", cost: 10 })).rejects.toMatchObject({ action: "halt" });
    await ex.close();
  });
});

describe("URL helpers", () => {
  it("redirects every API URL keeping the host as the first path segment", () => {
    expect(redirectHosts({ public: "https://api.binance.com/api/v3", sapi: { x: "https://api.binance.com/sapi/v1" } }, "http://127.0.0.1:9")).toEqual({
      public: "http://127.0.0.1:9/api.binance.com/api/v3",
      sapi: { x: "http://127.0.0.1:9/api.binance.com/sapi/v1" },
    });
    expect(firstApiHost({ sapi: "https://a.example/x", public: "https://b.example/y" })).toBe("b.example");
  });
});
