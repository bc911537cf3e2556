/**
 * `npm run trade`: a checkpoint as a replay, paper (the default) or live trader (src/jobs/trade-job.ts,
 * docs/live.md). `npm run trade -- --help` lists every flag.
 */
import { CliError, defineCommand, flag, runCommand } from "../src/cli/index.js";
import { FEED_MODES, runTradeJob } from "../src/jobs/trade-job.js";
import { RISK_PRESET_NAMES } from "../src/trading/risk/risk-config.js";
import { InterruptedError } from "../src/util/errors.js";
import { stopSignalOf } from "../src/util/abort.js";

const TIMEFRAMES = ["1m", "5m", "15m", "30m", "1h", "4h", "1d"] as const;

export const tradeCommand = defineCommand({
  name: "npm run trade",
  summary: "Run a checkpoint as a trader: a replay of a CSV, paper trading (the default) or live trading.",
  description:
    "Paper is the default (also when no mode flag is given): live market data, fills simulated by the backtest's fill model, " +
    "never an order endpoint. --live needs --confirm-live and the API credentials in TRADER_API_KEY / TRADER_API_SECRET " +
    "(TRADER_API_PASSWORD when the exchange wants one); --sandbox uses the exchange's test URLs or refuses to start. --replay " +
    "serves a candle CSV bar by bar through the same exchange interface and makes the backtest's decisions and fills. The " +
    "journal (an SQLite file) records every candle, decision, order and equity mark; the same command after a stop or a crash " +
    "continues it. With --redis the trader publishes ppo_state every tick, applies coach_guidance and obeys control messages. " +
    "SIGINT/SIGTERM finish the current tick, then stop (exit 130/143). See docs/live.md.",
  flags: {
    checkpoint: flag.path("checkpoint folder to trade (required)", { placeholder: "DIR", unset: "none: required" }),
    exchange: flag.string("ccxt exchange id (paper and live)", { default: "binance" }),
    symbol: flag.string("market symbol", { pattern: /^[A-Z0-9]+\/[A-Z0-9]+$/, patternText: "BASE/QUOTE, e.g. BTC/USDT", default: "BTC/USDT" }),
    timeframe: flag.choice(TIMEFRAMES, "bar length: the trader ticks once per closed bar", { default: "5m" }),
    redis: flag.string("Redis URL of the bus (ppo_state, coach_guidance, control)", { pattern: /^rediss?:\/\//, patternText: "a redis:// URL", placeholder: "URL", unset: "no bus: the trader runs alone" }),
    namespace: flag.string("prefix of every bus key and channel (the coach and the dashboard use the same)", { pattern: /^[A-Za-z0-9:_-]+$/, patternText: "letters, digits, : _ -", unset: "none" }),
    postgres: flag.string("also mirror the journal into this PostgreSQL database after every tick", { pattern: /^postgres(ql)?:\/\//, patternText: "a postgres:// URL", placeholder: "URL", unset: "the SQLite journal only" }),
    journal: flag.path("journal file (SQLite), continued when it exists", { placeholder: "FILE", unset: "journals/<mode>-<exchange>-<symbol>-<timeframe>.db" }),
    paper: flag.switch("paper trading (the default): simulated fills, never an order endpoint"),
    live: flag.switch("trade for real (needs --confirm-live and credentials in the environment)"),
    confirmLive: flag.switch("confirm that --live may place real orders"),
    sandbox: flag.switch("use the exchange's test URLs; refuse to start when it has none"),
    replay: flag.path("replay this candle CSV bar by bar ('embedded': the embedded market)", { placeholder: "CSV", unset: "no replay" }),
    start: flag.date("first bar the replay decides on (inclusive, UTC)", { unset: "the data's first bar" }),
    end: flag.date("end of the replay (exclusive, UTC)", { unset: "the data's end" }),
    tickMs: flag.int("real milliseconds per replayed bar", { min: 0, max: 60_000, default: 0 }),
    feed: flag.choice(FEED_MODES, "candles of paper and live runs: ws = the exchange's websocket (ccxt watchOHLCV) with REST backfilling gaps and taking over while it is down; rest = REST polling once per tick", {
      unset: "auto: ws where ccxt has watchOHLCV for the exchange, rest elsewhere",
    }),
    risk: flag.choice(RISK_PRESET_NAMES, "risk limits preset (src/trading/risk/risk-config.ts)", { default: "standard" }),
    historyBars: flag.int("bars the features are computed over", { min: 2, max: 1_000_000, unset: "1000" }),
    warmupBars: flag.int("bars fed through the policy before the first decision of a new journal", { min: 0, max: 100_000, unset: "64 for paper and live (the recurrent state warmed up), 0 for a replay (parity with the backtest)" }),
    lateStartMs: flag.int("at start-up, still decide on a bar that closed at most this long ago", { min: 0, max: 86_400_000, unset: "30000" }),
    maxTicks: flag.int("stop after this many ticks", { min: 1, unset: "no limit" }),
    apiUrl: flag.string("send every exchange request to this base URL (a proxy, a local test exchange)", { pattern: /^https?:\/\//, patternText: "an http(s) URL", placeholder: "URL", unset: "the exchange's own" }),
  },
  json: true,
  interruptible: true,
  examples: [
    "npm run trade -- --checkpoint checkpoints/main --replay embedded --start 2021-03-01 --end 2021-04-01 --timeframe 1h --symbol BTC/USD",
    "npm run trade -- --checkpoint checkpoints/main --exchange binance --symbol BTC/USDT --timeframe 1h",
    "npm run trade -- --checkpoint checkpoints/main --exchange binance --symbol BTC/USDT --timeframe 1h --redis redis://127.0.0.1:6380",
    "TRADER_API_KEY=… TRADER_API_SECRET=… npm run trade -- --checkpoint checkpoints/main --live --confirm-live --sandbox",
  ],
  check: (f) => {
    if (f.checkpoint === undefined) throw new CliError("missing_value", "the checkpoint to trade is required", "--checkpoint");
    if (f.live && f.paper) throw new CliError("conflicting_flags", "--live and --paper are exclusive (paper is the default)", "--live");
    if (f.live && f.replay !== undefined) throw new CliError("conflicting_flags", "--live and --replay are exclusive", "--live");
    if (f.confirmLive && !f.live) throw new CliError("conflicting_flags", "--confirm-live only confirms --live", "--confirm-live");
    if (f.replay === undefined) {
      for (const [key, name] of [["start", "--start"], ["end", "--end"]] as const) if (f[key] !== undefined) throw new CliError("conflicting_flags", `${name} sets the window of a --replay`, name);
      if (f.tickMs !== 0) throw new CliError("conflicting_flags", "--tick-ms paces a --replay", "--tick-ms");
    } else if (f.feed !== undefined) throw new CliError("conflicting_flags", "--feed chooses the candles of paper and live runs; a --replay serves its own", "--feed");
  },
  async run(f, ctx) {
    const out = await runTradeJob({
      checkpoint: f.checkpoint!,
      exchange: f.exchange,
      symbol: f.symbol,
      timeframe: f.timeframe,
      live: f.live,
      confirmLive: f.confirmLive,
      sandbox: f.sandbox,
      replay: f.replay === undefined ? null : { data: f.replay === "embedded" ? null : f.replay, tickMs: f.tickMs, ...(f.start === undefined ? {} : { start: f.start }), ...(f.end === undefined ? {} : { end: f.end }) },
      ...(f.journal === undefined ? {} : { journal: f.journal }),
      ...(f.redis === undefined ? {} : { redis: f.redis }),
      ...(f.namespace === undefined ? {} : { busNamespace: f.namespace }),
      ...(f.postgres === undefined ? {} : { postgres: f.postgres }),
      risk: f.risk,
      ...(f.historyBars === undefined ? {} : { historyBars: f.historyBars }),
      ...(f.warmupBars === undefined ? {} : { warmupBars: f.warmupBars }),
      ...(f.apiUrl === undefined ? {} : { apiUrl: f.apiUrl }),
      ...(f.feed === undefined ? {} : { feed: f.feed }),
      ...(f.maxTicks === undefined ? {} : { maxTicks: f.maxTicks }),
      ...(f.lateStartMs === undefined ? {} : { traderOptions: { lateStartMs: f.lateStartMs } }),
      log: ctx.log,
      signal: ctx.signal,
    });
    const s = out.summary;
    const pct = s.totalReturn === null ? "?" : `${(100 * s.totalReturn).toFixed(2)}%`;
    ctx.log(`${s.mode}: ${s.ticks} decisions, ${s.trades} trades, value ${s.firstValue?.toFixed(2) ?? "?"} → ${s.finalValue?.toFixed(2) ?? "?"} (${pct}); ${s.stoppedBy}; journal ${s.journal}`);
    ctx.out(out.json);
    const sig = stopSignalOf(ctx.signal);
    if (s.stoppedBy === "signal" && sig !== null) throw new InterruptedError(sig, `stopped by ${sig} after the tick in progress; the journal keeps everything: run the same command to continue`);
    if (s.stoppedBy === "halt") return 1;
    return undefined;
  },
});

await runCommand(tradeCommand);
