/**
 * `npm run trade`: promotes a checkpoint to a replay, paper or live run (docs/live.md). This is the one
 * composition point of the trader: it loads the policy and its env config from the checkpoint, builds the
 * exchange for the mode, opens the journal that belongs to that mode (R7), and runs the trader loop.
 *
 *   replay  an exchange simulated from a CSV (or the embedded market), bar by bar on a simulated clock;
 *   paper   (the default) a real exchange's public market data, fills simulated by the backtest's fill model;
 *           never an order endpoint (R7);
 *   live    only with `live: true`, API keys from the environment and the confirmation flag; `sandbox` uses the
 *           exchange's test URLs or refuses to start (R8).
 */
import { randomUUID } from "node:crypto";
import { basename, join } from "node:path";
import { loadPolicy, type CheckpointManifest, type Policy } from "../agent/index.js";
import { AgentError } from "../agent/errors.js";
import { readCandlesCsv } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { timeframeMs, type Candles } from "../data/candles.js";
import { parseDate } from "../data/splits.js";
import { resolveEnvConfig, type EnvConfig } from "../env/index.js";
import { checkManifestAgainst } from "../eval/agent-policy.js";
import { backtestModel, medianPeriod } from "../eval/backtest.js";
import { DecisionModel } from "../trading/decide.js";
import { TradingError } from "../trading/errors.js";
import { resolveRiskLimits, type MarketRules, type RiskLimitsRequest } from "../trading/risk/risk-config.js";
import { tickStartFor } from "../trading/schedule.js";
import { CcxtCandleWatcher, CcxtExchange } from "../live/ccxt-exchange.js";
import { CandleStream, DEFAULT_CANDLE_STREAM_OPTIONS, type CandleStreamOptions } from "../live/candle-stream.js";
import { ReplayClock, SystemClock, sleepMs, type Clock } from "../live/clock.js";
import type { Exchange, ExchangeMode } from "../live/exchange.js";
import { Journal, JOURNAL_OUTPUT } from "../live/journal.js";
import { TraderLink } from "../live/bus-link.js";
import { postgresMirror } from "../live/journal-postgres.js";
import { ConnectionLog } from "../bus/connection-log.js";
import { createBus } from "../bus/create-bus.js";
import { redactUrl } from "../bus/redis-bus.js";
import type { Bus } from "../bus/bus.js";
import { claimOutput, type ClaimedOutput } from "../util/safe-output.js";
import { PaperExchange } from "../live/paper-exchange.js";
import { ReplayExchange } from "../live/replay-exchange.js";
import { SimBroker } from "../live/sim-broker.js";
import { DEFAULT_TRADER_OPTIONS, Trader, type TickReport, type TraderDeps, type TraderOptions, type TraderSummary } from "../live/trader.js";

/** Environment variables the live mode reads its credentials from (never flags: they would land in shell history). */
export const CREDENTIAL_ENV = { apiKey: "TRADER_API_KEY", secret: "TRADER_API_SECRET", password: "TRADER_API_PASSWORD" } as const;

/**
 * Where paper and live runs get their closed candles: `ws` the exchange's websocket (ccxt.pro watchOHLCV) with REST
 * backfilling gaps and taking over while the socket is down; `rest` REST polling once per tick; `auto` (the default)
 * `ws` where ccxt has watchOHLCV for the exchange, `rest` elsewhere. `ws` on an exchange without it refuses to start.
 */
export const FEED_MODES = ["auto", "rest", "ws"] as const;
export type FeedMode = (typeof FEED_MODES)[number];

/** At start-up, how long (real ms) a paper or live run waits for the candle stream before trading on REST meanwhile. */
export const STREAM_START_WAIT_MS = 5_000;

export interface TradeJobOptions {
  readonly checkpoint: string;
  /** ccxt exchange id (paper, live); ignored by a replay. */
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  /** Trade for real. Needs credentials in the environment and `confirmLive`. */
  readonly live: boolean;
  readonly confirmLive: boolean;
  readonly sandbox: boolean;
  /** A replay: the candle CSV (null: the embedded market) and its window. */
  readonly replay: { readonly data: string | null; readonly start?: string; readonly end?: string; readonly tickMs: number; readonly market?: Partial<MarketRules> } | null;
  /** Journal file; default journals/<mode>-<exchange>-<symbol>-<timeframe>.db. */
  readonly journal?: string;
  /** Redis URL of the bus; absent: the trader runs alone (no coach, nothing published). */
  readonly redis?: string;
  /** Key and channel prefix on the bus (the coach and the dashboard must use the same). */
  readonly busNamespace?: string;
  /** A bus to use instead of --redis (tests, notebooks: a MemoryBus). */
  readonly bus?: Bus;
  /** Mirror the journal into this PostgreSQL database after every tick (src/live/journal-postgres.ts). */
  readonly postgres?: string;
  readonly risk: RiskLimitsRequest;
  readonly historyBars?: number;
  /** Bars fed through the policy before a new journal's first decision; default LIVE_WARMUP_BARS (paper, live), 0 (replay). */
  readonly warmupBars?: number;
  readonly offsetMs?: number;
  /** Starting balances of a paper account (default: the checkpoint's env initialCash / initialCoins). */
  readonly paperBalances?: { readonly cash: number; readonly coins: number };
  /** Candle feed of paper and live runs (default auto); a replay serves its own data. */
  readonly feed?: FeedMode;
  /** Overrides of the candle stream's timings (tests: a short silence and backoff). */
  readonly stream?: Partial<Omit<CandleStreamOptions, "barMs" | "log">>;
  /** Send every exchange request to this base URL (tests against the local fake exchange, proxies). */
  readonly apiUrl?: string;
  readonly timeoutMs?: number;
  /** Environment to read credentials from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly maxTicks?: number | null;
  /** Overrides of the trader's options (tests: fast lookups and retries). */
  readonly traderOptions?: Partial<TraderOptions>;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Extra deps (the bus adapter's onTick / beforeTick / guidance). */
  readonly hooks?: Pick<TraderDeps, "onTick" | "beforeTick" | "guidance">;
}

export interface TradeJobResult {
  readonly summary: TraderSummary;
  /** The `--json` object: totalReturn, trades, ticks, journal, mode, finalValue, stoppedBy. */
  readonly json: Record<string, unknown>;
}

/**
 * A replay's options: an exchange simulated from candles (the embedded market with `replay.data` null), no keys,
 * nothing sent anywhere; BTC/USD hourly with the standard risk limits unless given. The rest as `runTradeJob`.
 */
export function replayJobOptions(
  opts: Pick<TradeJobOptions, "checkpoint"> & { readonly replay: NonNullable<TradeJobOptions["replay"]> } & Partial<Omit<TradeJobOptions, "checkpoint" | "replay" | "live" | "confirmLive" | "exchange">>,
): TradeJobOptions {
  return { exchange: "replay", symbol: "BTC/USD", timeframe: "1h", sandbox: false, risk: "standard", ...opts, live: false, confirmLive: false };
}

/**
 * Bars a new paper or live journal feeds through the policy before its first decision, so that its recurrent state
 * starts as it would be that far into a training episode (the `default` preset's BPTT length). A replay starts from
 * reset instead, as the backtest does at its window's start: that is what replay parity needs.
 */
export const LIVE_WARMUP_BARS = 64;

export function resolveMode(opts: Pick<TradeJobOptions, "live" | "replay">): ExchangeMode {
  if (opts.replay !== null) return "replay";
  return opts.live ? "live" : "paper";
}

/** journals/<mode>-<exchange>-<BASE-QUOTE>-<timeframe>.db: paper and live never share a default file (R7). */
export function defaultJournalPath(mode: ExchangeMode, exchange: string, symbol: string, timeframe: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-");
  return join("journals", `${mode}-${safe(exchange)}-${safe(symbol)}-${safe(timeframe)}.db`);
}

/** The journal a run uses: --journal, else its mode's default; a sandbox run never defaults to production's file. */
export function journalPathFor(opts: Pick<TradeJobOptions, "journal" | "live" | "replay" | "exchange" | "sandbox" | "symbol" | "timeframe">): string {
  if (opts.journal !== undefined) return opts.journal;
  const exchange = opts.replay !== null ? "replay" : opts.sandbox ? `${opts.exchange}-sandbox` : opts.exchange;
  return defaultJournalPath(resolveMode(opts), exchange, opts.symbol, opts.timeframe);
}

interface Loaded {
  readonly policy: Policy<CheckpointManifest>;
  readonly env: EnvConfig;
}

async function loadCheckpointPolicy(dir: string): Promise<Loaded> {
  let policy: Policy<CheckpointManifest>;
  try {
    policy = await loadPolicy(dir);
  } catch (err) {
    // The agent's own errors already name the file and what was expected (checkpoint_missing at …/manifest.json).
    if (err instanceof AgentError) throw err;
    throw new TradingError("checkpoint_mismatch", err instanceof Error ? err.message : String(err), dir);
  }
  return { policy, env: resolveEnvConfig(policy.manifest.env.config as EnvConfig) };
}

export async function runTradeJob(opts: TradeJobOptions): Promise<TradeJobResult> {
  const log = opts.log ?? (() => {});
  const mode = resolveMode(opts);
  const barMs = timeframeMs(opts.timeframe);
  const { policy, env } = await loadCheckpointPolicy(opts.checkpoint);
  // Checked before the journal is claimed: a refused start leaves no new journal behind (a replay's data is checked
  // against the whole manifest below, once it is read).
  if (opts.replay === null && policy.manifest.data.timeframe !== opts.timeframe) {
    throw new TradingError("checkpoint_mismatch", `the checkpoint was trained on ${policy.manifest.data.timeframe} bars, --timeframe is ${opts.timeframe}`, "--timeframe");
  }
  const model = new DecisionModel(env);
  const riskLimits = resolveRiskLimits(opts.risk);
  const baseOptions: TraderOptions = {
    ...DEFAULT_TRADER_OPTIONS,
    barMs,
    stopAfterBar: null,
    ...(opts.historyBars === undefined ? {} : { historyBars: opts.historyBars }),
    warmupBars: opts.warmupBars ?? (mode === "replay" ? 0 : LIVE_WARMUP_BARS),
    ...(opts.offsetMs === undefined ? {} : { offsetMs: opts.offsetMs }),
    maxTicks: opts.maxTicks ?? null,
    ...opts.traderOptions,
  };

  let exchange: Exchange;
  let clock: Clock;
  let identityExchange: string;
  let traderOptions = baseOptions;
  let candlesForCheck: Candles | null = null;
  let stream: CandleStream | null = null;
  const journalPath = journalPathFor(opts);
  let journal: Journal;

  // The journal is claimed before any work: never a file the project did not write, never two traders on one (lock).
  const claim: ClaimedOutput = claimOutput(journalPath, { kind: JOURNAL_OUTPUT, field: "journal", replaces: journalPath });
  try {
    const openJournal = (exchangeId: string): Journal => {
      const { journal: j, created } = Journal.open(
        journalPath,
        { mode, exchange: exchangeId, symbol: opts.symbol, timeframe: opts.timeframe, checkpointSha256: policy.manifest.weights.sha256 },
        () => randomUUID(),
      );
      log(`journal ${j.path} (${created ? "new" : "continued"}, run ${j.runId})`);
      return j;
    };

    if (opts.replay !== null) {
      const r = opts.replay;
      const { candles } = r.data === null ? readEmbeddedMarket() : readCandlesCsv(r.data, { symbol: opts.symbol, exchange: "csv", timeframe: opts.timeframe });
      if (candles.length < 2) throw new TradingError("invalid_config", "the replay data has fewer than 2 candles", "--replay");
      const period = medianPeriod(candles.timestamp);
      if (period !== barMs) throw new TradingError("invalid_config", `the replay data has bars of ${period / 60_000} minutes, --timeframe ${opts.timeframe} says ${barMs / 60_000}`, "--timeframe");
      const start = r.start === undefined ? candles.timestamp[0]! : parseDate(r.start, "--start");
      const end = r.end === undefined ? null : parseDate(r.end, "--end");
      let first = 0;
      while (first < candles.length && candles.timestamp[first]! < start) first++;
      let last = candles.length - 1;
      if (end !== null) while (last >= 0 && candles.timestamp[last]! >= end) last--;
      if (!(last > first)) throw new TradingError("invalid_config", `the window [${r.start ?? "first bar"}, ${r.end ?? "last bar"}) holds fewer than 2 bars of the replay data`, "--start/--end");
      identityExchange = `replay:${r.data === null ? "embedded" : basename(r.data)}:${new Date(candles.timestamp[first]!).toISOString()}:${end === null ? "end" : new Date(end).toISOString()}`;
      journal = openJournal(identityExchange);
      const rc = new ReplayClock(tickStartFor(candles.timestamp[first]!, barMs, baseOptions.offsetMs), r.tickMs);
      clock = rc;
      const broker = new SimBroker(journal.db, model.terms, { cash: env.initialCash, coins: env.initialCoins }, (fn) => journal.statement(fn));
      exchange = new ReplayExchange(candles, { symbol: opts.symbol, timeframe: opts.timeframe, end, fillAt: env.fill.at, clock: rc, broker, ...(r.market === undefined ? {} : { market: r.market }) });
      // Features see the last historyBars bars: the backtest's values exactly for local features (pct_change …), and
      // for features with memory (EMAs) whenever the data before the window fits in historyBars (docs/live.md).
      // As fast as possible: group commit (the simulated account commits in the same batch, so a crash loses both
      // and a restart recomputes them). Paced (--tick-ms): someone is watching (the dashboard, a notebook), every tick commits.
      traderOptions = { ...baseOptions, stopAfterBar: candles.timestamp[last]!, lateStartMs: 0, groupCommit: opts.traderOptions?.groupCommit ?? (r.tickMs > 0 ? 1 : 100) };
      candlesForCheck = candles;
    } else {
      clock = new SystemClock();
      const env_ = opts.env ?? process.env;
      let credentials: { apiKey: string; secret: string; password?: string } | undefined;
      if (mode === "live") {
        if (!opts.confirmLive) throw new TradingError("invalid_config", "live trading needs the confirmation flag --confirm-live (without it the trader runs in paper mode only)", "--confirm-live");
        const apiKey = env_[CREDENTIAL_ENV.apiKey];
        const secret = env_[CREDENTIAL_ENV.secret];
        if (apiKey === undefined || apiKey === "" || secret === undefined || secret === "") {
          throw new TradingError("invalid_config", `live trading needs API credentials in the environment: ${CREDENTIAL_ENV.apiKey} and ${CREDENTIAL_ENV.secret}`, CREDENTIAL_ENV.apiKey);
        }
        const password = env_[CREDENTIAL_ENV.password];
        credentials = { apiKey, secret, ...(password === undefined || password === "" ? {} : { password }) };
      }
      const ccxtEx = await CcxtExchange.create({
        exchangeId: opts.exchange,
        symbol: opts.symbol,
        timeframe: opts.timeframe,
        mode: mode === "live" ? "live" : "paper",
        ...(credentials === undefined ? {} : { credentials }),
        sandbox: opts.sandbox,
        ...(opts.apiUrl === undefined ? {} : { apiUrl: opts.apiUrl }),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        log,
      });
      // The feed is settled before the journal is claimed: a refused --feed ws leaves no journal behind.
      const feed = opts.feed ?? "auto";
      let watcher: CcxtCandleWatcher | null = null;
      if (feed === "rest") log("feed: REST polling once per tick (--feed rest)");
      else {
        watcher = await CcxtCandleWatcher.create({
          exchangeId: opts.exchange,
          symbol: opts.symbol,
          timeframe: opts.timeframe,
          mode: mode === "live" ? "live" : "paper",
          sandbox: opts.sandbox,
          ...(opts.apiUrl === undefined ? {} : { apiUrl: opts.apiUrl }),
          ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
          log,
        });
        if (watcher === null) {
          if (feed === "ws") throw new TradingError("exchange_unsupported", `${opts.exchange} has no websocket candles in ccxt (no watchOHLCV); use --feed rest or auto`, "--feed");
          log(`feed: REST polling once per tick (${opts.exchange} has no watchOHLCV in ccxt)`);
        }
      }
      identityExchange = `${opts.exchange}${opts.sandbox ? ":sandbox" : ""}`;
      journal = openJournal(identityExchange);
      if (watcher !== null) {
        const j = journal;
        stream = new CandleStream(watcher, {
          ...DEFAULT_CANDLE_STREAM_OPTIONS,
          ...opts.stream,
          barMs,
          log: (level, message) => {
            j.event(Date.now(), level, "feed", message);
            log(`${level}: ${message}`);
          },
        });
      }
      if (mode === "live") exchange = ccxtEx;
      else {
        const start = opts.paperBalances ?? { cash: env.initialCash, coins: env.initialCoins };
        exchange = new PaperExchange(ccxtEx, new SimBroker(journal.db, model.terms, start, (fn) => journal.statement(fn)), () => clock.now());
      }
    }

    try {
      const mirror = opts.postgres === undefined ? null : postgresMirror(journal.path, opts.postgres, log);
      // Redis unreachable: one line, then at most one a minute, and one when it is back (not one per reconnect attempt).
      const busLog = new ConnectionLog({ target: opts.redis === undefined ? "bus" : redactUrl(opts.redis), log: (level, line) => log(`${level}: ${line}`) });
      // The link starts once the connection has said something (ready, or refused): calls made while it is still
      // connecting would fail for no reason and read as an outage.
      let connectionAnswered: () => void = () => {};
      const answered = new Promise<void>((resolve) => (connectionAnswered = resolve));
      const bus: Bus | null =
        opts.bus ??
        (opts.redis === undefined
          ? null
          : createBus(
              { kind: "redis", url: opts.redis, namespace: opts.busNamespace ?? "" },
              (err, conn) => {
                connectionAnswered();
                busLog.error(`connection ${conn}`, err, conn);
              },
              (conn) => {
                connectionAnswered();
                busLog.ready(conn);
              },
            ));
      const link =
        bus === null
          ? null
          : new TraderLink({
              bus,
              journal,
              env,
              start: model.start,
              maxExposure: riskLimits.maxExposure,
              mode,
              symbol: opts.symbol,
              model: opts.checkpoint,
              intervalMs: barMs,
              now: () => clock.now(),
              log: (level, line) => log(`${level}: ${line}`),
              onBusError: (where, err) => busLog.error(where, err),
            });
      const trader = new Trader(
        {
          exchange,
          journal,
          policy,
          model,
          riskLimits,
          clock,
          sleep: clock.simulated ? async () => undefined : (ms) => sleepMs(ms, opts.signal),
          // Order backoff is never cut by SIGINT/SIGTERM (R1: "absent" needs the real schedule; see TraderDeps).
          orderSleep: clock.simulated ? async () => undefined : (ms) => sleepMs(ms),
          candleMeta: { symbol: opts.symbol, exchange: exchange.id, timeframe: opts.timeframe },
          ...(stream === null ? {} : { candleStream: stream }),
          log,
          ...(link === null && mirror === null
            ? {}
            : {
                onTick: async (r: TickReport) => {
                  mirror?.afterTick();
                  await link?.onTick(r);
                },
              }),
          ...(link === null ? {} : { guidance: () => link.guidance(), describeGuidance: () => link.describeGuidance() }),
          ...opts.hooks,
        },
        traderOptions,
      );
      if (link !== null && opts.bus === undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
        clearTimeout(timer);
      }
      await link?.start(trader);
      if (candlesForCheck !== null) {
        // The checkpoint must run on this market: bar length, observation elements, actions (backtest's check).
        checkManifestAgainst(policy.manifest, backtestModel(candlesForCheck, env), opts.checkpoint);
      } else if (policy.manifest.data.timeframe !== opts.timeframe) {
        throw new TradingError("checkpoint_mismatch", `the checkpoint was trained on ${policy.manifest.data.timeframe} bars, --timeframe is ${opts.timeframe}`, "--timeframe");
      }
      let summary: TraderSummary;
      try {
        if (stream !== null) {
          stream.start();
          // A stream that failed has said so (one line); one still connecting is named here, once.
          if (!(await stream.whenLive(STREAM_START_WAIT_MS)) && stream.state === "connecting") log(`warn: candle stream not connected after ${STREAM_START_WAIT_MS / 1000} s: REST polling until it is`);
        }
        summary = await trader.run(opts.signal);
      } finally {
        await link?.stop();
        if (opts.bus === undefined) await bus?.close();
        journal.flush();
        await mirror?.flush();
      }
      return {
        summary,
        json: {
          mode: summary.mode,
          totalReturn: summary.totalReturn,
          trades: summary.trades,
          ticks: summary.ticks,
          finalValue: summary.finalValue,
          firstValue: summary.firstValue,
          stoppedBy: summary.stoppedBy,
          status: summary.status,
          journal: summary.journal,
        },
      };
    } finally {
      await stream?.stop();
      await exchange.close().catch(() => undefined);
      journal.close();
    }
  } finally {
    claim.release();
  }
}
