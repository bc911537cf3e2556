import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { TIMEFRAME_MS, allocCandles, type CandleMeta, type Candles } from "./candles.js";
import { CSV_HEADER, formatCandleRows, parseCandlesCsv, readCandlesCsv, type CsvReport } from "./csv.js";
import { CandleDataError, FetchError } from "./errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { OutputKind } from "../util/safe-output.js";
import { parseDate } from "./splits.js";
import { describeBarLength, smallestStepMs } from "./gaps.js";

/**
 * Downloads OHLCV candles from an exchange through ccxt into the project's CSV format, page by page.
 *
 * Every page is validated with the CSV reader's rules and saved (atomic rewrite) before the next request, so
 * an interrupted run loses nothing: running the same command again reads the file, checks it, and resumes at
 * its last bar + one timeframe without downloading any saved row again. The still-forming last bar is never
 * saved. ccxt is imported lazily (loading it takes about a second), so importing the data layer stays cheap.
 */

const dateInput = z.union([z.string(), z.number().int()]);

/** The downloader's settings; defaults are the `seed` preset (the article's BTC/USD hourly window). */
export const FetchConfigSchema = z
  .object({
    /** ccxt exchange id. */
    exchange: z.string().min(1).default("bitfinex"),
    /** Unified market symbol. */
    symbol: z.string().min(1).default("BTC/USD"),
    /** ccxt timeframe; one of the project's supported ones (candles.ts TIMEFRAME_MS). */
    timeframe: z
      .string()
      .refine((t) => TIMEFRAME_MS[t] !== undefined, {
        message: `timeframe must be one of ${Object.keys(TIMEFRAME_MS).join(", ")}`,
      })
      .default("1h"),
    /** First bar to download (inclusive; a bare date is 00:00 UTC). Ignored when resuming an existing file. */
    since: dateInput.default("2018-05-06"),
    /** Stop before this instant (exclusive; a bare date is 00:00 UTC); omitted: up to the last closed bar. */
    until: dateInput.optional(),
    /** Output CSV path; an existing file is validated and extended (resume). */
    out: z.string().min(1).default("data/btc_usd_1h.csv"),
    /** Bars asked per request (exchanges cap it: bitfinex 10000, binance 1000). */
    limit: z.number().int().positive().default(1000),
    /** Retries of one request after network / rate-limit errors before giving up. */
    maxRetries: z.number().int().nonnegative().default(6),
    /** First retry delay; doubles each retry. */
    baseDelayMs: z.number().nonnegative().default(1000),
    /** Upper bound of one retry delay. */
    maxDelayMs: z.number().nonnegative().default(60_000),
    /** Send every API request to this base URL instead of the exchange's (a proxy, or a local imitation in tests). */
    apiUrl: z.url().optional(),
    /** Extra ccxt constructor options, e.g. `{ rateLimit: 500, timeout: 30000 }`. */
    exchangeOptions: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type FetchConfigInput = z.input<typeof FetchConfigSchema>;
export type FetchConfig = z.output<typeof FetchConfigSchema>;

/** The preset that reproduces the article's data: Bitfinex BTC/USD hourly, 2018-05-06 up to 2019-06-27. */
export const FETCH_PRESETS = {
  seed: {
    exchange: "bitfinex",
    symbol: "BTC/USD",
    timeframe: "1h",
    since: "2018-05-06",
    until: "2019-06-27",
    out: "data/btc_usd_1h.csv",
  },
} as const satisfies Record<string, FetchConfigInput>;

/** One OHLCV row as ccxt returns it: [timestamp, open, high, low, close, volume]; fields may be missing. */
export type OhlcvRow = ReadonlyArray<number | string | null | undefined>;

/** The part of a ccxt exchange the downloader uses; tests pass a real ccxt instance pointed at a local server. */
export interface OhlcvExchange {
  readonly id: string;
  loadMarkets(): Promise<unknown>;
  fetchOHLCV(symbol: string, timeframe?: string, since?: number, limit?: number): Promise<OhlcvRow[]>;
  /** Present on ccxt exchanges: the timeframes the exchange serves. */
  readonly timeframes?: Record<string, unknown> | undefined;
  readonly symbols?: readonly string[] | undefined;
  /** ccxt keeps the last reply's body here; a body that is not JSON is an error page, not data. */
  readonly last_http_response?: unknown;
  close?(): Promise<unknown>;
}

/** The run record written beside a fetched CSV (`<out>.fetch.json`): config, rows, hash, range, versions. */
export const FETCH_RECORD_FORMAT = "drl-trading-lab/fetch-record";
export const fetchRecordPath = (out: string): string => `${out}.fetch.json`;

/** The run record as an output (src/util/safe-output.ts): rewritten by each run on its CSV, never a foreign file. */
export const FETCH_RECORD_OUTPUT: OutputKind = {
  name: "fetch run record",
  type: "file",
  describe: (p) => {
    try {
      const v = JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;
      const mine = v["format"] === FETCH_RECORD_FORMAT || (typeof v["config"] === "object" && typeof v["sha256"] === "string");
      return mine ? `a fetch run record (${String(v["rows"])} rows, written ${String(v["finishedAt"])})` : null;
    } catch {
      return null;
    }
  },
};

/**
 * Why an error of ccxt's network layer happened, from its message ("… fetch failed: connect ECONNREFUSED
 * 127.0.0.1:1"): a permanent cause (the name does not resolve, the connection is refused, no route) is not
 * worth retrying; a timeout is retried once; anything else (rate limits, 5xx, resets) as configured.
 */
export function networkCause(err: unknown): { readonly kind: "dns" | "refused" | "no_route" | "timeout" | "dns_temporary" | "other"; readonly detail: string } {
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.constructor.name : "";
  const m = /\b(ENOTFOUND|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|ECONNRESET)\b[^;,)]*/.exec(message);
  const code = m?.[1];
  const detail = m?.[0].trim() ?? (name === "RequestTimeout" ? "no answer in time (RequestTimeout)" : message.slice(-160));
  if (code === "ENOTFOUND") return { kind: "dns", detail: `DNS: the host name does not resolve (${detail})` };
  if (code === "ECONNREFUSED") return { kind: "refused", detail: `connection refused (${detail})` };
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return { kind: "no_route", detail: `no route to the host (${detail})` };
  if (code === "EAI_AGAIN") return { kind: "dns_temporary", detail: `DNS lookup failed for now (${detail})` };
  if (code === "ETIMEDOUT" || name === "RequestTimeout") return { kind: "timeout", detail: `timeout: ${detail}` };
  return { kind: "other", detail };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Refuses to resume a file of another exchange, symbol or timeframe (its run record, then its bar spacing). */
function checkResumable(config: FetchConfig, barMs: number): void {
  const record = fetchRecordPath(config.out);
  if (existsSync(record)) {
    let saved: { exchange?: unknown; symbol?: unknown; timeframe?: unknown } | undefined;
    try {
      saved = (JSON.parse(readFileSync(record, "utf8")) as { config?: typeof saved }).config;
    } catch {
      saved = undefined;
    }
    if (saved !== undefined) {
      for (const key of ["exchange", "symbol", "timeframe"] as const) {
        if (saved[key] !== undefined && saved[key] !== config[key]) {
          throw new FetchError(
            "resume_mismatch",
            `${config.out} holds ${String(saved.exchange)} ${String(saved.symbol)} ${String(saved.timeframe)} candles (its run record ${record}); ` +
              `this run asks for ${config.exchange} ${config.symbol} ${config.timeframe}, so it would mix two series: choose another --out`,
            0,
            undefined,
            { field: `--${key}` },
          );
        }
      }
    }
  }
  // Without a record (or with one that agrees): the bars themselves must be this timeframe's.
  let step: number | null = null;
  try {
    step = smallestStepMs(readCandlesCsv(config.out, { timeframe: "1m" }).candles.timestamp);
  } catch {
    return; // not a valid candle file: reading it with the run's timeframe below says why
  }
  if (step !== null && step !== barMs && (step < barMs || step % barMs !== 0)) {
    throw new FetchError(
      "resume_mismatch",
      `${config.out} holds ${describeBarLength(step)}; this run fetches ${config.timeframe} bars, so it would mix two timeframes: choose another --out or --timeframe`,
      0,
      undefined,
      { field: "--timeframe" },
    );
  }
}

export type FetchProgress =
  | {
      readonly kind: "start";
      /** First bar asked for: `since` for a new file, the last saved bar + one timeframe when resuming. */
      readonly from: number;
      readonly until: number;
      readonly existingRows: number;
      readonly resumed: boolean;
    }
  | {
      readonly kind: "page";
      readonly page: number;
      readonly newRows: number;
      readonly totalRows: number;
      readonly lastTimestamp: number;
      /** Share of [from, min(until, now)) covered so far, 0..1. */
      readonly fraction: number;
    }
  | {
      readonly kind: "retry";
      readonly attempt: number;
      readonly delayMs: number;
      readonly since: number;
      readonly error: string;
    }
  | { readonly kind: "done"; readonly totalRows: number; readonly newRows: number; readonly upToDate: boolean };

/** What the downloader needs from the outside world, injectable for tests. */
export interface FetchDeps {
  /** The exchange; default: `new ccxt[config.exchange]({ enableRateLimit: true, ...config.exchangeOptions })`. */
  readonly exchange?: OhlcvExchange;
  /** Waits between retries; default: a timer (cut short by `signal`). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The current time in ms; default Date.now. Bars whose close is after it are still forming. */
  readonly now?: () => number;
  readonly onProgress?: (event: FetchProgress) => void;
  /** Stops the run between requests; what was saved stays saved. */
  readonly signal?: AbortSignal;
}

export interface FetchResult {
  readonly config: FetchConfig;
  /** Rows in the output file before this run (0 for a new file). */
  readonly existingRows: number;
  /** Rows this run added. */
  readonly newRows: number;
  /** Requests sent, retries included. */
  readonly requests: number;
  readonly retries: number;
  /** The whole output file, read back and validated; null when nothing was written (no data in range). */
  readonly candles: Candles | null;
  readonly report: CsvReport | null;
  /** The ccxt version that did the download, for the run record. */
  readonly ccxtVersion: string;
}

type CcxtModule = typeof import("ccxt");

async function loadCcxt(): Promise<CcxtModule> {
  return import("ccxt");
}

/** Every URL in a ccxt `urls.api` entry (a string or a nested map of them) replaced by `base`. */
function redirectApi(api: unknown, base: string): unknown {
  if (typeof api === "string") return base;
  if (api !== null && typeof api === "object") {
    return Object.fromEntries(Object.entries(api).map(([k, v]) => [k, redirectApi(v, base)]));
  }
  return api;
}

/**
 * A ccxt exchange by id, with the rate limiter on and the caller's overrides (rateLimit, urls…) applied;
 * with `apiUrl`, every API URL of the exchange points there instead.
 */
export async function createExchange(
  exchangeId: string,
  options: Record<string, unknown> = {},
  apiUrl?: string,
): Promise<OhlcvExchange> {
  const ccxt = await loadCcxt();
  const classes = ccxt.exchanges as unknown as Record<string, unknown>;
  const ctor = Object.hasOwn(classes, exchangeId) ? classes[exchangeId] : undefined;
  if (typeof ctor !== "function") {
    throw new FetchError("bad_request", `unknown ccxt exchange "${exchangeId}"`, 0);
  }
  const Exchange = ctor as new (options: Record<string, unknown>) => OhlcvExchange & { urls: { api?: unknown } };
  const exchange = new Exchange({ enableRateLimit: true, ...options });
  if (apiUrl !== undefined) exchange.urls.api = redirectApi(exchange.urls.api, apiUrl.replace(/\/+$/, ""));
  return exchange;
}

function defaultSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal?.aborted === true) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
}

/** Delay before retry number `attempt` (1-based): base·2^(attempt−1), capped. No jitter, so runs repeat exactly. */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

/** An error in one line: long URLs (ccxt puts the whole request in its messages) shortened, the cause kept. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const text = err.message.replace(/(https?:\/\/[^\s?]{0,60})[^\s]*/g, "$1…").replace(/\s+/g, " ");
  return `${err.name}: ${text.length > 400 ? `${text.slice(0, 200)} … ${text.slice(-180)}` : text}`;
}

/** The host the requests go to, for messages. */
function apiHost(config: FetchConfig): string {
  if (config.apiUrl !== undefined) {
    try {
      return new URL(config.apiUrl).host;
    } catch {
      return config.apiUrl;
    }
  }
  return config.exchange;
}

function toNumber(x: number | string | null | undefined): number {
  if (typeof x === "number") return x;
  if (typeof x === "string" && x.trim() !== "") return Number(x);
  return Number.NaN;
}

/** The candles of one page that belong to the file: after `lastTs`, before `until`, closed by `nowMs`. */
interface PageRows {
  readonly candles: Candles;
  /** The page reached `until` or the still-forming bar: no later page can add anything. */
  readonly reachedEnd: boolean;
}

/**
 * Keeps the rows of a page that are new (after the last saved bar and at or after `at`), complete (closed by
 * now) and in range (before `until`). Overlap with saved rows is dropped here; anything else odd (duplicates
 * inside the page, disorder, bad prices) is left for validation to reject.
 */
function selectPageRows(
  rows: readonly OhlcvRow[],
  meta: CandleMeta,
  window: { lastTs: number; at: number; until: number; nowMs: number; barMs: number },
  page: number,
  savedRows: number,
): PageRows {
  const fresh = allocCandles(meta, rows.length);
  let k = 0;
  let reachedEnd = false;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row) || row.length < 6) {
      const message = `page ${page} row ${r} is not [time, open, high, low, close, volume]: ${JSON.stringify(row)}`;
      throw new FetchError("bad_page", message, savedRows, window.at);
    }
    const ts = toNumber(row[0]);
    if (ts <= window.lastTs || ts < window.at) continue;
    if (ts >= window.until || ts + window.barMs > window.nowMs) {
      reachedEnd = true;
      continue;
    }
    fresh.timestamp[k] = ts;
    fresh.open[k] = toNumber(row[1]);
    fresh.high[k] = toNumber(row[2]);
    fresh.low[k] = toNumber(row[3]);
    fresh.close[k] = toNumber(row[4]);
    fresh.volume[k] = toNumber(row[5]);
    k++;
  }
  const candles: Candles = {
    meta,
    length: k,
    timestamp: fresh.timestamp.subarray(0, k),
    open: fresh.open.subarray(0, k),
    high: fresh.high.subarray(0, k),
    low: fresh.low.subarray(0, k),
    close: fresh.close.subarray(0, k),
    volume: fresh.volume.subarray(0, k),
  };
  return { candles, reachedEnd };
}

/**
 * Downloads `config.symbol` candles into `config.out`, resuming an existing file. Resolves when the range is
 * complete (or already was); rejects with a {@link FetchError} (`savedRows` tells what is on disk), a
 * {@link DateRangeError} for an unusable `since` / `until`, or the {@link CandleCsvError} of an existing
 * output file that is not valid (which is then left untouched).
 */
export async function fetchCandles(input: FetchConfigInput = {}, deps: FetchDeps = {}): Promise<FetchResult> {
  const parsed = FetchConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new FetchError("bad_request", `invalid fetch config: ${z.prettifyError(parsed.error)}`, 0);
  }
  const config = parsed.data;
  const barMs = TIMEFRAME_MS[config.timeframe]!;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep(deps.signal);
  const emit = deps.onProgress ?? ((): void => undefined);
  const since = parseDate(config.since, "since");
  const until = config.until === undefined ? Infinity : parseDate(config.until, "until");
  if (until <= since) {
    const range = `since ${new Date(since).toISOString()}, until ${new Date(until).toISOString()}`;
    throw new FetchError("bad_request", `until must be after since; got ${range}`, 0);
  }
  const fileMeta = { symbol: config.symbol, exchange: config.exchange, timeframe: config.timeframe };

  // Resume: the existing file must be valid; its rows are kept as they are and never fetched again.
  let text = CSV_HEADER + "\n";
  let savedRows = 0;
  let lastTs = Number.NaN;
  const resumed = existsSync(config.out);
  if (resumed) {
    checkResumable(config, barMs);
    const existing = readCandlesCsv(config.out, fileMeta);
    savedRows = existing.report.rows;
    if (savedRows > 0) {
      lastTs = existing.report.last!;
      text += formatCandleRows(existing.candles);
    }
  }
  const existingRows = savedRows;
  const from = Number.isNaN(lastTs) ? Math.ceil(since / barMs) * barMs : lastTs + barMs;
  emit({ kind: "start", from, until, existingRows, resumed });

  const ccxt = await loadCcxt();
  let requests = 0;
  let retries = 0;
  let newRows = 0;

  // What is on disk, in words: never "0 rows saved in FILE" for a file that does not exist.
  const savedText = (): string =>
    savedRows > 0 ? `${savedRows} rows saved in ${config.out}` : resumed ? `${config.out} unchanged` : `nothing was saved (${config.out} not created)`;
  const abortIfAsked = (at: number): void => {
    if (deps.signal?.aborted === true) {
      throw new FetchError("aborted", `download aborted; ${savedText()}`, savedRows, at);
    }
  };
  const checkJson = (exchange: OhlcvExchange, what: string, at: number): void => {
    const body = exchange.last_http_response;
    if (typeof body === "string" && body.trim() !== "" && !isJson(body)) {
      const start = body.trim().replace(/\s+/g, " ").slice(0, 80);
      throw new FetchError("not_json", `${what}: the reply is not the exchange's JSON but ${JSON.stringify(start)}… (an error page of a proxy or of the exchange?); ${savedText()}`, savedRows, at);
    }
  };

  /** One call with retries on network and rate-limit errors; anything else fails the run at once. */
  async function withRetries<T>(what: string, at: number, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      abortIfAsked(at);
      requests++;
      try {
        return await call();
      } catch (err) {
        const saved = savedText();
        if (!(err instanceof ccxt.NetworkError)) {
          const message = `${what} failed: ${describeError(err)}; ${saved}`;
          throw new FetchError("exchange_error", message, savedRows, at, { cause: err });
        }
        const cause = networkCause(err);
        const host = apiHost(config);
        if (cause.kind === "dns" || cause.kind === "refused" || cause.kind === "no_route") {
          throw new FetchError("unreachable", `${host}: ${cause.detail}; not retried; ${saved}`, savedRows, at, { cause: err });
        }
        const limit = cause.kind === "timeout" || cause.kind === "dns_temporary" ? Math.min(1, config.maxRetries) : config.maxRetries;
        if ((cause.kind === "timeout" || cause.kind === "dns_temporary") && attempt >= limit) {
          throw new FetchError("unreachable", `${host}: ${cause.detail}, again after ${attempt} retr${attempt === 1 ? "y" : "ies"}; ${saved} (run again to resume)`, savedRows, at, { cause: err });
        }
        if (attempt >= config.maxRetries) {
          const message =
            `${what} still failing after ${config.maxRetries} retries: ${describeError(err)}; ` +
            `${saved} (run again to resume)`;
          throw new FetchError("retries_exhausted", message, savedRows, at, { cause: err });
        }
        const delayMs = backoffDelayMs(attempt + 1, config.baseDelayMs, config.maxDelayMs);
        retries++;
        emit({ kind: "retry", attempt: attempt + 1, delayMs, since: at, error: describeError(err) });
        await sleep(delayMs);
      }
    }
  }

  async function download(exchange: OhlcvExchange): Promise<void> {
    await withRetries("loading markets", from, () => exchange.loadMarkets());
    checkJson(exchange, `${exchange.id} loading markets`, from);
    if (exchange.symbols !== undefined && exchange.symbols.length > 0 && !exchange.symbols.includes(config.symbol)) {
      throw new FetchError("bad_request", `${exchange.id} has no market ${config.symbol}`, savedRows);
    }
    if (exchange.timeframes !== undefined && !(config.timeframe in exchange.timeframes)) {
      throw new FetchError("bad_request", `${exchange.id} does not serve timeframe ${config.timeframe}`, savedRows);
    }
    for (let page = 1, cursor = from; cursor < until && cursor + barMs <= now(); page++) {
      const at = cursor;
      const what = `${exchange.id} fetchOHLCV ${config.symbol} ${config.timeframe} since ${new Date(at).toISOString()}`;
      const rows: unknown = await withRetries(what, at, () =>
        exchange.fetchOHLCV(config.symbol, config.timeframe, at, config.limit),
      );
      checkJson(exchange, what, at);
      if (!Array.isArray(rows)) {
        throw new FetchError("bad_page", `${what} returned ${typeof rows}, not a list of candles`, savedRows, at);
      }
      if (rows.length === 0) break; // nothing after `at` yet
      const nowMs = now();
      const source = `${exchange.id} ${config.symbol} ${config.timeframe} page ${page}`;
      const window = { lastTs, at, until, nowMs, barMs };
      const fresh = selectPageRows(rows as OhlcvRow[], { ...fileMeta, source }, window, page, savedRows);
      const k = fresh.candles.length;
      if (k === 0) break; // nothing new: the range is done (or the exchange ignores `since`; never loop on it)
      let lines: string;
      try {
        lines = formatCandleRows(fresh.candles, Number.isNaN(lastTs) ? undefined : lastTs);
      } catch (err) {
        if (!(err instanceof CandleDataError)) throw err;
        const message = `${err.message}\n(${savedText()})`;
        throw new FetchError("bad_page", message, savedRows, at, { cause: err });
      }
      text += lines;
      writeFileAtomic(config.out, text);
      savedRows += k;
      newRows += k;
      lastTs = fresh.candles.timestamp[k - 1]!;
      cursor = lastTs + barMs;
      const end = Math.min(until, Math.floor(nowMs / barMs) * barMs);
      const fraction = end > from ? Math.min(1, (cursor - from) / (end - from)) : 1;
      emit({ kind: "page", page, newRows: k, totalRows: savedRows, lastTimestamp: lastTs, fraction });
      if (fresh.reachedEnd) break;
    }
  }

  // Nothing to ask for (complete up to `until`, or the next bar is still forming): no exchange, no request.
  if (from < until && from + barMs <= now()) {
    const exchange = deps.exchange ?? (await createExchange(config.exchange, config.exchangeOptions, config.apiUrl));
    try {
      await download(exchange);
    } finally {
      if (deps.exchange === undefined) await exchange.close?.();
    }
  }

  emit({ kind: "done", totalRows: savedRows, newRows, upToDate: newRows === 0 });
  const run = { config, existingRows, newRows, requests, retries, ccxtVersion: ccxt.version };
  if (savedRows === 0 && !resumed) return { ...run, candles: null, report: null };
  const back = parseCandlesCsv(text, config.out, fileMeta);
  return { ...run, candles: back.candles, report: back.report };
}

/**
 * A progress printer for {@link fetchCandles}: a redrawn bar on a TTY, one line per page otherwise (logs,
 * CI). `write` defaults to stderr so that stdout stays clean for `--json`-style output.
 */
export function progressPrinter(
  stream: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
): (event: FetchProgress) => void {
  const tty = stream.isTTY === true;
  const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString().replace(".000Z", "Z") : "now");
  return (e) => {
    switch (e.kind) {
      case "start":
        stream.write(
          (e.resumed ? `resuming after ${e.existingRows} saved rows, ` : "") +
            `fetching from ${iso(e.from)} until ${iso(e.until)}\n`,
        );
        break;
      case "page": {
        const pct = (e.fraction * 100).toFixed(1).padStart(5);
        if (tty) {
          const width = 30;
          const filled = Math.round(e.fraction * width);
          const bar = "#".repeat(filled) + "-".repeat(width - filled);
          stream.write(`\r[${bar}] ${pct}%  ${e.totalRows} rows  up to ${iso(e.lastTimestamp)}`);
        } else {
          const rows = `+${e.newRows} rows (${e.totalRows} total)`;
          stream.write(`page ${e.page}: ${rows} up to ${iso(e.lastTimestamp)} ${pct}%\n`);
        }
        break;
      }
      case "retry":
        stream.write(`${tty ? "\n" : ""}retry ${e.attempt} in ${e.delayMs} ms (since ${iso(e.since)}): ${e.error}\n`);
        break;
      case "done":
        const what = e.upToDate ? "already up to date" : `done: +${e.newRows} rows`;
        stream.write(`${tty ? "\n" : ""}${what}, ${e.totalRows} rows in file\n`);
        break;
    }
  };
}
