/**
 * `npm run fetch`: downloads candles through ccxt into a validated CSV (src/data/fetch.ts), resuming an existing
 * file, and writes `<out>.fetch.json` beside it (config, rows, sha256, range, gaps, versions). `--help` lists every flag.
 */
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { FETCH_PRESETS, FETCH_RECORD_FORMAT, FETCH_RECORD_OUTPUT, fetchCandles, fetchRecordPath, progressPrinter, type FetchConfigInput } from "../src/data/fetch.js";
import { TIMEFRAME_MS } from "../src/data/candles.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { CANDLE_CSV_OUTPUT, claimOutput } from "../src/util/safe-output.js";

/** A CLI date: all digits means ms since the epoch, anything else goes to parseDate. */
const dateValue = (s: string): string | number => (/^\d+$/.test(s) ? Number(s) : s);

export const fetchCommand = defineCommand({
  name: "npm run fetch",
  summary: "Download OHLCV candles into a validated CSV (timestamp,open,high,low,close,volume), resuming an existing file.",
  description:
    "Resume: when --out exists it is checked first (its run record's exchange, symbol and timeframe, and its bar spacing, must " +
    "match this run) and validated; the download starts at its last bar + one timeframe and only appends (--since is ignored). " +
    "The still-forming current bar is never written. An unreachable host (DNS, refused) fails at once, a timeout after one retry. " +
    "SIGINT/SIGTERM stop between requests; what was fetched stays saved (exit 130/143). Exit 1: failed, what was fetched so far is saved; run again to resume.",
  flags: {
    preset: flag.choice(Object.keys(FETCH_PRESETS) as (keyof typeof FETCH_PRESETS)[], "start from a named preset: seed (Bitfinex BTC/USD 1h, 2018-05-06 .. 2019-06-27)", { unset: "none" }),
    exchange: flag.string("ccxt exchange id", { placeholder: "ID", unset: "bitfinex" }),
    symbol: flag.string("unified market symbol", { placeholder: "SYM", unset: "BTC/USD" }),
    timeframe: flag.choice(Object.keys(TIMEFRAME_MS), "bar length", { unset: "1h" }),
    since: flag.date("first bar, inclusive; YYYY-MM-DD[THH:mm[:ss]][Z] UTC, or ms", { unset: "2018-05-06" }),
    until: flag.date("stop before this instant (exclusive)", { unset: "up to the last closed bar" }),
    out: flag.path("output CSV; an existing file is checked and resumed", { placeholder: "FILE", unset: "data/btc_usd_1h.csv" }),
    limit: flag.int("bars per request (bitfinex allows 10000)", { min: 1, unset: "1000" }),
    maxRetries: flag.int("retries per request on rate-limit and server errors", { min: 0, unset: "6" }),
    baseDelayMs: flag.number("first retry delay, doubled each retry", { min: 0, placeholder: "MS", unset: "1000" }),
    maxDelayMs: flag.number("longest retry delay", { min: 0, placeholder: "MS", unset: "60000" }),
    rateLimit: flag.number("ccxt rateLimit override (ms between request units)", { min: 0, placeholder: "MS", unset: "the exchange's" }),
    timeoutMs: flag.number("ccxt request timeout", { gt: 0, placeholder: "MS", unset: "ccxt's (10000)" }),
    apiUrl: flag.string("send every API request to URL instead of the exchange (a proxy or a local imitation)", {
      pattern: /^https?:\/\/\S+$/,
      patternText: "an http(s) URL",
      placeholder: "URL",
      unset: "the exchange's own",
    }),
  },
  interruptible: true,
  examples: ["npm run fetch -- --preset seed", "npm run fetch -- --symbol ETH/USD --since 2018-05-06 --until 2019-06-27 --out data/eth_usd_1h.csv"],
  async run(f, ctx) {
    const exchangeOptions: Record<string, unknown> = {};
    if (f.rateLimit !== undefined) exchangeOptions["rateLimit"] = f.rateLimit;
    if (f.timeoutMs !== undefined) exchangeOptions["timeout"] = f.timeoutMs;
    const config: FetchConfigInput = {
      ...(f.preset === undefined ? {} : FETCH_PRESETS[f.preset]),
      ...(f.exchange === undefined ? {} : { exchange: f.exchange }),
      ...(f.symbol === undefined ? {} : { symbol: f.symbol }),
      ...(f.timeframe === undefined ? {} : { timeframe: f.timeframe }),
      ...(f.since === undefined ? {} : { since: dateValue(f.since) }),
      ...(f.until === undefined ? {} : { until: dateValue(f.until) }),
      ...(f.out === undefined ? {} : { out: f.out }),
      ...(f.limit === undefined ? {} : { limit: f.limit }),
      ...(f.maxRetries === undefined ? {} : { maxRetries: f.maxRetries }),
      ...(f.baseDelayMs === undefined ? {} : { baseDelayMs: f.baseDelayMs }),
      ...(f.maxDelayMs === undefined ? {} : { maxDelayMs: f.maxDelayMs }),
      ...(f.apiUrl === undefined ? {} : { apiUrl: f.apiUrl }),
      exchangeOptions,
    };
    const out = config.out ?? "data/btc_usd_1h.csv";
    // The CSV is extended in place (resuming it is the purpose of the run) and its record rewritten; anything
    // that is not a candle CSV / this project's record is refused, and a second fetch into the file is locked out.
    const csv = claimOutput(out, { kind: CANDLE_CSV_OUTPUT, field: "out", replaces: out });
    const record = claimOutput(fetchRecordPath(out), { kind: FETCH_RECORD_OUTPUT, field: "out", replaces: fetchRecordPath(out) });
    try {
      const started = performance.now();
      const result = await fetchCandles(config, { onProgress: progressPrinter(process.stderr), signal: ctx.signal });
      if (result.report === null) {
        ctx.log("no candles in range; nothing written");
        return;
      }
      const r = result.report;
      writeFileAtomic(
        fetchRecordPath(result.config.out),
        JSON.stringify(
          {
            format: FETCH_RECORD_FORMAT,
            config: result.config,
            rows: r.rows,
            firstIso: r.firstIso,
            lastIso: r.lastIso,
            sha256: r.sha256,
            gaps: { count: r.gaps.count, missingBars: r.gaps.missingBars, largest: r.gaps.largest },
            run: { existingRows: result.existingRows, newRows: result.newRows, requests: result.requests, retries: result.retries },
            versions: { node: process.version, ccxt: result.ccxtVersion },
            finishedAt: new Date().toISOString(),
          },
          null,
          2,
        ) + "\n",
      );
      ctx.log(
        `${result.config.out}: ${r.rows} rows ${r.firstIso} .. ${r.lastIso}, +${result.newRows} this run, ` +
          `${r.gaps.count} gaps (${r.gaps.missingBars} missing bars), sha256 ${r.sha256.slice(0, 16)}…, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      record.release();
      csv.release();
    }
  },
});

await runCommand(fetchCommand);
