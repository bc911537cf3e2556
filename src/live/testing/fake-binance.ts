/**
 * A local imitation of the part of Binance's spot REST API (v3) the trader uses, on 127.0.0.1, for tests that
 * run the REAL ccxt `binance` class against it (GUIDE: real parts, no mocks). It keeps an account, matches
 * market orders at a price the test controls, signs nothing but checks ccxt's HMAC signature, API key and
 * timestamp, and injects the faults of live-reliability.md R1–R6: an order accepted but answered after the
 * client's timeout, 429/418/5xx, maintenance, orders invisible for k lookups, partial fills, balance drift,
 * authentication and nonce errors.
 *
 * Requests arrive as http://127.0.0.1:PORT/<original host>/<original path> (see `redirectHosts` in
 * ccxt-exchange.ts), so the server can tell which host ccxt meant: production, or the testnet (R8).
 *
 * Endpoints: GET /api/v3/{ping,time,exchangeInfo,klines,ticker/24hr,ticker/price,account,order,openOrders,
 * allOrders,myTrades}, POST /api/v3/order, DELETE /api/v3/order. Error bodies are Binance's: {"code":…,"msg":…}.
 *
 * The kline stream (what ccxt.pro's binance `watchOHLCV` uses): a websocket upgrade on the same port at
 * ws://127.0.0.1:PORT/<original host>/ws[/<n>] (`redirectHosts` rewrites ccxt's wss:// URLs the same way). It answers
 * `{"method":"SUBSCRIBE","params":["btcusdt@kline_1h"],"id":N}` with `{"result":null,"id":N}`, then pushes kline
 * events as Binance does: the forming candle every `wsUpdateMs` (`"x":false`, provisional values: the close halfway
 * from the open, half the volume) and, when the market's clock passes a close, that candle's final values
 * (`"x":true`), every close in order while the connection lasts; a new subscription starts with the forming candle
 * (nothing missed is replayed: a reconnect leaves a gap the client must backfill over REST). Faults: `wsSilent`
 * (open but mute), `wsDrop()` (connections reset), `wsRefuse` (upgrades answered 503), `wsHoldFinals` (closes
 * pushed late). REST `klines` serves the forming
 * candle with the same provisional values.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { Bar } from "../../trading/market-history.js";

/** One candle the fake serves. */
export type FakeCandle = Bar;

export interface FakeOrder {
  orderId: number;
  clientOrderId: string;
  side: "BUY" | "SELL";
  type: "MARKET";
  /** Requested base quantity ("0" for a quote-sized buy until it fills). */
  origQty: number;
  /** Requested quote for a buy by cost (quoteOrderQty), else null. */
  quoteOrderQty: number | null;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED" | "REJECTED";
  time: number;
  updateTime: number;
  /** Commission charged so far, in the asset received (BTC on buys, USDT on sells), as Binance does. */
  commission: number;
  commissionAsset: string;
  price: number;
  /** Fills still to come (partial fills): fraction of the order per later lookup. */
  pendingSteps: number;
}

export type FaultRoute = "createOrder" | "fetchOrder" | "openOrders" | "allOrders" | "account" | "klines" | "ticker" | "exchangeInfo" | "cancelOrder" | "time" | "any";

export type Fault =
  /** Accept the order (it exists on the exchange), then answer only after `delayMs` (past ccxt's timeout): R1. */
  | { readonly kind: "accept_then_hang"; readonly delayMs: number }
  /** Reset the connection without an answer (ccxt: NetworkError), before doing anything. */
  | { readonly kind: "drop" }
  /** Answer with an HTTP status and a Binance error body, before doing anything. */
  | { readonly kind: "http"; readonly status: number; readonly code?: number; readonly msg?: string }
  /** Answer 200 with a Binance error body ({"code","msg"}), e.g. -2015 (auth), -1021 (nonce). */
  | { readonly kind: "binance_error"; readonly code: number; readonly msg: string; readonly status?: number }
  /** Hang without ever answering before `delayMs` (a timeout before acceptance). */
  | { readonly kind: "hang"; readonly delayMs: number };

interface PlannedFault {
  readonly route: FaultRoute;
  readonly fault: Fault;
  remaining: number;
}

export interface FakeBinanceOptions {
  readonly apiKey?: string;
  readonly secret?: string;
  /** Taker fee, charged in the asset received (default 0.001). */
  readonly fee?: number;
  /** Starting balances. */
  readonly balances?: Readonly<Record<string, number>>;
  /** LOT_SIZE step (BTC), MIN_NOTIONAL (USDT), tick size. */
  readonly stepSize?: number;
  readonly minQty?: number;
  readonly minNotional?: number;
  readonly tickSize?: number;
  /** The market's clock: which candles have opened, order times (default Date.now). Signatures are checked against the real clock. */
  readonly now?: () => number;
  /** Real ms between two kline updates of the forming candle on the stream (default 1000; Binance: 1000-2000). */
  readonly wsUpdateMs?: number;
  /** Real ms between two looks at the market's clock for a close to push (default 2). */
  readonly wsPollMs?: number;
}

/** What happened on the kline stream (real times, ms since the epoch). */
export interface WsRecord {
  readonly kind: "connect" | "subscribe" | "final" | "close" | "refused";
  /** Real time of the event (Date.now()). */
  readonly at: number;
  readonly host: string;
  /** subscribe: the streams; final: the candle's open time. */
  readonly streams?: readonly string[];
  readonly ts?: number;
}

export interface RequestRecord {
  readonly method: string;
  /** The host ccxt meant (first path segment), e.g. "api.binance.com" or "testnet.binance.vision". */
  readonly host: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
  readonly route: FaultRoute | "other";
}

export interface FakeBinance {
  /** Base URL to redirect ccxt to: http://127.0.0.1:PORT */
  readonly url: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly log: RequestRecord[];
  readonly orders: FakeOrder[];
  readonly balances: Record<string, { free: number; locked: number }>;
  /** Candles served by klines (ascending); the bar containing now() is served as still forming. */
  candles: FakeCandle[];
  /** The price market orders fill at (default: the open of the candle forming now). */
  price: number | null;
  /** Offset added to the server clock (a skew makes ccxt's timestamps look wrong: -1021). */
  clockSkewMs: number;
  /** Every route answers "System is under maintenance." while true. */
  maintenance: boolean;
  /** Lookups of an order by id (GET /api/v3/order) miss it this many times after it is created (eventual consistency, R2). */
  hideNewOrdersFor: number;
  /** Lookups by id miss an order for this many real milliseconds after it is created (eventual consistency in time, R1/R2). */
  hideNewOrdersForMs: number;
  /** New market orders fill in this many steps (1: at once; k > 1: partially, the rest over the next lookups; 0: they rest unfilled until cancelled). */
  fillSteps: number;
  /** A market order that cannot fill at once expires with what it filled (Binance EXPIRED). */
  expirePartial: boolean;
  /** The kline stream's connections, subscriptions, final pushes and closes. */
  readonly wsLog: WsRecord[];
  /** Kline updates of forming candles pushed so far (`"x":false`). */
  readonly wsUpdates: number;
  /** Open stream connections. */
  readonly wsConnections: number;
  /** The stream stays open but sends nothing while true (a silent socket). */
  wsSilent: boolean;
  /** New stream connections are refused (HTTP 503 on the upgrade) while true. */
  wsRefuse: boolean;
  /** Closed candles' final messages are held back (late) while true; the forming candle's updates still go out. */
  wsHoldFinals: boolean;
  /** Resets every stream connection (no close frame: a dropped network); returns how many. */
  wsDrop(): number;
  /** Queue a fault for the next `times` requests of a route. */
  inject(route: FaultRoute, fault: Fault, times?: number): void;
  clearFaults(): void;
  /** Requests to a route so far. */
  count(route: FaultRoute, method?: string): number;
  close(): Promise<void>;
}

const SYMBOL = "BTCUSDT";
const INTERVAL_MS: Readonly<Record<string, number>> = { "1s": 1_000, "1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000 };
/** What a candle looks like while it forms (the trades so far): its close halfway from the open, half its volume. */
const provisional = (c: FakeCandle): FakeCandle => ({ ...c, close: (c.open + c.close) / 2, volume: c.volume / 2 });
const ERR_MAINTENANCE = { code: 1, msg: "System is under maintenance." };

export async function startFakeBinance(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  const apiKey = options.apiKey ?? "test-key";
  const secret = options.secret ?? "test-secret";
  const feeRate = options.fee ?? 0.001;
  const stepSize = options.stepSize ?? 0.00001;
  const minQty = options.minQty ?? 0.00001;
  const minNotional = options.minNotional ?? 5;
  const tickSize = options.tickSize ?? 0.01;
  const now = options.now ?? Date.now;
  const balances: Record<string, { free: number; locked: number }> = {};
  for (const [asset, v] of Object.entries(options.balances ?? { USDT: 10_000, BTC: 0 })) balances[asset] = { free: v, locked: 0 };
  const orders: FakeOrder[] = [];
  const lookupsLeft = new Map<string, number>();
  const hiddenUntil = new Map<string, number>();
  const faults: PlannedFault[] = [];
  const log: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let nextOrderId = 1000;

  const state = {
    candles: [] as FakeCandle[],
    price: null as number | null,
    clockSkewMs: 0,
    maintenance: false,
    hideNewOrdersFor: 0,
    hideNewOrdersForMs: 0,
    fillSteps: 1,
    expirePartial: false,
    wsSilent: false,
    wsRefuse: false,
    wsHoldFinals: false,
  };

  const bal = (asset: string) => (balances[asset] ??= { free: 0, locked: 0 });
  const serverTime = () => now() + state.clockSkewMs;
  /** Market orders fill at `price` when set, else at the open of the bar forming now (the last candle opened). */
  const marketPrice = (): number => {
    if (state.price !== null) return state.price;
    const t = serverTime();
    let p = 0;
    for (const c of state.candles) if (c.ts <= t) p = c.open;
    return p;
  };
  const num = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(15))) : "0");

  function orderJson(o: FakeOrder): Record<string, unknown> {
    return {
      symbol: SYMBOL,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: "0.00000000",
      origQty: num(o.origQty),
      executedQty: num(o.executedQty),
      cummulativeQuoteQty: num(o.cummulativeQuoteQty),
      status: o.status,
      timeInForce: "GTC",
      type: o.type,
      side: o.side,
      stopPrice: "0.00000000",
      icebergQty: "0.00000000",
      time: o.time,
      updateTime: o.updateTime,
      isWorking: true,
      workingTime: o.time,
      origQuoteOrderQty: o.quoteOrderQty === null ? "0.00000000" : num(o.quoteOrderQty),
      selfTradePreventionMode: "EXPIRE_MAKER",
    };
  }

  /** Fills `share` of what is left of `o` at the market price, moving balances and commission. */
  function fillPart(o: FakeOrder, share: number): void {
    const p = marketPrice();
    let qty: number;
    if (o.side === "BUY") {
      const quoteLeft = o.quoteOrderQty !== null ? o.quoteOrderQty - o.cummulativeQuoteQty : (o.origQty - o.executedQty) * p;
      const quote = quoteLeft * share;
      qty = quote / p;
      const fee = qty * feeRate;
      bal("USDT").locked -= quote;
      bal("BTC").free += qty - fee;
      o.cummulativeQuoteQty += quote;
      o.commission += fee;
    } else {
      qty = (o.origQty - o.executedQty) * share;
      const quote = qty * p;
      const fee = quote * feeRate;
      bal("BTC").locked -= qty;
      bal("USDT").free += quote - fee;
      o.cummulativeQuoteQty += quote;
      o.commission += fee;
    }
    o.executedQty += qty;
    o.price = o.executedQty > 0 ? o.cummulativeQuoteQty / o.executedQty : 0;
    o.updateTime = serverTime();
  }

  /** Releases what an order still holds (expired or cancelled). */
  function release(o: FakeOrder): void {
    if (o.side === "BUY") {
      const left = o.quoteOrderQty !== null ? o.quoteOrderQty - o.cummulativeQuoteQty : (o.origQty - o.executedQty) * marketPrice();
      bal("USDT").locked -= left;
      bal("USDT").free += left;
    } else {
      const left = o.origQty - o.executedQty;
      bal("BTC").locked -= left;
      bal("BTC").free += left;
    }
  }

  /** A lookup advances a partially filled order by one step (the rest of the book arrives). */
  function advance(o: FakeOrder): void {
    if (o.status !== "PARTIALLY_FILLED" && o.status !== "NEW") return;
    if (o.pendingSteps <= 0) return;
    o.pendingSteps--;
    fillPart(o, 1 / (o.pendingSteps + 1));
    if (o.pendingSteps === 0) o.status = "FILLED";
    else o.status = "PARTIALLY_FILLED";
  }

  function visible(o: FakeOrder): boolean {
    if (Date.now() < (hiddenUntil.get(o.clientOrderId) ?? 0)) return false;
    const left = lookupsLeft.get(o.clientOrderId) ?? 0;
    if (left > 0) {
      lookupsLeft.set(o.clientOrderId, left - 1);
      return false;
    }
    return true;
  }

  type Reply = { status: number; body: unknown } | { hang: number; then?: () => { status: number; body: unknown } } | { drop: true };

  function placeOrder(q: Record<string, string>): { status: number; body: unknown } {
    if (q.symbol !== SYMBOL) return { status: 400, body: { code: -1121, msg: "Invalid symbol." } };
    if (q.type !== "MARKET") return { status: 400, body: { code: -1116, msg: "Invalid orderType." } };
    const side = q.side === "BUY" ? "BUY" : q.side === "SELL" ? "SELL" : null;
    if (side === null) return { status: 400, body: { code: -1117, msg: "Invalid side." } };
    const clientOrderId = q.newClientOrderId ?? `web_${nextOrderId}`;
    // Binance refuses a client order id still in use by an open order or one of the recent ones.
    if (orders.some((o) => o.clientOrderId === clientOrderId)) return { status: 400, body: { code: -2010, msg: "Duplicate order sent." } };
    const p = marketPrice();
    if (!(p > 0)) return { status: 400, body: { code: -1013, msg: "Market is closed." } };
    const quote = q.quoteOrderQty !== undefined ? Number(q.quoteOrderQty) : null;
    const qty = q.quantity !== undefined ? Number(q.quantity) : null;
    if (side === "SELL" && qty === null) return { status: 400, body: { code: -1102, msg: "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed." } };
    if (side === "BUY" && quote === null && qty === null) return { status: 400, body: { code: -1102, msg: "Mandatory parameter 'quoteOrderQty' was not sent." } };
    if (qty !== null) {
      const steps = qty / stepSize;
      if (Math.abs(steps - Math.round(steps)) > 1e-6 || qty < minQty) return { status: 400, body: { code: -1013, msg: "Filter failure: LOT_SIZE" } };
    }
    const notional = quote ?? (qty ?? 0) * p;
    if (notional < minNotional) return { status: 400, body: { code: -1013, msg: "Filter failure: NOTIONAL" } };
    if (side === "BUY") {
      const need = quote ?? (qty ?? 0) * p;
      if (bal("USDT").free < need - 1e-9) return { status: 400, body: { code: -2010, msg: "Account has insufficient balance for requested action." } };
      bal("USDT").free -= need;
      bal("USDT").locked += need;
    } else {
      if (bal("BTC").free < (qty ?? 0) - 1e-12) return { status: 400, body: { code: -2010, msg: "Account has insufficient balance for requested action." } };
      bal("BTC").free -= qty ?? 0;
      bal("BTC").locked += qty ?? 0;
    }
    const t = serverTime();
    const o: FakeOrder = {
      orderId: nextOrderId++,
      clientOrderId,
      side,
      type: "MARKET",
      origQty: qty ?? 0,
      quoteOrderQty: quote,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: "NEW",
      time: t,
      updateTime: t,
      commission: 0,
      commissionAsset: side === "BUY" ? "BTC" : "USDT",
      price: 0,
      pendingSteps: state.fillSteps,
    };
    orders.push(o);
    if (state.hideNewOrdersFor > 0) lookupsLeft.set(clientOrderId, state.hideNewOrdersFor);
    if (state.hideNewOrdersForMs > 0) hiddenUntil.set(clientOrderId, Date.now() + state.hideNewOrdersForMs);
    advance(o);
    if (o.status === "PARTIALLY_FILLED" && state.expirePartial) {
      release(o);
      o.status = "EXPIRED";
      o.pendingSteps = 0;
    }
    if (o.side === "BUY" && o.quoteOrderQty !== null && o.status === "FILLED") o.origQty = o.executedQty;
    const fills =
      o.executedQty > 0
        ? [{ price: num(o.price), qty: num(o.executedQty), commission: num(o.commission), commissionAsset: o.commissionAsset, tradeId: o.orderId * 10 }]
        : [];
    return { status: 200, body: { ...orderJson(o), transactTime: t, fills } };
  }

  function findOrder(q: Record<string, string>): FakeOrder | undefined {
    if (q.origClientOrderId !== undefined) return orders.find((o) => o.clientOrderId === q.origClientOrderId);
    if (q.orderId !== undefined) return orders.find((o) => String(o.orderId) === q.orderId);
    return undefined;
  }

  function klines(q: Record<string, string>): unknown[] {
    const interval = q.interval ?? "1m";
    const ms = INTERVAL_MS[interval] ?? 60_000;
    const start = q.startTime !== undefined ? Number(q.startTime) : -Infinity;
    const end = q.endTime !== undefined ? Number(q.endTime) : Infinity;
    const limit = Math.min(1000, q.limit !== undefined ? Number(q.limit) : 500);
    const t = serverTime();
    // Bars that have opened by now: the last one may still be forming (served as it is, like Binance does).
    let rows = state.candles.filter((c) => c.ts >= start && c.ts <= end && c.ts <= t);
    if (q.startTime === undefined) rows = rows.slice(-limit);
    else rows = rows.slice(0, limit);
    return rows.map((c0) => (c0.ts + ms > t ? provisional(c0) : c0)).map((c) => [c.ts, num(c.open), num(c.high), num(c.low), num(c.close), num(c.volume), c.ts + ms - 1, num(c.volume * c.close), 100, "0", "0", "0"]);
  }

  function account(): unknown {
    return {
      makerCommission: 10,
      takerCommission: 10,
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      updateTime: serverTime(),
      accountType: "SPOT",
      balances: Object.entries(balances).map(([asset, b]) => ({ asset, free: num(b.free), locked: num(b.locked) })),
      permissions: ["SPOT"],
    };
  }

  function exchangeInfo(): unknown {
    return {
      timezone: "UTC",
      serverTime: serverTime(),
      rateLimits: [],
      exchangeFilters: [],
      symbols: [
        {
          symbol: SYMBOL,
          status: "TRADING",
          baseAsset: "BTC",
          baseAssetPrecision: 8,
          quoteAsset: "USDT",
          quotePrecision: 8,
          quoteAssetPrecision: 8,
          baseCommissionPrecision: 8,
          quoteCommissionPrecision: 8,
          orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
          icebergAllowed: true,
          ocoAllowed: true,
          quoteOrderQtyMarketAllowed: true,
          allowTrailingStop: true,
          cancelReplaceAllowed: true,
          isSpotTradingAllowed: true,
          isMarginTradingAllowed: false,
          filters: [
            { filterType: "PRICE_FILTER", minPrice: "0.01", maxPrice: "1000000.00", tickSize: num(tickSize) },
            { filterType: "LOT_SIZE", minQty: num(minQty), maxQty: "9000.00000000", stepSize: num(stepSize) },
            { filterType: "MARKET_LOT_SIZE", minQty: "0.00000000", maxQty: "100.00000000", stepSize: "0.00000000" },
            { filterType: "NOTIONAL", minNotional: num(minNotional), applyMinToMarket: true, maxNotional: "9000000.00", applyMaxToMarket: false, avgPriceMins: 5 },
          ],
          permissions: [],
          permissionSets: [["SPOT"]],
          defaultSelfTradePreventionMode: "EXPIRE_MAKER",
          allowedSelfTradePreventionModes: ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        },
      ],
    };
  }

  function routeOf(method: string, path: string): FaultRoute | "other" {
    if (path === "/api/v3/order") return method === "POST" ? "createOrder" : method === "DELETE" ? "cancelOrder" : "fetchOrder";
    if (path === "/api/v3/openOrders") return "openOrders";
    if (path === "/api/v3/allOrders") return "allOrders";
    if (path === "/api/v3/account") return "account";
    if (path === "/api/v3/klines") return "klines";
    if (path.startsWith("/api/v3/ticker")) return "ticker";
    if (path === "/api/v3/exchangeInfo") return "exchangeInfo";
    if (path === "/api/v3/time") return "time";
    return "other";
  }

  /** Checks ccxt's signed request: API key header, HMAC-SHA256 of the query (+ body), timestamp within recvWindow. */
  function authError(req: IncomingMessage, rawQuery: string, body: string, q: Record<string, string>): { status: number; body: unknown } | null {
    if (req.headers["x-mbx-apikey"] !== apiKey) return { status: 401, body: { code: -2015, msg: "Invalid API-key, IP, or permissions for action." } };
    const signed = rawQuery.replace(/&?signature=[0-9a-f]+/, "") + body.replace(/&?signature=[0-9a-f]+/, "");
    const sig = q.signature ?? "";
    if (createHmac("sha256", secret).update(signed).digest("hex") !== sig) return { status: 400, body: { code: -1022, msg: "Signature for this request is not valid." } };
    const ts = Number(q.timestamp);
    const window = Number(q.recvWindow ?? "5000");
    if (!(Math.abs(Date.now() + state.clockSkewMs - ts) <= window)) return { status: 400, body: { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." } };
    return null;
  }

  function handle(req: IncomingMessage, body: string): Reply {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const parts = u.pathname.split("/").filter((s) => s !== "");
    const host = parts[0] !== undefined && parts[0].includes(".") ? parts.shift()! : "";
    const path = `/${parts.join("/")}`;
    const rawQuery = u.search.startsWith("?") ? u.search.slice(1) : u.search;
    const q: Record<string, string> = Object.fromEntries(u.searchParams);
    if (body !== "") for (const [k, v] of new URLSearchParams(body)) q[k] = v;
    const route = routeOf(method, path);
    const record = (status: number): void => void log.push({ method, host, path, query: q, status, route });

    const planned = faults.find((f) => f.remaining > 0 && (f.route === route || f.route === "any"));
    if (planned !== undefined) planned.remaining--;
    const fault = planned?.fault;
    if (fault?.kind === "drop") {
      record(0);
      return { drop: true };
    }
    if (fault?.kind === "hang") {
      record(0);
      return { hang: fault.delayMs };
    }
    if (fault?.kind === "http") {
      record(fault.status);
      return { status: fault.status, body: fault.code !== undefined ? { code: fault.code, msg: fault.msg ?? "" } : fault.msg ?? "" };
    }
    if (fault?.kind === "binance_error") {
      record(fault.status ?? 400);
      return { status: fault.status ?? 400, body: { code: fault.code, msg: fault.msg } };
    }
    if (state.maintenance) {
      record(503);
      return { status: 503, body: ERR_MAINTENANCE };
    }
    const signedRoutes: ReadonlyArray<FaultRoute | "other"> = ["createOrder", "cancelOrder", "fetchOrder", "openOrders", "allOrders", "account"];
    if (signedRoutes.includes(route) || path === "/api/v3/myTrades") {
      const err = authError(req, rawQuery, method === "GET" || method === "DELETE" ? "" : body, q);
      if (err !== null) {
        record(err.status);
        return err;
      }
    }
    let reply: { status: number; body: unknown };
    switch (route) {
      case "time":
        reply = { status: 200, body: { serverTime: Date.now() + state.clockSkewMs } };
        break;
      case "exchangeInfo":
        reply = { status: 200, body: exchangeInfo() };
        break;
      case "klines":
        reply = { status: 200, body: klines(q) };
        break;
      case "ticker": {
        const p = marketPrice();
        reply = path.endsWith("/price")
          ? { status: 200, body: { symbol: SYMBOL, price: num(p) } }
          : {
              status: 200,
              body: { symbol: SYMBOL, lastPrice: num(p), bidPrice: num(p), askPrice: num(p), openPrice: num(p), highPrice: num(p), lowPrice: num(p), volume: "1", quoteVolume: num(p), openTime: serverTime() - 86_400_000, closeTime: serverTime(), count: 1 },
            };
        break;
      }
      case "account":
        reply = { status: 200, body: account() };
        break;
      case "createOrder":
        reply = placeOrder(q);
        if (fault?.kind === "accept_then_hang") {
          record(reply.status);
          return { hang: fault.delayMs };
        }
        break;
      case "fetchOrder": {
        const o = findOrder(q);
        if (o === undefined || !visible(o)) reply = { status: 400, body: { code: -2013, msg: "Order does not exist." } };
        else {
          advance(o);
          reply = { status: 200, body: orderJson(o) };
        }
        break;
      }
      case "cancelOrder": {
        const o = findOrder(q);
        if (o === undefined || (o.status !== "NEW" && o.status !== "PARTIALLY_FILLED")) reply = { status: 400, body: { code: -2011, msg: "Unknown order sent." } };
        else {
          release(o);
          o.status = "CANCELED";
          o.pendingSteps = 0;
          o.updateTime = serverTime();
          reply = { status: 200, body: { ...orderJson(o), origClientOrderId: o.clientOrderId } };
        }
        break;
      }
      case "openOrders":
        reply = { status: 200, body: orders.filter((o) => o.status === "NEW" || o.status === "PARTIALLY_FILLED").map(orderJson) };
        break;
      case "allOrders": {
        const start = q.startTime !== undefined ? Number(q.startTime) : -Infinity;
        const limit = Math.min(1000, q.limit !== undefined ? Number(q.limit) : 500);
        const rows = orders.filter((o) => o.time >= start);
        for (const o of rows) advance(o);
        reply = { status: 200, body: rows.slice(0, limit).map(orderJson) };
        break;
      }
      default:
        if (path === "/api/v3/ping") reply = { status: 200, body: {} };
        else if (path === "/api/v3/myTrades") reply = { status: 200, body: [] };
        else reply = { status: 404, body: { code: -1000, msg: `fake binance: no route ${method} ${path}` } };
    }
    record(reply.status);
    return reply;
  }


  // ---- The kline stream -------------------------------------------------------------------------------------
  interface Subscription {
    readonly stream: string;
    readonly interval: string;
    readonly ms: number;
    /** Open time of the last candle whose final values went out (or that had closed when the subscription began). */
    lastFinal: number;
    /** Real time of the last update of the forming candle. */
    lastUpdateAt: number;
  }
  interface StreamConn {
    readonly socket: WebSocket;
    readonly host: string;
    readonly subs: Map<string, Subscription>;
  }
  const wsLog: WsRecord[] = [];
  const conns = new Set<StreamConn>();
  let wsUpdates = 0;
  const wsUpdateMs = options.wsUpdateMs ?? 1_000;
  const wss = new WebSocketServer({ noServer: true });

  /** The newest candle closed at `t` (its open time), or null. */
  const newestClosed = (t: number, ms: number): FakeCandle | null => {
    let out: FakeCandle | null = null;
    for (const c of state.candles) if (c.ts + ms <= t) out = c;
    return out;
  };
  const formingAt = (t: number, ms: number): FakeCandle | null => state.candles.find((c) => c.ts <= t && t < c.ts + ms) ?? null;

  function klineEvent(c: FakeCandle, sub: Subscription, final: boolean): string {
    const v = final ? c : provisional(c);
    return JSON.stringify({
      e: "kline",
      E: serverTime(),
      s: SYMBOL,
      k: { t: c.ts, T: c.ts + sub.ms - 1, s: SYMBOL, i: sub.interval, f: 1, L: 100, o: num(v.open), c: num(v.close), h: num(v.high), l: num(v.low), v: num(v.volume), n: 100, x: final, q: num(v.volume * v.close), V: "0", Q: "0", B: "0" },
    });
  }

  function pushAll(): void {
    const t = serverTime();
    const real = Date.now();
    if (state.wsSilent) return;
    for (const conn of conns) {
      for (const sub of conn.subs.values()) {
        const closed = newestClosed(t, sub.ms);
        // Every close since the last one pushed, in order, while the connection lasts.
        if (closed !== null && closed.ts > sub.lastFinal && !state.wsHoldFinals) {
          for (const c of state.candles) {
            if (c.ts <= sub.lastFinal || c.ts > closed.ts) continue;
            conn.socket.send(klineEvent(c, sub, true));
            wsLog.push({ kind: "final", at: real, host: conn.host, ts: c.ts });
          }
          sub.lastFinal = closed.ts;
          sub.lastUpdateAt = 0;
        }
        if (real - sub.lastUpdateAt >= wsUpdateMs) {
          const f = formingAt(t, sub.ms);
          if (f !== null) {
            conn.socket.send(klineEvent(f, sub, false));
            wsUpdates++;
          }
          sub.lastUpdateAt = real;
        }
      }
    }
  }
  // The clock is polled only while someone listens (REST-only tests pay nothing for the stream).
  let pusher: NodeJS.Timeout | null = null;
  const listen = (): void => {
    if (pusher !== null) return;
    pusher = setInterval(pushAll, options.wsPollMs ?? 2);
    pusher.unref();
  };
  const unlisten = (): void => {
    if (pusher === null || conns.size > 0) return;
    clearInterval(pusher);
    pusher = null;
  };

  function onStreamMessage(conn: StreamConn, raw: string): void {
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      conn.socket.send(JSON.stringify({ error: { code: 3, msg: "Invalid JSON" }, id: null }));
      return;
    }
    const id = msg.id ?? null;
    const params = Array.isArray(msg.params) ? msg.params.filter((p): p is string => typeof p === "string") : [];
    if (msg.method === "SUBSCRIBE" || msg.method === "UNSUBSCRIBE") {
      for (const stream of params) {
        const m = /^([a-z0-9]+)@kline_([0-9]+[smhdwM])$/.exec(stream);
        const ms = m === null ? undefined : INTERVAL_MS[m[2]!];
        if (m === null || m[1] !== SYMBOL.toLowerCase() || ms === undefined) {
          conn.socket.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${stream}` }, id }));
          return;
        }
        if (msg.method === "UNSUBSCRIBE") conn.subs.delete(stream);
        else conn.subs.set(stream, { stream, interval: m[2]!, ms, lastFinal: newestClosed(serverTime(), ms)?.ts ?? -Infinity, lastUpdateAt: 0 });
      }
      if (msg.method === "SUBSCRIBE") wsLog.push({ kind: "subscribe", at: Date.now(), host: conn.host, streams: params });
      conn.socket.send(JSON.stringify({ result: null, id }));
      return;
    }
    conn.socket.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: method ${String(msg.method)}` }, id }));
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const reply = handle(req, body);
      if ("drop" in reply) {
        req.socket.destroy();
        return;
      }
      const send = (status: number, payload: unknown): void => {
        if (res.destroyed || res.writableEnded) return;
        res.writeHead(status, { "Content-Type": typeof payload === "string" ? "text/plain" : "application/json" });
        res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
      };
      if ("hang" in reply) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(504, { code: -1007, msg: "Timeout waiting for response from backend server." });
        }, reply.hang);
        timers.add(timer);
        return;
      }
      send(reply.status, reply.body);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const parts = new URL(req.url ?? "/", "http://127.0.0.1").pathname.split("/").filter((p) => p !== "");
    const host = parts[0] !== undefined && parts[0].includes(".") ? parts.shift()! : "";
    if (parts[0] !== "ws" && parts[0] !== "stream") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    if (state.wsRefuse) {
      wsLog.push({ kind: "refused", at: Date.now(), host });
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: StreamConn = { socket: ws, host, subs: new Map() };
      conns.add(conn);
      listen();
      wsLog.push({ kind: "connect", at: Date.now(), host });
      ws.on("message", (data: Buffer) => onStreamMessage(conn, data.toString("utf8")));
      ws.on("close", () => {
        conns.delete(conn);
        unlisten();
        wsLog.push({ kind: "close", at: Date.now(), host });
      });
      ws.on("error", () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeBinance = {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    secret,
    log,
    orders,
    balances,
    get candles() {
      return state.candles;
    },
    set candles(c) {
      state.candles = c;
    },
    get price() {
      return state.price;
    },
    set price(p) {
      state.price = p;
    },
    get clockSkewMs() {
      return state.clockSkewMs;
    },
    set clockSkewMs(v) {
      state.clockSkewMs = v;
    },
    get maintenance() {
      return state.maintenance;
    },
    set maintenance(v) {
      state.maintenance = v;
    },
    get hideNewOrdersForMs() {
      return state.hideNewOrdersForMs;
    },
    set hideNewOrdersForMs(v) {
      state.hideNewOrdersForMs = v;
    },
    get hideNewOrdersFor() {
      return state.hideNewOrdersFor;
    },
    set hideNewOrdersFor(v) {
      state.hideNewOrdersFor = v;
    },
    get fillSteps() {
      return state.fillSteps;
    },
    set fillSteps(v) {
      state.fillSteps = v;
    },
    get expirePartial() {
      return state.expirePartial;
    },
    set expirePartial(v) {
      state.expirePartial = v;
    },
    wsLog,
    get wsUpdates() {
      return wsUpdates;
    },
    get wsConnections() {
      return conns.size;
    },
    get wsSilent() {
      return state.wsSilent;
    },
    set wsSilent(v) {
      state.wsSilent = v;
    },
    get wsRefuse() {
      return state.wsRefuse;
    },
    set wsRefuse(v) {
      state.wsRefuse = v;
    },
    get wsHoldFinals() {
      return state.wsHoldFinals;
    },
    set wsHoldFinals(v) {
      state.wsHoldFinals = v;
    },
    wsDrop() {
      const n = conns.size;
      for (const c of conns) c.socket.terminate();
      return n;
    },
    inject(route, fault, times = 1) {
      faults.push({ route, fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    count(route, method) {
      return log.filter((r) => r.route === route && (method === undefined || r.method === method)).length;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        if (pusher !== null) clearInterval(pusher);
        for (const c of conns) c.socket.terminate();
        wss.close();
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}
