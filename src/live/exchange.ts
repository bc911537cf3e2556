/**
 * The exchange as the trader sees it: one market, its candles, the account's balances, and market orders tagged
 * with our client order id. Three implementations share this interface, so the trader runs one code path in
 * every mode:
 *   live    a real ccxt exchange (ccxt-exchange.ts),
 *   paper   a real exchange's public market data with orders filled by the backtest's fill model (paper-exchange.ts),
 *   replay  an exchange simulated from a candle CSV, served bar by bar on a simulated clock (replay-exchange.ts).
 * Errors are thrown as they come (ccxt's classes, or an `ExchangeFault` from the simulated ones) and classified
 * by ccxt-errors.ts.
 */
import type { MarketRules } from "../trading/risk/risk-config.js";
import type { FaultAction } from "./ccxt-errors.js";

export type ExchangeMode = "replay" | "paper" | "live";

/** One OHLCV row as exchanges return it: [open time ms, open, high, low, close, volume]; fields may be text or missing. */
export type OhlcvRow = ReadonlyArray<number | string | null | undefined>;

export interface MarketInfo extends MarketRules {
  /** Unified symbol, e.g. "BTC/USDT". */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** Taker fee as a fraction, when the exchange says (informational: the fill model's commission is the checkpoint's). */
  readonly takerFee: number | null;
}

/** The account in the market's two currencies: totals (free + in open orders) and what is free. */
export interface Balances {
  /** Quote currency (USD, USDT): total. */
  readonly cash: number;
  /** Base currency (coins): total. */
  readonly coins: number;
  readonly cashFree: number;
  readonly coinsFree: number;
}

export type OrderSide = "buy" | "sell";

/** A market order. Buys are sized in quote (what to spend, fees included), sells in coins, as the env's `Order`. */
export interface OrderRequest {
  readonly clientOrderId: string;
  readonly side: OrderSide;
  /** Buys: quote to spend. */
  readonly cost?: number;
  /** Sells: coins to sell. */
  readonly amount?: number;
}

/** open: on the book or filling; closed: filled; canceled / expired / rejected: done with what it filled. */
export type OrderState = "open" | "closed" | "canceled" | "expired" | "rejected";

export interface ExchangeOrder {
  readonly id: string;
  readonly clientOrderId: string;
  readonly side: OrderSide;
  readonly status: OrderState;
  /** Coins traded so far (gross: before a fee charged in coins). */
  readonly filled: number;
  /** Quote traded so far (gross notional). */
  readonly cost: number;
  /** Average fill price; null when nothing filled. */
  readonly average: number | null;
  /** Fee, in quote currency (a fee charged in coins is converted at the average price). */
  readonly fee: number;
  /** Coins the account gained (> 0) or lost (< 0) through this order, fees included. */
  readonly coinsDelta: number;
  /** Quote the account gained (> 0) or lost (< 0) through this order, fees included. */
  readonly cashDelta: number;
  /** Exchange time of the order (ms). */
  readonly timestamp: number;
}

export function isOrderDone(o: Pick<ExchangeOrder, "status">): boolean {
  return o.status !== "open";
}

export interface Exchange {
  /** The ccxt id for live and paper ("binance"), "replay" for a replay. */
  readonly id: string;
  readonly mode: ExchangeMode;
  /** The API host orders would go to (R8 logs it at start-up); null when nothing goes over the network. */
  readonly apiHost: string | null;
  /**
   * True when the exchange's state lives in the journal's own database (the simulated account of paper and
   * replay runs): an order and the journal then commit together or not at all, so the journal need not be flushed
   * before each request. False for a real exchange: the intent is committed before every request (R1, R6).
   */
  readonly sharesJournal: boolean;
  readonly symbol: string;
  readonly timeframe: string;
  market(): Promise<MarketInfo>;
  /** Candles from `since` (inclusive, ms) or the most recent ones, at most `limit`, oldest first. The newest may still be forming. */
  fetchCandles(since: number | undefined, limit: number): Promise<OhlcvRow[]>;
  fetchBalances(): Promise<Balances>;
  /** The last traded price. */
  fetchLastPrice(): Promise<number>;
  /** Places a market order. Never retried by the implementation (ccxt's maxRetriesOnFailure is 0 for order calls). */
  createOrder(req: OrderRequest): Promise<ExchangeOrder>;
  /** The order with this client order id; throws a not_found-classified error when the exchange does not know it (yet). */
  fetchOrder(clientOrderId: string): Promise<ExchangeOrder>;
  fetchOpenOrders(): Promise<ExchangeOrder[]>;
  /** Orders (any state) created at or after `since`. */
  fetchRecentOrders(since: number): Promise<ExchangeOrder[]>;
  cancelOrder(clientOrderId: string): Promise<ExchangeOrder>;
  /** Re-syncs the request clock with the exchange's (after InvalidNonce, R3). */
  resyncTime(): Promise<void>;
  close(): Promise<void>;
}

/** An error of a simulated exchange, already classified (ccxt's errors are classified by class name). */
export class ExchangeFault extends Error {
  override readonly name = "ExchangeFault";
  constructor(
    readonly action: FaultAction,
    /** The ccxt class this stands for, e.g. "InsufficientFunds", "OrderNotFound". */
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
  }
}
