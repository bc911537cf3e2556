/**
 * `npm run fetch -- [--preset seed] [--exchange bitfinex] [--symbol BTC/USD] [--timeframe 1h]
 *                   [--since 2018-05-06] [--until 2019-06-27] [--out data/btc_usd_1h.csv] [...]`
 *
 * Downloads candles through ccxt into a validated CSV (src/data/fetch.ts), resuming an existing file. Writes
 * `<out>.fetch.json` next to it: the resolved config, row count, sha256, range, gaps and versions.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { CandleCsvError, DateRangeError, FetchError } from "../src/data/errors.js";
import { FETCH_PRESETS, fetchCandles, progressPrinter, type FetchConfigInput } from "../src/data/fetch.js";

const HELP = `Download OHLCV candles into a validated CSV (timestamp,open,high,low,close,volume).

Usage: npm run fetch -- [flags]

  --preset NAME        start from a named preset: seed (Bitfinex BTC/USD 1h, 2018-05-06 .. 2019-06-27)
  --exchange ID        ccxt exchange id                                  (default bitfinex)
  --symbol SYM         unified market symbol                             (default BTC/USD)
  --timeframe TF       1m 5m 15m 30m 1h 4h 1d                            (default 1h)
  --since DATE         first bar, inclusive; YYYY-MM-DD[THH:mm[:ss]][Z] UTC, or ms   (default 2018-05-06)
  --until DATE         stop before this instant (exclusive)              (default: up to the last closed bar)
  --out FILE           output CSV; an existing file is validated and resumed (default data/btc_usd_1h.csv)
  --limit N            bars per request                                  (default 1000; bitfinex allows 10000)
  --max-retries N      retries per request on network / rate-limit errors (default 6)
  --base-delay-ms MS   first retry delay, doubled each retry, capped at --max-delay-ms (default 1000)
  --max-delay-ms MS    longest retry delay                               (default 60000)
  --rate-limit MS      ccxt rateLimit override (ms between request units; default: the exchange's)
  --api-url URL        send every API request to URL instead of the exchange (a proxy or a local mock)
  --help               this text

Resume: when --out exists it is read and validated first; the download starts at its last bar + one
timeframe and only appends. --since is ignored then. The still-forming current bar is never written.
Exit status: 0 done, 1 failed (what was fetched so far is saved; run again to resume), 2 bad flags.`;

const intFlag = z.coerce.number().int();
const flagsSchema = z
  .object({
    /** Named preset the other flags override. */
    preset: z.enum(Object.keys(FETCH_PRESETS) as [keyof typeof FETCH_PRESETS]).optional(),
    exchange: z.string().optional(),
    symbol: z.string().optional(),
    timeframe: z.string().optional(),
    since: z.string().optional(),
    until: z.string().optional(),
    out: z.string().optional(),
    limit: intFlag.positive().optional(),
    "max-retries": intFlag.nonnegative().optional(),
    "base-delay-ms": z.coerce.number().nonnegative().optional(),
    "max-delay-ms": z.coerce.number().nonnegative().optional(),
    "rate-limit": z.coerce.number().nonnegative().optional(),
    "api-url": z.url().optional(),
    help: z.boolean().default(false),
  })
  .strict();

/** A CLI date: all digits means ms since the epoch, anything else goes to parseDate. */
function dateFlag(s: string): string | number {
  return /^\d+$/.test(s) ? Number(s) : s;
}

function parseFlags(): z.output<typeof flagsSchema> {
  try {
    const { values } = parseArgs({
      options: {
        preset: { type: "string" },
        exchange: { type: "string" },
        symbol: { type: "string" },
        timeframe: { type: "string" },
        since: { type: "string" },
        until: { type: "string" },
        out: { type: "string" },
        limit: { type: "string" },
        "max-retries": { type: "string" },
        "base-delay-ms": { type: "string" },
        "max-delay-ms": { type: "string" },
        "rate-limit": { type: "string" },
        "api-url": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    return flagsSchema.parse(values);
  } catch (err) {
    const message = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
    console.error(`fetch: ${message}\n\n${HELP}`);
    process.exit(2);
  }
}

const flags = parseFlags();
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}

const exchangeOptions: Record<string, unknown> = {};
if (flags["rate-limit"] !== undefined) exchangeOptions["rateLimit"] = flags["rate-limit"];
const config: FetchConfigInput = {
  ...(flags.preset === undefined ? {} : FETCH_PRESETS[flags.preset]),
  ...(flags.exchange === undefined ? {} : { exchange: flags.exchange }),
  ...(flags.symbol === undefined ? {} : { symbol: flags.symbol }),
  ...(flags.timeframe === undefined ? {} : { timeframe: flags.timeframe }),
  ...(flags.since === undefined ? {} : { since: dateFlag(flags.since) }),
  ...(flags.until === undefined ? {} : { until: dateFlag(flags.until) }),
  ...(flags.out === undefined ? {} : { out: flags.out }),
  ...(flags.limit === undefined ? {} : { limit: flags.limit }),
  ...(flags["max-retries"] === undefined ? {} : { maxRetries: flags["max-retries"] }),
  ...(flags["base-delay-ms"] === undefined ? {} : { baseDelayMs: flags["base-delay-ms"] }),
  ...(flags["max-delay-ms"] === undefined ? {} : { maxDelayMs: flags["max-delay-ms"] }),
  ...(flags["api-url"] === undefined ? {} : { apiUrl: flags["api-url"] }),
  exchangeOptions,
};

const ctl = new AbortController();
process.once("SIGINT", () => {
  console.error("\ninterrupted: finishing the current request, then stopping (rows so far stay saved)");
  ctl.abort();
});

try {
  const started = performance.now();
  const result = await fetchCandles(config, { onProgress: progressPrinter(process.stderr), signal: ctl.signal });
  if (result.report === null) {
    console.log(`no candles in range; nothing written`);
    process.exit(0);
  }
  const r = result.report;
  const record = {
    config: result.config,
    rows: r.rows,
    firstIso: r.firstIso,
    lastIso: r.lastIso,
    sha256: r.sha256,
    gaps: { count: r.gaps.count, missingBars: r.gaps.missingBars, largest: r.gaps.largest },
    run: {
      existingRows: result.existingRows,
      newRows: result.newRows,
      requests: result.requests,
      retries: result.retries,
    },
    versions: { node: process.version, ccxt: result.ccxtVersion },
    finishedAt: new Date().toISOString(),
  };
  writeFileAtomic(`${result.config.out}.fetch.json`, JSON.stringify(record, null, 2) + "\n");
  console.log(
    `${result.config.out}: ${r.rows} rows ${r.firstIso} .. ${r.lastIso}, +${result.newRows} this run, ` +
      `${r.gaps.count} gaps (${r.gaps.missingBars} missing bars), sha256 ${r.sha256.slice(0, 16)}…, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (err) {
  if (err instanceof FetchError || err instanceof CandleCsvError || err instanceof DateRangeError) {
    console.error(`fetch: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
