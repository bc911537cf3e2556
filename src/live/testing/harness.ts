/**
 * A trader wired for tests: the real Trader, journal, order manager, feeder and risk manager, the REAL ccxt
 * `binance` class against the local fake Binance (live or paper mode), on a simulated clock that the fake's
 * market follows, with a scripted policy (the order flow is under test here, not the agent: replay-parity.test.ts
 * runs trained checkpoints).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Policy } from "../../agent/policy.js";
import { resolveEnvConfig, type EnvConfigRequest } from "../../env/index.js";
import { DecisionModel } from "../../trading/decide.js";
import { resolveRiskLimits, type RiskLimitsInput } from "../../trading/risk/risk-config.js";
import { CandleStream, DEFAULT_CANDLE_STREAM_OPTIONS, type CandleStreamOptions } from "../candle-stream.js";
import { CcxtCandleWatcher, CcxtExchange } from "../ccxt-exchange.js";
import { ReplayClock } from "../clock.js";
import type { Exchange } from "../exchange.js";
import { Journal } from "../journal.js";
import { PaperExchange } from "../paper-exchange.js";
import { SimBroker } from "../sim-broker.js";
import { DEFAULT_TRADER_OPTIONS, Trader, type TickReport, type TraderDeps, type TraderOptions } from "../trader.js";
import { startFakeBinance, type FakeBinance, type FakeCandle } from "./fake-binance.js";
import type { Bus } from "../../bus/bus.js";
import { TraderLink } from "../bus-link.js";

export const HOUR = 3_600_000;
/** The harness's first bar (a Monday, 00:00 UTC). */
export const T0 = Date.UTC(2024, 0, 1);

/** A policy that plays a fixed script of actions (by tick index), with the tick index as its recurrent state. */
export function scriptedPolicy(script: (tick: number) => number, actionCount = 3, observationSize = 7): Policy<null> {
  const state = new Float64Array(1);
  return {
    manifest: null,
    observationSize,
    actionCount,
    head: { kind: "categorical", actions: actionCount },
    reset: () => void state.fill(0),
    act: () => {
      const action = script(state[0]!);
      state[0]! += 1;
      return { action, probabilities: Array.from({ length: actionCount }, (_, k) => (k === action ? 1 : 0)), side: action, size: null, gaussian: null, value: 0 };
    },
    getState: () => state.slice(),
    setState: (s) => void state.set(s),
  };
}

/** Hourly candles around 100 → 100 + drift per bar, from `from` (ms) for `n` bars. */
export function candles(from: number, n: number, price: (i: number) => number = (i) => 100 + i): FakeCandle[] {
  return Array.from({ length: n }, (_, i) => {
    const close = price(i);
    const open = i === 0 ? close : price(i - 1);
    return { ts: from + i * HOUR, open, high: Math.max(open, close) + 0.5, low: Math.min(open, close) - 0.5, close, volume: 10 + i };
  });
}

export interface HarnessOptions {
  readonly mode: "live" | "paper";
  readonly script: (tick: number) => number;
  readonly env?: EnvConfigRequest;
  readonly risk?: RiskLimitsInput;
  readonly balances?: Readonly<Record<string, number>>;
  readonly history?: number;
  /** Trader option overrides. */
  readonly trader?: Partial<TraderOptions>;
  readonly hooks?: Pick<TraderDeps, "onTick" | "beforeTick" | "guidance">;
  /** Put the trader on this bus (ppo_state, guidance, control) through a TraderLink. */
  readonly bus?: Bus;
  /** Real ms per tick (0: as fast as possible): lets messages land between ticks. */
  readonly paceMs?: number;
  /** Candles over REST polling (the default) or the fake's kline websocket through ccxt.pro (a CandleStream). */
  readonly feed?: "rest" | "ws";
  /** Candle stream timings (ws feed). */
  readonly stream?: Partial<Omit<CandleStreamOptions, "barMs" | "log">>;
}

export interface Harness {
  readonly fake: FakeBinance;
  readonly clock: ReplayClock;
  readonly dir: string;
  readonly journalPath: string;
  readonly reports: TickReport[];
  /** The bus links made so far (the last is the running trader's). */
  readonly links: TraderLink[];
  /** A fresh trader on the same journal (a restart), with the same exchange and clock. */
  trader(over?: Partial<HarnessOptions>): Promise<{ trader: Trader; journal: Journal; exchange: Exchange; link: TraderLink | null; stream: CandleStream | null }>;
  /** Runs `ticks` ticks in a fresh trader (a process life) and closes it. */
  run(ticks: number, over?: Partial<HarnessOptions>, signal?: AbortSignal): Promise<{ trader: Trader; summary: Awaited<ReturnType<Trader["run"]>>; link: TraderLink | null; stream: CandleStream | null }>;
  close(): Promise<void>;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "trader-h-"));
  const history = opts.history ?? 48;
  const clock = new ReplayClock(T0 + history * HOUR + 1_000, opts.paceMs ?? 0);
  const fake = await startFakeBinance({ balances: opts.balances ?? { USDT: 10_000, BTC: 1 }, now: () => clock.now(), minNotional: 1, wsUpdateMs: 20 });
  fake.candles = candles(T0, history + 200);
  const journalPath = join(dir, `${opts.mode}.db`);
  const reports: TickReport[] = [];
  const links: TraderLink[] = [];
  const env = resolveEnvConfig(opts.env ?? "seed");
  const policyByScript = new Map<(t: number) => number, Policy<null>>();

  const trader = async (over: Partial<HarnessOptions> = {}) => {
    const o = { ...opts, ...over };
    const data = await CcxtExchange.create({
      exchangeId: "binance",
      symbol: "BTC/USDT",
      timeframe: "1h",
      mode: o.mode,
      ...(o.mode === "live" ? { credentials: { apiKey: fake.apiKey, secret: fake.secret } } : {}),
      apiUrl: fake.url,
      timeoutMs: 5_000,
      ccxtOptions: { rateLimit: 1 },
    });
    const journal = Journal.open(journalPath, { mode: o.mode, exchange: "binance", symbol: "BTC/USDT", timeframe: "1h", checkpointSha256: "scripted" }, () => "harness-run").journal;
    let stream: CandleStream | null = null;
    if (o.feed === "ws") {
      const watcher = await CcxtCandleWatcher.create({ exchangeId: "binance", symbol: "BTC/USDT", timeframe: "1h", mode: o.mode, apiUrl: fake.url, timeoutMs: 5_000, ccxtOptions: { rateLimit: 1 } });
      if (watcher === null) throw new Error("harness: ccxt.pro binance has no watchOHLCV");
      stream = new CandleStream(watcher, { ...DEFAULT_CANDLE_STREAM_OPTIONS, silenceMs: 1_000, backoffMs: [20, 50, 100], waitMs: 1_000, ...o.stream, barMs: HOUR, log: (level, message) => journal.event(clock.now(), level, "feed", message) });
      stream.start();
      if (!(await stream.whenLive(5_000))) throw new Error("harness: the candle stream did not come up");
    }
    const exchange: Exchange = o.mode === "live" ? data : new PaperExchange(data, new SimBroker(journal.db, new DecisionModel(env).terms, { cash: 10_000, coins: 1 }, (fn) => journal.transaction(fn)), () => clock.now());
    let policy = policyByScript.get(o.script);
    if (policy === undefined) {
      policy = scriptedPolicy(o.script);
      policyByScript.set(o.script, policy);
    }
    const model = new DecisionModel(env);
    const limits = resolveRiskLimits(o.risk ?? {});
    const link =
      o.bus === undefined
        ? null
        : new TraderLink({ bus: o.bus, journal, env, start: model.start, maxExposure: limits.maxExposure, mode: o.mode, symbol: "BTC/USDT", model: "scripted", intervalMs: HOUR, now: () => clock.now(), blockMs: 50, latestPollMs: 100 });
    const t = new Trader(
      {
        exchange,
        journal,
        policy,
        model,
        riskLimits: limits,
        clock,
        sleep: async () => undefined,
        candleMeta: { symbol: "BTC/USDT", exchange: "binance", timeframe: "1h" },
        ...(stream === null ? {} : { candleStream: stream }),
        onTick: async (r, tr) => {
          reports.push(r);
          await link?.onTick(r);
          return o.hooks?.onTick?.(r, tr);
        },
        ...(o.hooks?.beforeTick ? { beforeTick: o.hooks.beforeTick } : {}),
        ...(o.hooks?.guidance ? { guidance: o.hooks.guidance } : link === null ? {} : { guidance: () => link.guidance(), describeGuidance: () => link.describeGuidance() }),
      },
      {
        ...DEFAULT_TRADER_OPTIONS,
        barMs: HOUR,
        stopAfterBar: null,
        historyBars: 200,
        lateStartMs: 30_000,
        readRetries: { retries: 2, baseMs: 1, maxMs: 4 },
        order: { lookupDelaysMs: [1, 1, 1, 1], confirmAbsentAfter: 3, maxSends: 2, pollDelaysMs: [1, 1, 1, 1], lostAfterMisses: 4 },
        ...o.trader,
      },
    );
    await link?.start(t);
    if (link !== null) links.push(link);
    return { trader: t, journal, exchange, link, stream };
  };

  return {
    fake,
    clock,
    dir,
    journalPath,
    reports,
    links,
    trader,
    async run(ticks, over = {}, signal) {
      const { trader: t, journal, exchange, link, stream } = await trader({ ...over, trader: { ...opts.trader, ...over.trader, maxTicks: ticks } });
      try {
        const summary = await t.run(signal);
        return { trader: t, summary, link, stream };
      } finally {
        await stream?.stop();
        await link?.stop();
        await exchange.close();
        journal.close();
      }
    },
    async close() {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
