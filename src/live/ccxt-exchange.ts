/**
 * The `Exchange` over a real ccxt exchange: live trading, and the market-data half of paper trading. Start-up
 * enforces the live-reliability rules that belong to the client itself:
 *   R1  order calls are never retried inside ccxt: options.maxRetriesOnFailure is 0, checked;
 *   R4  the rate limiter is on: enableRateLimit === true, checked;
 *   R8  --sandbox uses the exchange's test URLs or refuses to start (ccxt's setSandboxMode throws NotSupported
 *       without urls.test); the trader never falls back to production, and logs the resolved API host.
 * Credentials come from the caller (the job reads them from environment variables) and never appear in logs.
 */
import type { Exchange as CcxtClient, Order as CcxtOrder } from "ccxt";
import { TradingError } from "../trading/errors.js";
import type { CandleUpdate, CandleWatcher } from "./candle-stream.js";
import { ExchangeFault, type Balances, type Exchange, type ExchangeMode, type ExchangeOrder, type MarketInfo, type OhlcvRow, type OrderRequest, type OrderState } from "./exchange.js";

export interface CcxtExchangeOptions {
  /** ccxt exchange id, e.g. "binance". */
  readonly exchangeId: string;
  /** Unified symbol, e.g. "BTC/USDT". */
  readonly symbol: string;
  readonly timeframe: string;
  /** "live" may trade; "paper" only reads public market data (paper-exchange.ts wraps it). */
  readonly mode: Extract<ExchangeMode, "live" | "paper">;
  readonly credentials?: { readonly apiKey: string; readonly secret: string; readonly password?: string };
  /** Use the exchange's test URLs (R8). */
  readonly sandbox?: boolean;
  /** Send every request to this base URL, keeping the original host as the first path segment (tests, proxies). */
  readonly apiUrl?: string;
  /** ccxt request timeout (ms). */
  readonly timeoutMs?: number;
  /** Extra ccxt constructor options; they cannot turn the rate limiter off or enable ccxt's own retries. */
  readonly ccxtOptions?: Readonly<Record<string, unknown>>;
  /** Startup log (the resolved API host goes here). */
  readonly log?: (line: string) => void;
}

/**
 * Per-exchange ccxt options the trader needs (config, not code branches): Binance loads spot markets only and
 * skips the currencies and margin endpoints (sapi, absent from the testnet).
 */
export const EXCHANGE_CCXT_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  binance: { options: { fetchMarkets: { types: ["spot"] }, fetchMargins: false, fetchCurrencies: false, defaultType: "spot" } },
};

type CcxtModule = typeof import("ccxt");

/**
 * Every URL under a ccxt `urls.api` entry rewritten to `${base}/${host}${path}` (the fake server routes on it);
 * websocket URLs (wss://) go to the same base as ws:// (an https base as wss://).
 */
export function redirectHosts(api: unknown, base: string): unknown {
  if (typeof api === "string") {
    const m = /^(https?|wss?):\/\/([^/]+)(.*)$/.exec(api);
    if (m === null) return api;
    return `${m[1]!.startsWith("ws") ? base.replace(/^http/, "ws") : base}/${m[2]}${m[3]}`;
  }
  if (api !== null && typeof api === "object") return Object.fromEntries(Object.entries(api).map(([k, v]) => [k, redirectHosts(v, base)]));
  return api;
}

/** The host of the first API URL of a ccxt `urls.api` entry (what R8 logs). */
export function firstApiHost(api: unknown): string | null {
  if (typeof api === "string") return /^(?:https?|wss?):\/\/([^/]+)/.exec(api)?.[1] ?? null;
  if (api !== null && typeof api === "object") {
    const entries = Object.entries(api as Record<string, unknown>);
    // Prefer the public/spot entry when there is one: it is where candles and spot orders go.
    const preferred = entries.find(([k]) => k === "public") ?? entries[0];
    return preferred === undefined ? null : firstApiHost(preferred[1]);
  }
  return null;
}

/**
 * A configured ccxt client with the start-up checks done (R1, R4, R8), and the API host it resolved to. `stream`:
 * the exchange's ccxt.pro class (websockets), without credentials; null when ccxt.pro has no such exchange.
 */
export async function createCcxtClient(opts: CcxtExchangeOptions): Promise<{ client: CcxtClient; apiHost: string | null }>;
export async function createCcxtClient(opts: CcxtExchangeOptions, flavour: "stream"): Promise<{ client: CcxtClient; apiHost: string | null } | null>;
export async function createCcxtClient(opts: CcxtExchangeOptions, flavour: "rest" | "stream" = "rest"): Promise<{ client: CcxtClient; apiHost: string | null } | null> {
  const ccxt: CcxtModule = await import("ccxt");
  const known = ccxt.exchanges as unknown as Record<string, unknown>;
  if (typeof (Object.hasOwn(known, opts.exchangeId) ? known[opts.exchangeId] : undefined) !== "function") throw new TradingError("exchange_unsupported", `unknown ccxt exchange "${opts.exchangeId}"`, "--exchange");
  const classes = (flavour === "stream" ? ccxt.pro : ccxt.exchanges) as unknown as Record<string, unknown>;
  const Ctor = Object.hasOwn(classes, opts.exchangeId) ? classes[opts.exchangeId] : undefined;
  if (typeof Ctor !== "function") return null;
  const defaults = EXCHANGE_CCXT_DEFAULTS[opts.exchangeId] ?? {};
  const extra = opts.ccxtOptions ?? {};
  const mergedOptions = { ...((defaults.options as Record<string, unknown>) ?? {}), ...((extra.options as Record<string, unknown>) ?? {}), maxRetriesOnFailure: 0 };
  const client = new (Ctor as new (o: Record<string, unknown>) => CcxtClient)({
    ...defaults,
    ...extra,
    ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    ...(opts.credentials === undefined || flavour === "stream" ? {} : { apiKey: opts.credentials.apiKey, secret: opts.credentials.secret, ...(opts.credentials.password === undefined ? {} : { password: opts.credentials.password }) }),
    options: mergedOptions,
    enableRateLimit: true,
  });
  if (opts.sandbox === true) {
    // ccxt's setSandboxMode only checks that the key `test` exists; 55 exchanges of ccxt 4.5 have it undefined, which
    // would leave no API URL at all. Fail closed here: a sandbox needs at least one test URL.
    if (firstApiHost((client.urls as { test?: unknown }).test) === null) {
      throw new TradingError("exchange_unsupported", `--sandbox: NotSupported: ${client.id} does not have a sandbox URL (urls.test is empty); refusing to fall back to production`, "--sandbox");
    }
    try {
      client.setSandboxMode(true);
    } catch (err) {
      throw new TradingError(
        "exchange_unsupported",
        `--sandbox: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (the exchange has no test URLs; refusing to fall back to production)`,
        "--sandbox",
      );
    }
  }
  const host = flavour === "stream" ? firstApiHost((client.urls.api as { ws?: unknown }).ws ?? null) : firstApiHost(client.urls.api);
  opts.log?.(`exchange ${opts.exchangeId}${opts.sandbox === true ? " (sandbox)" : ""}: ${flavour === "stream" ? "candle stream" : "API"} host ${host ?? "unknown"}`);
  if (opts.apiUrl !== undefined) client.urls.api = redirectHosts(client.urls.api, opts.apiUrl.replace(/\/+$/, "")) as typeof client.urls.api;
  // ccxt.pro opens a plain ws:// URL (a local test exchange, a proxy) only with an http agent loaded first.
  if (flavour === "stream" && opts.apiUrl?.startsWith("http://") === true) await (client as unknown as { loadHttpProxyAgent(): Promise<unknown> }).loadHttpProxyAgent();
  assertClientSafety(client);
  return { client, apiHost: host };
}

/**
 * Per-exchange readers of a stream message's own "candle closed" flag, and the ccxt.pro method that receives those
 * messages (config, not code branches). Without one, a candle counts as closed when its successor starts.
 */
export const STREAM_CLOSED_FLAGS: Readonly<Record<string, { readonly handler: string; readonly read: (message: unknown) => { ts: number; final: boolean } | null }>> = {
  // {"e":"kline","k":{"t":open time,…,"x":closed}}; ccxt's parsed candle drops "x".
  binance: {
    handler: "handleOHLCV",
    read: (message) => {
      const k = (message as { k?: { t?: unknown; x?: unknown } } | null)?.k;
      return typeof k?.t === "number" && typeof k.x === "boolean" ? { ts: k.t, final: k.x } : null;
    },
  },
};

/**
 * The exchange's websocket candles through ccxt.pro's `watchOHLCV`, for the feeder's CandleStream. Its own public
 * client (no credentials: it can never reach an order endpoint, R7), with the same URLs, sandbox rule (R8) and
 * redirect as the REST client.
 */
export class CcxtCandleWatcher implements CandleWatcher {
  private readonly flags = new Map<number, boolean>();

  private constructor(
    readonly client: CcxtClient,
    readonly host: string | null,
    private readonly symbol: string,
    private readonly timeframe: string,
  ) {
    const hook = STREAM_CLOSED_FLAGS[client.id];
    const target = client as unknown as Record<string, unknown>;
    const original = hook === undefined ? undefined : target[hook.handler];
    if (hook !== undefined && typeof original === "function") {
      const flags = this.flags;
      // ccxt.pro dispatches each kline message to this method by name: the flag is read before ccxt parses it away.
      target[hook.handler] = function (this: unknown, conn: unknown, message: unknown): unknown {
        const f = hook.read(message);
        if (f !== null) flags.set(f.ts, f.final);
        return (original as (c: unknown, m: unknown) => unknown).call(this, conn, message);
      };
    }
  }

  /** The watcher, or null when ccxt.pro lacks the exchange or the exchange has no watchOHLCV. */
  static async create(opts: Pick<CcxtExchangeOptions, "exchangeId" | "symbol" | "timeframe" | "sandbox" | "apiUrl" | "timeoutMs" | "ccxtOptions" | "log" | "mode">): Promise<CcxtCandleWatcher | null> {
    // The CandleStream owns the reconnect schedule (and logs it): ccxt's own dial backoff (1 s doubling to 60 s) is off.
    const extra = opts.ccxtOptions ?? {};
    const options = { ...((extra.options as Record<string, unknown>) ?? {}), ws: { backoff: { base: 0, factor: 1, max: 0 } } };
    const made = await createCcxtClient({ ...opts, ccxtOptions: { ...extra, options } }, "stream");
    if (made === null || made.client.has.watchOHLCV !== true) return null;
    return new CcxtCandleWatcher(made.client, made.apiHost, opts.symbol, opts.timeframe);
  }

  async watch(): Promise<CandleUpdate[]> {
    const rows = (await this.client.watchOHLCV(this.symbol, this.timeframe)) as OhlcvRow[];
    const out = rows.map((row) => ({ row, final: this.flags.get(Number(row[0])) ?? null }));
    if (this.flags.size > 64) for (const ts of [...this.flags.keys()].sort((a, b) => a - b).slice(0, this.flags.size - 32)) this.flags.delete(ts);
    return out;
  }

  async reset(): Promise<void> {
    await this.client.close();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** R1 and R4 start-up assertions on a ccxt client. */
export function assertClientSafety(client: CcxtClient): void {
  if (client.enableRateLimit !== true) throw new TradingError("invalid_config", "ccxt's rate limiter must be on (enableRateLimit === true)", "exchange.enableRateLimit");
  const retries = (client.options as Record<string, unknown>).maxRetriesOnFailure;
  if (retries !== 0) throw new TradingError("invalid_config", `ccxt must not retry order calls itself (options.maxRetriesOnFailure is ${String(retries)}, expected 0)`, "exchange.options.maxRetriesOnFailure");
}

const PRECISION_DECIMAL_PLACES = 2;
const PRECISION_TICK_SIZE = 4;

function stepOf(precision: number | undefined, mode: number): number {
  if (precision === undefined || !Number.isFinite(precision)) return 0;
  if (mode === PRECISION_TICK_SIZE) return precision;
  if (mode === PRECISION_DECIMAL_PLACES) return 10 ** -precision;
  return 0; // significant digits: no fixed step; ccxt rounds on the way out
}

/** ccxt's order status → ours. */
function stateOf(status: string | undefined): OrderState {
  if (status === "closed") return "closed";
  if (status === "canceled") return "canceled";
  if (status === "expired") return "expired";
  if (status === "rejected") return "rejected";
  return "open";
}

export class CcxtExchange implements Exchange {
  readonly id: string;
  readonly mode: Extract<ExchangeMode, "live" | "paper">;
  readonly apiHost: string | null;
  readonly sharesJournal = false;
  readonly symbol: string;
  readonly timeframe: string;
  private marketInfo: MarketInfo | null = null;

  constructor(
    readonly client: CcxtClient,
    opts: Pick<CcxtExchangeOptions, "symbol" | "timeframe" | "mode"> & { readonly apiHost: string | null },
  ) {
    this.id = client.id;
    this.mode = opts.mode;
    this.symbol = opts.symbol;
    this.timeframe = opts.timeframe;
    this.apiHost = opts.apiHost;
  }

  static async create(opts: CcxtExchangeOptions): Promise<CcxtExchange> {
    const { client, apiHost: host } = await createCcxtClient(opts);
    if (!(client.timeframes as Record<string, unknown> | undefined)?.[opts.timeframe]) {
      throw new TradingError("exchange_unsupported", `${client.id} does not serve ${opts.timeframe} candles`, "--timeframe");
    }
    return new CcxtExchange(client, { symbol: opts.symbol, timeframe: opts.timeframe, mode: opts.mode, apiHost: host });
  }

  async market(): Promise<MarketInfo> {
    if (this.marketInfo !== null) return this.marketInfo;
    await this.client.loadMarkets();
    const m = (this.client.markets as Record<string, import("ccxt").Market | undefined>)[this.symbol];
    if (m === undefined) throw new TradingError("exchange_unsupported", `${this.client.id} has no market ${this.symbol}`, "--symbol");
    if (m.spot !== true) throw new TradingError("exchange_unsupported", `${this.symbol} on ${this.client.id} is not a spot market`, "--symbol");
    const mode = this.client.precisionMode ?? 0;
    this.marketInfo = {
      symbol: m.symbol,
      base: m.base,
      quote: m.quote,
      amountStep: stepOf(m.precision.amount, mode),
      costStep: stepOf(m.precision.price, mode),
      minAmount: m.limits.amount?.min ?? 0,
      minNotional: m.limits.cost?.min ?? 0,
      takerFee: typeof m.taker === "number" ? m.taker : null,
    };
    return this.marketInfo;
  }

  async fetchCandles(since: number | undefined, limit: number): Promise<OhlcvRow[]> {
    return (await this.client.fetchOHLCV(this.symbol, this.timeframe, since, limit)) as OhlcvRow[];
  }

  async fetchBalances(): Promise<Balances> {
    const m = await this.market();
    const b = (await this.client.fetchBalance()) as unknown as Record<string, { free?: number; used?: number; total?: number } | undefined>;
    const base = b[m.base] ?? {};
    const quote = b[m.quote] ?? {};
    return {
      cash: quote.total ?? (quote.free ?? 0) + (quote.used ?? 0),
      coins: base.total ?? (base.free ?? 0) + (base.used ?? 0),
      cashFree: quote.free ?? 0,
      coinsFree: base.free ?? 0,
    };
  }

  async fetchLastPrice(): Promise<number> {
    const t = await this.client.fetchTicker(this.symbol);
    const p = t.last ?? t.close;
    if (typeof p !== "number" || !(p > 0)) throw new ExchangeFault("retry", "BadResponse", `${this.client.id} fetchTicker(${this.symbol}) returned no last price`);
    return p;
  }

  async createOrder(req: OrderRequest): Promise<ExchangeOrder> {
    if (this.mode !== "live") throw new ExchangeFault("halt", "NotSupported", "paper mode never calls an order endpoint (R7)");
    const params = { clientOrderId: req.clientOrderId };
    let o: CcxtOrder;
    if (req.side === "buy") {
      const cost = req.cost ?? 0;
      if (this.client.has.createMarketBuyOrderWithCost === true) o = await this.client.createMarketBuyOrderWithCost(this.symbol, cost, params);
      else {
        const price = await this.fetchLastPrice();
        o = await this.client.createOrder(this.symbol, "market", "buy", Number(this.client.amountToPrecision(this.symbol, cost / price)), undefined, params);
      }
    } else {
      o = await this.client.createOrder(this.symbol, "market", "sell", Number(this.client.amountToPrecision(this.symbol, req.amount ?? 0)), undefined, params);
    }
    return this.toOrder(o, req.clientOrderId);
  }

  async fetchOrder(clientOrderId: string): Promise<ExchangeOrder> {
    const o = await this.client.fetchOrder("", this.symbol, { clientOrderId });
    return this.toOrder(o, clientOrderId);
  }

  async fetchOpenOrders(): Promise<ExchangeOrder[]> {
    return (await this.client.fetchOpenOrders(this.symbol)).map((o) => this.toOrder(o));
  }

  async fetchRecentOrders(since: number): Promise<ExchangeOrder[]> {
    if (this.client.has.fetchOrders === true) return (await this.client.fetchOrders(this.symbol, since)).map((o) => this.toOrder(o));
    const [open, closed] = [await this.client.fetchOpenOrders(this.symbol, since), await this.client.fetchClosedOrders(this.symbol, since)];
    return [...open, ...closed].map((o) => this.toOrder(o));
  }

  async cancelOrder(clientOrderId: string): Promise<ExchangeOrder> {
    if (this.mode !== "live") throw new ExchangeFault("halt", "NotSupported", "paper mode never calls an order endpoint (R7)");
    const o = await this.client.cancelOrder("", this.symbol, { clientOrderId });
    return this.toOrder(o, clientOrderId);
  }

  async resyncTime(): Promise<void> {
    (this.client.options as Record<string, unknown>).adjustForTimeDifference = true;
    await (this.client as unknown as { loadTimeDifference(): Promise<unknown> }).loadTimeDifference();
  }

  async close(): Promise<void> {
    await (this.client as unknown as { close?: () => Promise<unknown> }).close?.();
  }

  /** ccxt's unified order → ours; a fee charged in coins is converted to quote at the average price. */
  private toOrder(o: CcxtOrder, clientOrderId?: string): ExchangeOrder {
    const m = this.marketInfo;
    const filled = o.filled ?? 0;
    const average = o.average ?? (filled > 0 && o.cost !== undefined ? o.cost / filled : null);
    const cost = o.cost ?? (average !== null ? average * filled : 0);
    let feeQuote = 0;
    let feeCoins = 0;
    const listed = (o as { fees?: Array<{ cost?: number; currency?: string } | undefined> }).fees;
    const fees = listed !== undefined && listed.length > 0 ? listed : o.fee !== undefined ? [o.fee] : [];
    let feeKnown = fees.length > 0;
    for (const f of fees) {
      const c = f?.cost ?? 0;
      if (m !== null && f?.currency === m.base) feeCoins += c;
      else feeQuote += c;
    }
    if (!feeKnown && filled > 0 && m?.takerFee != null) {
      // fetchOrder answers carry no fills (Binance): estimate the fee from the taker rate, in the asset received.
      if (o.side === "buy") feeCoins = filled * m.takerFee;
      else feeQuote = cost * m.takerFee;
      feeKnown = true;
    }
    const side = o.side === "sell" ? "sell" : "buy";
    return {
      id: String(o.id),
      clientOrderId: o.clientOrderId ?? clientOrderId ?? "",
      side,
      status: stateOf(o.status),
      filled,
      cost,
      average,
      fee: feeQuote + feeCoins * (average ?? 0),
      coinsDelta: side === "buy" ? filled - feeCoins : -filled - feeCoins,
      cashDelta: side === "buy" ? -cost - feeQuote : cost - feeQuote,
      timestamp: o.timestamp ?? Date.now(),
    };
  }
}
