import { afterEach, describe, expect, it } from "vitest";
import { MarketHistory } from "../trading/market-history.js";
import { CandleStream, DEFAULT_CANDLE_STREAM_OPTIONS } from "./candle-stream.js";
import { CcxtCandleWatcher, CcxtExchange } from "./ccxt-exchange.js";
import { Feeder } from "./feeder.js";
import { Journal } from "./journal.js";
import { candles, HOUR, startHarness, T0, type Harness } from "./testing/harness.js";
import { startFakeBinance } from "./testing/fake-binance.js";
import type { TickReport } from "./trader.js";

/**
 * The websocket candle feed (candle-stream.ts, feeder.ts) with the REAL ccxt.pro `binance` class (watchOHLCV) against
 * the fake Binance's kline stream, REST (fetchOHLCV) against its REST API, on the harness's simulated clock: R22
 * (closed candles only, no gap, no duplicate, stale means no decision), R7 (paper never calls an order endpoint),
 * and the stream's fallback to REST and its return.
 */
let h: Harness;
afterEach(async () => {
  const done = h as Harness | undefined;
  h = undefined as never;
  await done?.close();
});

const BUY = 1;
const SELL = 2;
const HOLD = 0;

interface CandleRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  filled: number;
}
const journalCandles = (j: Journal): CandleRow[] => j.db.prepare<unknown[]>("SELECT ts, open, high, low, close, volume, filled FROM candles ORDER BY ts").all() as CandleRow[];
const decidedBars = (j: Journal): number[] => (j.db.prepare<unknown[]>("SELECT bar_ts FROM decisions ORDER BY bar_ts").all() as { bar_ts: number }[]).map((r) => (r.bar_ts - T0) / HOUR);
const feedEvents = (j: Journal): string[] => j.events("feed").map((e) => e.message);

/** The journal's candles are the fake's closed candles exactly: consecutive, each once, final values (never provisional). */
function expectExactHistory(j: Journal, lastBar: number): void {
  const rows = journalCandles(j);
  const served = new Map(h.fake.candles.map((c) => [c.ts, c]));
  expect(rows.length).toBeGreaterThan(10);
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.ts - rows[i - 1]!.ts).toBe(HOUR);
  expect(rows.at(-1)!.ts).toBe(T0 + lastBar * HOUR);
  for (const r of rows) {
    const c = served.get(r.ts)!;
    expect([r.open, r.high, r.low, r.close, r.volume, r.filled]).toEqual([c.open, c.high, c.low, c.close, c.volume, 0]);
  }
}

describe("the websocket candle feed", () => {
  it("R22: closed candles arrive over the websocket with no REST polling of klines in steady state, final values only; R7: paper sends zero order calls", async () => {
    const klinesAtTick: number[] = [];
    h = await startHarness({ mode: "paper", feed: "ws", script: (t) => (t % 2 === 0 ? BUY : SELL), hooks: { onTick: () => void klinesAtTick.push(h.fake.count("klines")) } });
    const { trader, summary } = await h.run(6);
    expect(summary.ticks).toBe(6);
    // Klines over REST: the warm-up's only. Every tick's candle came from the stream.
    expect(klinesAtTick).toHaveLength(6);
    expect(new Set(klinesAtTick).size).toBe(1);
    expect(trader.feeder.lastSource).toBe("stream");
    expect(h.fake.wsLog.filter((r) => r.kind === "final").map((r) => ((r.ts ?? 0) - T0) / HOUR)).toEqual([48, 49, 50, 51, 52]);
    // The forming candle went out (provisional values, x:false) many times, and none of it reached the history.
    expect(h.fake.wsUpdates).toBeGreaterThan(5);
    const j = Journal.openReadOnly(h.journalPath);
    expect(decidedBars(j)).toEqual([47, 48, 49, 50, 51, 52]);
    expectExactHistory(j, 52);
    // R7: the exchange saw no order call at all (the stream's client holds no keys, and paper never orders).
    expect(h.fake.log.filter((r) => r.route === "createOrder" || r.route === "cancelOrder" || r.route === "fetchOrder" || r.route === "openOrders" || r.route === "allOrders")).toEqual([]);
    expect(j.orders().length).toBeGreaterThan(0);
    // One line for the one transition (connecting → live); nothing asked of REST.
    expect(feedEvents(j)).toEqual(["candle stream live: closed candles arrive over the websocket (stream.binance.com:9443); REST only backfills gaps"]);
    j.close();
  });

  it("R22: the socket dropped mid-run: REST takes over with no gap or duplicate, then the websocket resumes; one log line per transition", async () => {
    let tick = 0;
    const sources: string[] = [];
    h = await startHarness({
      mode: "live",
      feed: "ws",
      paceMs: 60,
      stream: { backoffMs: [10, 20, 40] },
      script: () => HOLD,
      hooks: {
        onTick: (_r: TickReport, t) => {
          sources.push(t.feeder.lastSource);
          tick++;
          // After the 2nd tick the network drops the socket and refuses reconnects for 4 ticks (many attempts).
          if (tick === 2) {
            h.fake.wsRefuse = true;
            expect(h.fake.wsDrop()).toBe(1);
          }
          if (tick === 6) h.fake.wsRefuse = false;
        },
      },
    });
    const { stream } = await h.run(12);
    const j = Journal.openReadOnly(h.journalPath);
    expect(decidedBars(j)).toEqual([47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
    expectExactHistory(j, 58);
    // REST while down, and after the reconnect once more for the bars the stream missed; then the stream only.
    expect(sources.slice(2, 6).every((s) => s === "rest")).toBe(true);
    expect(sources.slice(-3)).toEqual(["stream", "stream", "stream"]);
    expect(h.fake.wsLog.filter((r) => r.kind === "refused").length).toBeGreaterThanOrEqual(2);
    // Several refused attempts, two transitions, two lines (plus the backfill note after the reconnect).
    expect(stream!.transitions.map((t) => t.state)).toEqual(["live", "down", "live"]);
    const lines = feedEvents(j);
    expect(lines.filter((m) => m.startsWith("candle stream down"))).toHaveLength(1);
    expect(lines.filter((m) => m.startsWith("candle stream live again"))).toHaveLength(1);
    expect(lines.filter((m) => m.startsWith("candle stream:")).length).toBeLessThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(4);
    j.close();
  });

  it("R22: a silent socket is taken down and REST takes over; with the market's data stalled too, stale data means no decision and a warning", async () => {
    let tick = 0;
    h = await startHarness({
      mode: "paper",
      feed: "ws",
      paceMs: 100,
      stream: { silenceMs: 300, backoffMs: [20, 40] },
      script: () => HOLD,
      hooks: {
        onTick: () => {
          tick++;
          if (tick === 2) h.fake.wsSilent = true; // open, answering pings, sending nothing
          // From the 5th tick the exchange has no candle after bar 51 (a stalled market): REST cannot help either.
          if (tick === 5) h.fake.candles = h.fake.candles.filter((c) => c.ts <= T0 + 51 * HOUR);
        },
      },
    });
    const { stream } = await h.run(9);
    const j = Journal.openReadOnly(h.journalPath);
    const ticks = j.db.prepare<unknown[]>("SELECT bar_ts, status FROM ticks ORDER BY bar_ts").all() as { bar_ts: number; status: string }[];
    const status = new Map(ticks.map((t) => [(t.bar_ts - T0) / HOUR, t.status]));
    // Bars up to 51 were decided (from REST after the silence), none after: stale, no decision.
    expect(decidedBars(j).at(-1)).toBe(51);
    expect(decidedBars(j)).toEqual(decidedBars(j).map((_, i) => 47 + i));
    expect([...status.entries()].filter(([bar]) => bar > 51).every(([, s]) => s === "stale" || s === "skipped")).toBe(true);
    expect([...status.values()].filter((s) => s === "stale").length).toBeGreaterThan(0);
    expect(j.events("stale").length).toBeGreaterThan(0);
    expect(stream!.transitions.map((t) => t.state).slice(0, 2)).toEqual(["live", "down"]);
    expect(stream!.transitions[1]!.why).toMatch(/silent socket/);
    expect(feedEvents(j).filter((m) => m.startsWith("candle stream down"))).toHaveLength(1);
    expectExactHistory(j, 51);
    j.close();
  });

  it("R22: a close the stream reports late is never taken from the forming candle: the feeder waits, then asks REST for the final values", async () => {
    let tick = 0;
    const sources: string[] = [];
    h = await startHarness({
      mode: "paper",
      feed: "ws",
      stream: { waitMs: 100 },
      script: () => HOLD,
      hooks: {
        onTick: (_r, t) => {
          sources.push(t.feeder.lastSource);
          tick++;
          // The closes of the 3rd and 4th ticks' bars come late (their forming updates keep coming).
          h.fake.wsHoldFinals = tick >= 2 && tick < 4;
        },
      },
    });
    await h.run(5);
    const j = Journal.openReadOnly(h.journalPath);
    expect(decidedBars(j)).toEqual([47, 48, 49, 50, 51]);
    expect(sources).toEqual(["stream", "stream", "rest", "rest", "stream"]);
    expect(feedEvents(j).filter((m) => /has not closed on the stream in time: asking REST/.test(m))).toHaveLength(2);
    expectExactHistory(j, 51);
    j.close();
  });
});

describe("the feeder over a stream that reconnected", () => {
  it("R22: a bar that closed while the socket was down is backfilled over REST, never skipped; the next ones come from the stream again", async () => {
    let now = T0 + 48 * HOUR + 1_000;
    const fake = await startFakeBinance({ now: () => now, wsUpdateMs: 20 });
    fake.candles = candles(T0, 100);
    const lines: string[] = [];
    const exchange = await CcxtExchange.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1h", mode: "paper", apiUrl: fake.url, ccxtOptions: { rateLimit: 1 } });
    const watcher = (await CcxtCandleWatcher.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1h", mode: "paper", apiUrl: fake.url }))!;
    const stream = new CandleStream(watcher, { ...DEFAULT_CANDLE_STREAM_OPTIONS, barMs: HOUR, silenceMs: 2_000, backoffMs: [10, 20], waitMs: 1_000, log: (_l, m) => void lines.push(m) });
    const feeder = new Feeder(exchange, new MarketHistory({ symbol: "BTC/USDT", exchange: "binance", timeframe: "1h" }, 400), { barMs: HOUR, offsetMs: 1_000, pageLimit: 1000, retries: { retries: 1, baseMs: 1, maxMs: 1 }, gapFill: "none", sleep: async () => undefined, log: (_l, m) => void lines.push(m) }, stream);
    const until = async (ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
      expect(ok()).toBe(true);
    };
    try {
      stream.start();
      expect(await stream.whenLive(5_000)).toBe(true);
      await feeder.warmup(40, now);
      expect(feeder.history.lastTs).toBe(T0 + 47 * HOUR);
      const klines = (): number => fake.count("klines");
      const afterWarmup = klines();
      now += HOUR; // bar 48 closes: from the stream
      expect((await feeder.update(now)).added).toBe(1);
      expect([feeder.lastSource, klines()]).toEqual(["stream", afterWarmup]);
      fake.wsRefuse = true;
      fake.wsDrop();
      await until(() => stream.state === "down");
      now += HOUR; // bar 49 closes while the socket is down, and no tick takes it (an overrun, a pause)
      await new Promise((r) => setTimeout(r, 30));
      fake.wsRefuse = false;
      await until(() => stream.isLive());
      now += HOUR; // bar 50 closes on the new connection; 49 never will
      const u = await feeder.update(now);
      expect([u.added, feeder.lastSource]).toEqual([2, "rest"]);
      expect(lines.some((m) => m.includes("candle of 2024-01-03T01:00:00.000Z is missing on the stream"))).toBe(true);
      now += HOUR; // bar 51: the stream again
      expect((await feeder.update(now)).added).toBe(1);
      expect(feeder.lastSource).toBe("stream");
      const ts = feeder.history.candles().timestamp;
      expect(Array.from(ts.slice(-4), (t) => (t - T0) / HOUR)).toEqual([48, 49, 50, 51]);
      const close = feeder.history.candles().close;
      expect(Array.from(close.slice(-4))).toEqual([48, 49, 50, 51].map((i) => fake.candles[i]!.close));
    } finally {
      await stream.stop();
      await exchange.close();
      await fake.close();
    }
  });
});

describe("the candle stream's exchange support", () => {
  it("an exchange without websocket candles in ccxt gets no watcher (--feed auto polls REST, --feed ws refuses)", async () => {
    expect(await CcxtCandleWatcher.create({ exchangeId: "bitflyer", symbol: "BTC/JPY", timeframe: "1h", mode: "paper" })).toBeNull();
    expect(await CcxtCandleWatcher.create({ exchangeId: "bitstamp", symbol: "BTC/USD", timeframe: "1h", mode: "paper" })).toBeNull();
    const w = await CcxtCandleWatcher.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1h", mode: "paper", sandbox: true });
    expect(w?.host).toBe("stream.testnet.binance.vision");
    await w?.close();
  });
});
