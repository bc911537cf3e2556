import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CandleCsvError, FetchError } from "./errors.js";
import { backoffDelayMs, createExchange, fetchCandles, progressPrinter, type FetchProgress, type OhlcvExchange } from "./fetch.js";

/**
 * The downloader against the real ccxt `bitfinex` class, pointed at a local imitation of the Bitfinex v2
 * candles endpoint. No test touches the network: the exchange's URLs all lead to 127.0.0.1.
 */

const H = 3_600_000;
const T0 = Date.UTC(2020, 0, 1);
const TOTAL_BARS = 41; // bars 0..40; bar 40 is still forming at NOW
const GAP = new Set([17, 18, 19]); // an outage: these hours have no candle
const NOW = T0 + 40 * H + 30 * 60_000;

interface Bar {
  mts: number;
  open: number;
  close: number;
  high: number;
  low: number;
  volume: number;
}

function makeBars(): Bar[] {
  const bars: Bar[] = [];
  for (let i = 0; i < TOTAL_BARS; i++) {
    if (GAP.has(i)) continue;
    const open = 7000 + i * 12.5;
    const close = open + (i % 3 === 0 ? -7.25 : 9.75);
    bars.push({
      mts: T0 + i * H,
      open,
      close,
      high: Math.max(open, close) + 3.5,
      low: Math.min(open, close) - 2.25,
      volume: 10 + i * 0.125,
    });
  }
  return bars;
}
const BARS = makeBars();

/** What the final file must hold: every closed bar, columns in the project's order (not Bitfinex's). */
function expectedCsv(untilMs = Infinity): string {
  const lines = ["timestamp,open,high,low,close,volume"];
  for (const b of BARS) {
    if (b.mts + H > NOW || b.mts >= untilMs) continue;
    lines.push([b.mts, b.open, b.high, b.low, b.close, b.volume].join(","));
  }
  return lines.join("\n") + "\n";
}

type Reply = "ok" | 429 | 503 | 500 | "bad_page";

interface FakeBitfinex {
  readonly url: string;
  /** Every request's path and query, in order. */
  readonly log: { path: string; query: URLSearchParams; status: number }[];
  /** Decides the reply to the n-th candles request (0-based, counted from the last reset). */
  plan: (n: number) => Reply;
  /** Forgets the log and the request count; every reply "ok" again. */
  reset(): void;
  close(): Promise<void>;
}

async function startFakeBitfinex(): Promise<FakeBitfinex> {
  const log: FakeBitfinex["log"] = [];
  const fake = { plan: (_n: number): Reply => "ok", candleRequests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const send = (status: number, body: string, type = "application/json"): void => {
      log.push({ path: u.pathname, query: u.searchParams, status });
      res.writeHead(status, { "Content-Type": type });
      res.end(body);
    };
    // ccxt's loadMarkets asks two conf endpoints (currencies, then pairs); minimal fixtures that list BTC/USD.
    if (u.pathname.startsWith("/v2/conf/")) {
      const pairs = u.pathname.includes("pub:info:pair");
      return send(200, JSON.stringify(pairs ? [[["BTCUSD", [null, null, null, "0.0002", "2000.0"]]], [], [], []] : Array.from({ length: 11 }, () => [])));
    }
    if (u.pathname !== "/v2/candles/trade:1h:tBTCUSD/hist") return send(404, JSON.stringify(["error", 10020, "not found"]));
    const reply = fake.plan(fake.candleRequests++);
    if (reply === 429) return send(429, JSON.stringify(["error", 11010, "ratelimit: error"]));
    if (reply === 503) return send(503, "Service Unavailable", "text/plain");
    if (reply === 500) return send(500, JSON.stringify(["error", 10020, "symbol: invalid"]));
    const start = Number(u.searchParams.get("start") ?? "0");
    const end = Number(u.searchParams.get("end") ?? String(Number.MAX_SAFE_INTEGER));
    const limit = Number(u.searchParams.get("limit") ?? "100");
    const ascending = u.searchParams.get("sort") === "1";
    let rows = BARS.filter((b) => b.mts >= start && b.mts <= end);
    if (!ascending) rows = rows.reverse();
    rows = rows.slice(0, limit);
    // Bitfinex's column order: [MTS, OPEN, CLOSE, HIGH, LOW, VOLUME].
    const body = rows.map((b) => [b.mts, b.open, b.close, b.high, b.low, b.volume]);
    if (reply === "bad_page" && body.length > 1) body[1]![3] = body[1]![2]! - 100; // high below close
    return send(200, JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    get plan() {
      return fake.plan;
    },
    set plan(p) {
      fake.plan = p;
    },
    reset() {
      log.length = 0;
      fake.candleRequests = 0;
      fake.plan = () => "ok";
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function localBitfinex(url: string): Promise<OhlcvExchange> {
  const ex = await createExchange("bitfinex", { rateLimit: 1, timeout: 5000 }, url);
  expect((ex as unknown as { urls: { api: unknown } }).urls.api).toEqual({ v1: url, public: url, private: url });
  // Markets set up front make ccxt's loadMarkets a no-op: only the candles endpoint is exercised.
  (ex as unknown as { setMarkets(m: unknown[]): unknown }).setMarkets([
    {
      id: "tBTCUSD",
      symbol: "BTC/USD",
      base: "BTC",
      quote: "USD",
      baseId: "BTC",
      quoteId: "USD",
      type: "spot",
      spot: true,
      margin: false,
      swap: false,
      future: false,
      option: false,
      contract: false,
      active: true,
    },
  ]);
  return ex;
}

let dir: string;
let server: FakeBitfinex;

beforeAll(async () => {
  server = await startFakeBitfinex();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fetch-test-"));
  server.reset();
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function baseConfig(out: string) {
  return { exchange: "bitfinex", symbol: "BTC/USD", timeframe: "1h", since: T0, out, limit: 7, maxRetries: 3, baseDelayMs: 10, maxDelayMs: 1000 };
}

function candleStarts(): number[] {
  return server.log.filter((r) => r.path.includes("/candles/")).map((r) => Number(r.query.get("start")));
}

describe("fetchCandles against a local Bitfinex v2 imitation (real ccxt)", () => {
  it("pages, retries 429 and 503 with exponential backoff, drops the forming bar, writes the exact file", async () => {
    const out = join(dir, "btc.csv");
    // request 1 → 429, request 2 (its retry) → 503, request 5 → 503
    server.plan = (n) => (n === 1 ? 429 : n === 2 ? 503 : n === 5 ? 503 : "ok");
    const delays: number[] = [];
    const events: FetchProgress[] = [];
    const result = await fetchCandles(baseConfig(out), {
      exchange: await localBitfinex(server.url),
      sleep: async (ms) => void delays.push(ms),
      now: () => NOW,
      onProgress: (e) => events.push(e),
    });
    expect(readFileSync(out, "utf8")).toBe(expectedCsv());
    expect(delays).toEqual([10, 20, 10]);
    expect(result.retries).toBe(3);
    expect(result.newRows).toBe(BARS.length - 1);
    expect(result.report?.rows).toBe(BARS.length - 1);
    expect(result.report?.gaps.count).toBe(1);
    expect(result.report?.gaps.missingBars).toBe(3);
    // Only the candles endpoint was called, always ascending from a bar boundary, each page right after the last.
    expect(server.log.every((r) => r.path === "/v2/candles/trade:1h:tBTCUSD/hist")).toBe(true);
    expect(server.log.map((r) => r.status)).toEqual([200, 429, 503, 200, 200, 503, 200, 200, 200]);
    const okStarts = server.log.filter((r) => r.status === 200).map((r) => Number(r.query.get("start")));
    // pages of 7 bars from the server's order: 0-6, 7-13, 14-16+20-23, 24-30, 31-37, 38-40 (40 still forming)
    expect(okStarts).toEqual([T0, T0 + 7 * H, T0 + 14 * H, T0 + 24 * H, T0 + 31 * H, T0 + 38 * H]);
    expect(server.log.every((r) => r.query.get("sort") === "1" && r.query.get("limit") === "7")).toBe(true);
    expect(events.filter((e) => e.kind === "page").length).toBe(6);
    expect(events.filter((e) => e.kind === "retry").map((e) => (e.kind === "retry" ? e.attempt : 0))).toEqual([1, 2, 1]);
    expect(events.at(-1)).toMatchObject({ kind: "done", newRows: BARS.length - 1 });
    expect(readdirSync(dir)).toEqual(["btc.csv"]); // no temp files left
  });

  it("builds its own ccxt exchange from apiUrl, loading markets from the server", async () => {
    const out = join(dir, "own.csv");
    const result = await fetchCandles(
      { ...baseConfig(out), apiUrl: server.url, exchangeOptions: { rateLimit: 1 } },
      { sleep: async () => {}, now: () => NOW },
    );
    expect(readFileSync(out, "utf8")).toBe(expectedCsv());
    expect(result.newRows).toBe(BARS.length - 1);
    const paths = server.log.map((r) => r.path);
    expect(paths.filter((p) => p.startsWith("/v2/conf/"))).toHaveLength(2);
    expect(paths.filter((p) => p.includes("/candles/"))).toHaveLength(6);
    await expect(fetchCandles({ ...baseConfig(join(dir, "eth.csv")), symbol: "ETH/USD", apiUrl: server.url, exchangeOptions: { rateLimit: 1 } }, { now: () => NOW })).rejects.toMatchObject({
      code: "bad_request",
    });
  });

  it("an interrupted run resumes to the same bytes as an uninterrupted one, never re-downloading saved rows", async () => {
    const whole = join(dir, "whole.csv");
    await fetchCandles(baseConfig(whole), { exchange: await localBitfinex(server.url), sleep: async () => {}, now: () => NOW });

    const part = join(dir, "part.csv");
    server.reset();
    server.plan = (n) => (n < 2 ? "ok" : 503); // the exchange goes down after page 2
    const err = await fetchCandles(baseConfig(part), { exchange: await localBitfinex(server.url), sleep: async () => {}, now: () => NOW }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe("retries_exhausted");
    expect((err as FetchError).savedRows).toBe(14);
    expect((err as FetchError).since).toBe(T0 + 14 * H);
    expect(readFileSync(part, "utf8")).toBe(expectedCsv().split("\n").slice(0, 15).join("\n") + "\n");

    server.reset();
    const events: FetchProgress[] = [];
    const resumed = await fetchCandles(baseConfig(part), {
      exchange: await localBitfinex(server.url),
      sleep: async () => {},
      now: () => NOW,
      onProgress: (e) => events.push(e),
    });
    expect(readFileSync(part, "utf8")).toBe(readFileSync(whole, "utf8"));
    expect(resumed.existingRows).toBe(14);
    expect(resumed.newRows).toBe(BARS.length - 1 - 14);
    expect(events[0]).toMatchObject({ kind: "start", resumed: true, existingRows: 14, from: T0 + 14 * H });
    expect(Math.min(...candleStarts())).toBe(T0 + 14 * H);
  });

  it("an abort between pages keeps what was saved; the next run completes the file", async () => {
    const out = join(dir, "abort.csv");
    const ctl = new AbortController();
    const err = await fetchCandles(baseConfig(out), {
      exchange: await localBitfinex(server.url),
      now: () => NOW,
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.kind === "page" && e.page === 1) ctl.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe("aborted");
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(8);
    await fetchCandles(baseConfig(out), { exchange: await localBitfinex(server.url), now: () => NOW });
    expect(readFileSync(out, "utf8")).toBe(expectedCsv());
  });

  it("a complete file makes no candle request and stays byte-identical", async () => {
    const out = join(dir, "done.csv");
    await fetchCandles(baseConfig(out), { exchange: await localBitfinex(server.url), now: () => NOW });
    const before = readFileSync(out, "utf8");
    server.reset();
    const again = await fetchCandles(baseConfig(out), { exchange: await localBitfinex(server.url), now: () => NOW + 20 * 60_000 });
    // at NOW + 20 min bar 40 is still open, so nothing can be added — and nothing is asked for beyond one probe
    expect(readFileSync(out, "utf8")).toBe(before);
    expect(again.newRows).toBe(0);
    expect(candleStarts().every((s) => s === T0 + 40 * H)).toBe(true);
    expect(candleStarts().length).toBeLessThanOrEqual(1);
  });

  it("honours --until (exclusive) and stops asking once past it", async () => {
    const out = join(dir, "until.csv");
    const until = T0 + 12 * H;
    await fetchCandles({ ...baseConfig(out), until }, { exchange: await localBitfinex(server.url), now: () => NOW });
    expect(readFileSync(out, "utf8")).toBe(expectedCsv(until));
    expect(candleStarts()).toEqual([T0, T0 + 7 * H]);
  });

  it("a page that breaks a candle rule fails the run with bad_page, keeping earlier pages", async () => {
    const out = join(dir, "bad.csv");
    server.plan = (n) => (n === 1 ? "bad_page" : "ok");
    const err = await fetchCandles(baseConfig(out), { exchange: await localBitfinex(server.url), now: () => NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).code).toBe("bad_page");
    expect((err as FetchError).message).toContain("high_below_open_close");
    expect((err as FetchError).savedRows).toBe(7);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(8);
  });

  it("does not retry errors that are not network or rate-limit errors", async () => {
    const out = join(dir, "err.csv");
    server.plan = () => 500; // Bitfinex answers a bad request with 500 + ["error", code, text]
    const delays: number[] = [];
    const err = await fetchCandles(baseConfig(out), {
      exchange: await localBitfinex(server.url),
      sleep: async (ms) => void delays.push(ms),
      now: () => NOW,
    }).catch((e: unknown) => e);
    expect((err as FetchError).code).toBe("exchange_error");
    expect(delays).toEqual([]);
    expect(server.log).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to extend an existing file that is not valid, leaving it untouched", async () => {
    const out = join(dir, "broken.csv");
    const broken = "timestamp,open,high,low,close,volume\n1577836800000,1,2,0.5,1.5,3\n1577836800000,1,2,0.5,1.5,3\n";
    writeFileSync(out, broken);
    const err = await fetchCandles(baseConfig(out), { exchange: await localBitfinex(server.url), now: () => NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CandleCsvError);
    expect((err as CandleCsvError).code).toBe("duplicate_timestamp");
    expect(readFileSync(out, "utf8")).toBe(broken);
    expect(server.log).toHaveLength(0);
  });

  it("rejects a bad config before doing anything", async () => {
    const out = join(dir, "x.csv");
    await expect(fetchCandles({ ...baseConfig(out), timeframe: "7m" })).rejects.toMatchObject({ code: "bad_request" });
    await expect(fetchCandles({ ...baseConfig(out), since: "2020-13-01" })).rejects.toMatchObject({ code: "bad_date" });
    await expect(fetchCandles({ ...baseConfig(out), until: T0 })).rejects.toMatchObject({ code: "bad_request" });
    await expect(fetchCandles({ ...baseConfig(out), exchange: "nosuchexchange" })).rejects.toMatchObject({ code: "bad_request" });
  });
});

describe("backoff and progress", () => {
  it("doubles from the base delay and caps", () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("prints a line per page without a TTY and a redrawn bar on one", () => {
    const page: FetchProgress = { kind: "page", page: 2, newRows: 7, totalRows: 14, lastTimestamp: T0 + 13 * H, fraction: 0.5 };
    const plain: string[] = [];
    progressPrinter({ write: (s: string) => plain.push(s) })(page);
    expect(plain).toEqual(["page 2: +7 rows (14 total) up to 2020-01-01T13:00:00Z  50.0%\n"]);
    const tty: string[] = [];
    progressPrinter({ write: (s: string) => tty.push(s), isTTY: true })(page);
    expect(tty[0]).toMatch(/^\r\[#{15}-{15}\]  50\.0%/);
  });
});
