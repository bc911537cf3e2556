/**
 * The candle feed's benchmark section of `npm run bench` (`--only feed`): how long after a candle's close the
 * trader has decided on it, with candles over REST polling and over the websocket (--feed rest | ws).
 *
 * Real parts, real time: the paper trader (journal, SimBroker, a scripted policy on the article's env), the REAL
 * ccxt `binance` (REST) and ccxt.pro `binance` (watchOHLCV) clients, the local fake Binance in a child process, 1-second
 * candles on the system clock (Binance serves 1s klines), the tick `offsetMs` after each close. Figures:
 *   feed_<mode>_close_to_decision_ms_p50/_p90   the decision's journal commit (onTick) minus the candle's close;
 *   feed_ws_close_to_candle_ms_p50              the closed candle's arrival on the stream minus its close;
 *   feed_<mode>_cpu_ms_per_tick                 the trader process's CPU time per tick (the fake runs in a child process);
 *   feed_<mode>_fake_cpu_ms                     the fake exchange process's CPU time over its whole life (start-up included);
 *   feed_<mode>_klines_requests                 REST klines requests after the warm-up.
 * The tick waits for its offset in both modes (the schedule is the trader's, R23): what the stream saves at a tick is
 * the REST round trip (loopback here; tens to hundreds of ms to a real exchange), and it has the candle in hand at
 * close + its arrival delay.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveEnvConfig } from "../env/index.js";
import { DecisionModel } from "../trading/decide.js";
import { resolveRiskLimits } from "../trading/risk/risk-config.js";
import { CandleStream, DEFAULT_CANDLE_STREAM_OPTIONS } from "./candle-stream.js";
import { CcxtCandleWatcher, CcxtExchange } from "./ccxt-exchange.js";
import { SystemClock, sleepMs } from "./clock.js";
import { Journal } from "./journal.js";
import { PaperExchange } from "./paper-exchange.js";
import { SimBroker } from "./sim-broker.js";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { scriptedPolicy } from "./testing/harness.js";
import { DEFAULT_TRADER_OPTIONS, Trader } from "./trader.js";

export interface FeedBenchOptions {
  /** Ticks (1-second candles) per mode. */
  readonly ticks?: number;
  /** The tick starts this long after each close. */
  readonly offsetMs?: number;
  readonly log: (line: string) => void;
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

interface ModeFigures {
  readonly closeToDecision: number[];
  readonly closeToCandle: number[];
  readonly cpuMsPerTick: number;
  readonly fakeCpuMs: number;
  readonly klines: number;
  readonly decided: number;
}

/** The fake Binance in its own process (src/live/testing/fake-binance-process.ts). */
async function startFakeProcess(spec: { barMs: number; first: number; count: number; wsPollMs: number; wsUpdateMs: number }): Promise<{ url: string; stop(): Promise<{ cpuMs: number; klines: number }> }> {
  const script = fileURLToPath(new URL("./testing/fake-binance-process.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error("feed bench: the fake exchange process exited before it listened");
  const { url } = JSON.parse(first.value) as { url: string };
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      const last = await lines.next();
      await new Promise((r) => child.once("exit", r));
      return last.done === true ? { cpuMs: Number.NaN, klines: Number.NaN } : (JSON.parse(last.value) as { cpuMs: number; klines: number });
    },
  };
}

async function runMode(feed: "rest" | "ws", ticks: number, offsetMs: number, dir: string): Promise<ModeFigures> {
  const barMs = 1_000;
  const now = Date.now();
  const first = Math.floor(now / barMs) * barMs - 300 * barMs;
  const fake = await startFakeProcess({ barMs, first, count: 300 + ticks + 30, wsPollMs: 1, wsUpdateMs: 250 });
  const env = resolveEnvConfig("seed");
  const model = new DecisionModel(env);
  const journal = Journal.open(join(dir, `${feed}.db`), { mode: "paper", exchange: "binance", symbol: "BTC/USDT", timeframe: "1s", checkpointSha256: "bench" }, () => `bench-${feed}`).journal;
  const data = await CcxtExchange.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1s", mode: "paper", apiUrl: fake.url, ccxtOptions: { rateLimit: 1 } });
  let klinesAtStart = 0;
  const clock = new SystemClock();
  const exchange = new PaperExchange(data, new SimBroker(journal.db, model.terms, { cash: 10_000, coins: 1 }, (fn) => journal.statement(fn)), () => clock.now());
  let stream: CandleStream | null = null;
  if (feed === "ws") {
    const watcher = await CcxtCandleWatcher.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1s", mode: "paper", apiUrl: fake.url });
    if (watcher === null) throw new Error("feed bench: ccxt.pro binance has no watchOHLCV");
    stream = new CandleStream(watcher, { ...DEFAULT_CANDLE_STREAM_OPTIONS, barMs, silenceMs: 5_000 });
    stream.start();
    if (!(await stream.whenLive(5_000))) throw new Error("feed bench: the candle stream did not come up");
  }
  // REST klines requests, counted on our side of the wire (the fake's own count comes back when it stops).
  const requests = { klines: 0 };
  const fetchCandles = exchange.fetchCandles.bind(exchange);
  exchange.fetchCandles = (since, limit) => {
    requests.klines++;
    return fetchCandles(since, limit);
  };
  const closeToDecision: number[] = [];
  const closeToCandle: number[] = [];
  let klinesAfterWarmup = -1;
  let cpu0: NodeJS.CpuUsage | null = null;
  let cpuTicks = 0;
  const trader = new Trader(
    {
      exchange,
      journal,
      policy: scriptedPolicy((t) => (t % 3 === 0 ? 1 : t % 3 === 1 ? 2 : 0)),
      model,
      riskLimits: resolveRiskLimits("off"),
      clock,
      sleep: (ms) => sleepMs(ms),
      candleMeta: { symbol: "BTC/USDT", exchange: "binance", timeframe: "1s" },
      ...(stream === null ? {} : { candleStream: stream }),
      onTick: (r) => {
        const at = Date.now();
        // The first tick pays for the warm-up and start-up: the CPU window and the klines count start after it.
        if (klinesAfterWarmup < 0) {
          klinesAfterWarmup = 0;
          klinesAtStart = requests.klines;
          cpu0 = process.cpuUsage();
          return;
        }
        cpuTicks++;
        if (r.outcome !== "decided") return;
        closeToDecision.push(at - (r.barTs + barMs));
        const arrived = stream?.arrivalOf(r.barTs);
        if (arrived !== undefined) closeToCandle.push(arrived - (r.barTs + barMs));
      },
    },
    { ...DEFAULT_TRADER_OPTIONS, barMs, offsetMs, historyBars: 200, lateStartMs: 0, stopAfterBar: null, maxTicks: ticks + 1 },
  );
  let fakeStats: { cpuMs: number; klines: number };
  let cpu: NodeJS.CpuUsage;
  try {
    await trader.run();
  } finally {
    cpu = process.cpuUsage(cpu0 ?? undefined);
    await stream?.stop();
    await exchange.close();
    journal.close();
    fakeStats = await fake.stop();
  }
  return {
    closeToDecision,
    closeToCandle,
    cpuMsPerTick: (cpu.user + cpu.system) / 1000 / Math.max(1, cpuTicks),
    fakeCpuMs: fakeStats.cpuMs,
    klines: requests.klines - klinesAtStart,
    decided: closeToDecision.length,
  };
}

export async function benchFeed(opts: FeedBenchOptions): Promise<Record<string, number>> {
  const ticks = opts.ticks ?? 20;
  const offsetMs = opts.offsetMs ?? 100;
  const dir = mkdtempSync(join(tmpdir(), "feed-bench-"));
  const out: Record<string, number> = { feed_ticks: ticks, feed_offset_ms: offsetMs };
  try {
    for (const feed of ["rest", "ws"] as const) {
      const m = await runMode(feed, ticks, offsetMs, dir);
      out[`feed_${feed}_close_to_decision_ms_p50`] = quantile(m.closeToDecision, 0.5);
      out[`feed_${feed}_close_to_decision_ms_p90`] = quantile(m.closeToDecision, 0.9);
      out[`feed_${feed}_cpu_ms_per_tick`] = Number(m.cpuMsPerTick.toFixed(2));
      out[`feed_${feed}_fake_cpu_ms`] = Number(m.fakeCpuMs.toFixed(0));
      out[`feed_${feed}_klines_requests`] = m.klines;
      if (feed === "ws") out.feed_ws_close_to_candle_ms_p50 = quantile(m.closeToCandle, 0.5);
      opts.log(
        `feed ${feed}: close → decision median ${quantile(m.closeToDecision, 0.5)} ms, p90 ${quantile(m.closeToDecision, 0.9)} ms over ${m.decided} decisions (offset ${offsetMs} ms); ` +
          `trader process CPU ${m.cpuMsPerTick.toFixed(2)} ms per 1-s tick (the fake exchange runs in its own process); ${m.klines} klines requests after the warm-up` +
          (feed === "ws" ? `; closed candle on the stream ${quantile(m.closeToCandle, 0.5)} ms after the close (median)` : ""),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
