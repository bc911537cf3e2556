import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript } from "../cli/testing.js";
import { DEFAULT_ORDER_OPTIONS } from "../live/order-manager.js";
import { forcedActionCheckpoint, trainTestCheckpoint } from "../live/testing/checkpoints.js";
import { startFakeBinance, type FakeBinance } from "../live/testing/fake-binance.js";
import { Journal } from "../live/journal.js";
import { defaultJournalPath, journalPathFor, LIVE_WARMUP_BARS, replayJobOptions, resolveMode, runTradeJob, type TradeJobOptions } from "./trade-job.js";

/**
 * R7 at the job and the command: paper unless live is explicit, live needs the confirmation and the keys, and
 * paper and live state never share a journal. Usage errors of `npm run trade` exit 2 naming the flag.
 */
const dir = mkdtempSync(join(tmpdir(), "trade-job-"));
let ck: string;
let fake: FakeBinance;
beforeAll(async () => {
  ck = await trainTestCheckpoint(dir, "seed");
  fake = await startFakeBinance({ balances: { USDT: 1000, BTC: 0 } });
  const H = 3_600_000;
  const first = Math.floor(Date.now() / H) * H - 100 * H;
  fake.candles = Array.from({ length: 110 }, (_, i) => ({ ts: first + i * H, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 1 }));
}, 120_000);
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = (over: Partial<TradeJobOptions>): TradeJobOptions => ({
  checkpoint: ck,
  exchange: "binance",
  symbol: "BTC/USDT",
  timeframe: "1h",
  live: false,
  confirmLive: false,
  sandbox: false,
  replay: null,
  risk: "off",
  apiUrl: fake.url,
  maxTicks: 1,
  traderOptions: { lateStartMs: 3_600_000 },
  env: {},
  ...over,
});

describe("R7: dry-run by default, with isolation", () => {
  it("no mode flag means paper (its own default journal); live needs --live explicitly", () => {
    expect(resolveMode({ live: false, replay: null })).toBe("paper");
    expect(resolveMode({ live: true, replay: null })).toBe("live");
    expect(defaultJournalPath("paper", "binance", "BTC/USDT", "1h")).toBe(join("journals", "paper-binance-BTC-USDT-1h.db"));
    expect(defaultJournalPath("live", "binance", "BTC/USDT", "1h")).not.toBe(defaultJournalPath("paper", "binance", "BTC/USDT", "1h"));
    const run = { live: false, replay: null, exchange: "binance", sandbox: false, symbol: "BTC/USDT", timeframe: "1h" } as const;
    const paths = [journalPathFor(run), journalPathFor({ ...run, sandbox: true }), journalPathFor({ ...run, live: true }), journalPathFor({ ...run, live: true, sandbox: true })];
    expect(paths).toEqual([join("journals", "paper-binance-BTC-USDT-1h.db"), join("journals", "paper-binance-sandbox-BTC-USDT-1h.db"), join("journals", "live-binance-BTC-USDT-1h.db"), join("journals", "live-binance-sandbox-BTC-USDT-1h.db")]);
    expect(new Set(paths).size).toBe(4);
    expect(journalPathFor({ ...run, live: true, journal: "mine.db" })).toBe("mine.db");
    // A replay's options are a replay whatever else is passed (a cast-away live flag included): never paper, never live.
    const replay = replayJobOptions({ checkpoint: "ck", replay: { data: null, tickMs: 0 }, ...({ live: true, confirmLive: true } as object) });
    expect([resolveMode(replay), replay.live, replay.confirmLive, replay.exchange, replay.risk]).toEqual(["replay", false, false, "replay", "standard"]);
    expect(journalPathFor(replay)).toBe(join("journals", "replay-replay-BTC-USD-1h.db"));
  });

  it("live without the confirmation, or without keys, refuses to start before any request", async () => {
    fake.log.length = 0;
    await expect(runTradeJob(base({ live: true, journal: join(dir, "l1.db") }))).rejects.toMatchObject({ code: "invalid_config", where: "--confirm-live" });
    await expect(runTradeJob(base({ live: true, confirmLive: true, journal: join(dir, "l2.db") }))).rejects.toMatchObject({ code: "invalid_config", where: "TRADER_API_KEY" });
    expect(fake.log).toEqual([]);
  });

  it("a checkpoint of another bar length is refused before the journal is created or any request is made", async () => {
    fake.log.length = 0;
    const journal = join(dir, "tf.db");
    await expect(runTradeJob(base({ timeframe: "5m", journal }))).rejects.toMatchObject({ code: "checkpoint_mismatch", where: "--timeframe" });
    expect(existsSync(journal)).toBe(false);
    expect(fake.log).toEqual([]);
  });

  it("a paper run never orders; live pointed at the paper journal refuses to start", async () => {
    const journal = join(dir, "paper.db");
    const paper = await runTradeJob(base({ journal }));
    expect(paper.summary.mode).toBe("paper");
    expect(fake.log.filter((r) => r.path === "/api/v3/order")).toEqual([]);
    await expect(runTradeJob(base({ live: true, confirmLive: true, journal, env: { TRADER_API_KEY: fake.apiKey, TRADER_API_SECRET: fake.secret } }))).rejects.toMatchObject({ code: "journal_mismatch" });
    // A new paper journal warms the recurrent state up over LIVE_WARMUP_BARS bars before its first decision.
    const j = Journal.openReadOnly(journal);
    expect(j.events("warmup").map((e) => e.message)).toEqual([`recurrent state warmed up over ${LIVE_WARMUP_BARS} bars`]);
    j.close();
  });

  it("a replay starts its recurrent state from reset, as the backtest does (no warm-up unless asked)", async () => {
    const journal = join(dir, "replay-warm.db");
    await runTradeJob(replayJobOptions({ checkpoint: ck, replay: { data: null, start: "2021-03-01", end: "2021-03-02", tickMs: 0 }, journal }));
    const j = Journal.openReadOnly(journal);
    expect(j.events("warmup")).toEqual([]);
    j.close();
  });
});

describe("the candle feed of paper and live runs (--feed)", () => {
  it("auto takes the exchange's websocket where ccxt has watchOHLCV, rest never opens one, ws refuses an exchange without it before claiming a journal", async () => {
    const auto = join(dir, "feed-auto.db");
    const connects = () => fake.wsLog.filter((r) => r.kind === "connect").length;
    const before = connects();
    await runTradeJob(base({ journal: auto }));
    expect(connects()).toBe(before + 1);
    const j = Journal.openReadOnly(auto);
    expect(j.events("feed").map((e) => e.message)).toEqual([expect.stringMatching(/^candle stream live: closed candles arrive over the websocket \(stream\.binance\.com:9443\)/)]);
    j.close();
    const lines: string[] = [];
    await runTradeJob(base({ journal: join(dir, "feed-rest.db"), feed: "rest", log: (l) => void lines.push(l) }));
    expect(connects()).toBe(before + 1);
    expect(lines).toContain("feed: REST polling once per tick (--feed rest)");
    const refused = join(dir, "feed-ws.db");
    await expect(runTradeJob(base({ exchange: "bitstamp", symbol: "BTC/USD", feed: "ws", journal: refused }))).rejects.toMatchObject({ code: "exchange_unsupported", where: "--feed" });
    expect(existsSync(refused)).toBe(false);
  }, 60_000);
});

describe("R1: a stop signal during an order's lookups", () => {
  it("does not cut the backoff short: an order accepted but not yet visible is found and adopted, never resent", async () => {
    const M = 60_000;
    const first = Math.floor(Date.now() / M) * M - 300 * M;
    const ex = await startFakeBinance({ balances: { USDT: 1000, BTC: 0 } });
    try {
      ex.candles = Array.from({ length: 320 }, (_, i) => ({ ts: first + i * M, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 1 }));
      const buyer = forcedActionCheckpoint(ck, join(dir, "buyer-1m"), 1, "1m"); // the article's scheme: 1 = buy
      // createOrder is accepted but answered past the client's timeout; lookups by id miss it for 1.5 s.
      ex.inject("createOrder", { kind: "accept_then_hang", delayMs: 5_000 });
      ex.hideNewOrdersForMs = 1_500;
      const stop = new AbortController();
      const watch = setInterval(() => {
        if (ex.count("createOrder") > 0) stop.abort();
      }, 5);
      const out = await runTradeJob(
        base({
          checkpoint: buyer,
          timeframe: "1m",
          apiUrl: ex.url,
          live: true,
          confirmLive: true,
          env: { TRADER_API_KEY: ex.apiKey, TRADER_API_SECRET: ex.secret },
          journal: join(dir, "stop-during-lookup.db"),
          timeoutMs: 500,
          maxTicks: null,
          traderOptions: { lateStartMs: 120_000, order: { ...DEFAULT_ORDER_OPTIONS, lookupDelaysMs: [400, 400, 400, 400], pollDelaysMs: [100] } },
          signal: stop.signal,
        }),
      ).finally(() => clearInterval(watch));
      expect(out.summary.stoppedBy).toBe("signal");
      // One request, one order, adopted: a lookup schedule collapsed by the signal would have resent it.
      expect(ex.log.filter((r) => r.route === "createOrder")).toHaveLength(1);
      expect(ex.orders).toHaveLength(1);
      const j = Journal.openReadOnly(join(dir, "stop-during-lookup.db"));
      expect(j.orders().map((o) => [o.status, o.sends])).toEqual([["closed", 1]]);
      j.close();
    } finally {
      await ex.close();
    }
  }, 60_000);
});

describe("npm run trade (a real process)", () => {
  it("usage errors exit 2 naming the flag; a runtime error exits 1 in one line", async () => {
    const conflict = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--live", "--paper"]);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/^npm run trade: conflicting_flags at --live: /m);
    const missing = await runScript("scripts/trade.ts", []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing_value at --checkpoint/);
    const window = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--start", "2021-03-01"]);
    expect(window.code).toBe(2);
    expect(window.stderr).toMatch(/at --start: --start sets the window of a --replay/);
    const feed = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--replay", "embedded", "--feed", "ws"]);
    expect(feed.code).toBe(2);
    expect(feed.stderr).toMatch(/conflicting_flags at --feed: --feed chooses the candles of paper and live runs/);
    const gone = await runScript("scripts/trade.ts", ["--checkpoint", join(dir, "no-such-checkpoint"), "--replay", "embedded", "--timeframe", "1h", "--symbol", "BTC/USD", "--journal", join(dir, "gone.db")]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^npm run trade: checkpoint_missing at .*no-such-checkpoint\/manifest\.json: no checkpoint at /)]);
    const live = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--timeframe", "1h", "--live", "--confirm-live", "--api-url", fake.url, "--journal", join(dir, "cli-live.db")], { env: { ...process.env, TRADER_API_KEY: "", TRADER_API_SECRET: "" } });
    expect(live.code).toBe(1);
    expect(live.stderr.trim().split("\n").at(-1)).toMatch(/^npm run trade: invalid_config at TRADER_API_KEY: live trading needs API credentials in the environment/);
  }, 120_000);
});
