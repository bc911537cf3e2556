/**
 * An exchange simulated from a candle series (a CSV, or the embedded market), served bar by bar on a simulated
 * clock through the same `Exchange` interface as a real one. A bar is served once it has opened; the bar still
 * forming is served with its open only (o = h = l = c = open, volume 0), as a real exchange's would be before it
 * closes, and the trader drops it. Market orders fill through the SimBroker at the backtest's fill price of the
 * decision bar: its close (fill.at = "close") or the next row's open ("next_open"), so that a replay and a
 * backtest of the same window, checkpoint and config make the same fills.
 */
import type { Candles } from "../data/candles.js";
import { timeframeMs } from "../data/candles.js";
import type { Clock } from "./clock.js";
import { ExchangeFault, type Balances, type Exchange, type ExchangeOrder, type MarketInfo, type OhlcvRow, type OrderRequest } from "./exchange.js";
import type { SimBroker } from "./sim-broker.js";

export interface ReplayExchangeOptions {
  readonly symbol: string;
  readonly timeframe: string;
  /** Bars at or after this time are never served (the window's end, exclusive); null: the whole series. */
  readonly end: number | null;
  /** Where an order decided on a bar fills: that bar's close, or the next row's open. */
  readonly fillAt: "close" | "next_open";
  readonly clock: Clock;
  readonly broker: SimBroker;
  /** Exchange limits to simulate (precision, minimums); default none. */
  readonly market?: Partial<MarketInfo>;
}

export class ReplayExchange implements Exchange {
  readonly id = "replay";
  readonly mode = "replay" as const;
  readonly apiHost = null;
  readonly sharesJournal = true;
  readonly symbol: string;
  readonly timeframe: string;
  private readonly barMs: number;
  /** Rows [0, rows) are in the replay window. */
  private readonly rows: number;
  private readonly info: MarketInfo;

  constructor(
    readonly candles: Candles,
    readonly opts: ReplayExchangeOptions,
  ) {
    this.symbol = opts.symbol;
    this.timeframe = opts.timeframe;
    this.barMs = timeframeMs(opts.timeframe);
    let rows = candles.length;
    if (opts.end !== null) while (rows > 0 && candles.timestamp[rows - 1]! >= opts.end) rows--;
    this.rows = rows;
    const [base, quote] = opts.symbol.split("/");
    this.info = {
      symbol: opts.symbol,
      base: base ?? "BASE",
      quote: quote ?? "QUOTE",
      amountStep: 0,
      costStep: 0,
      minAmount: 0,
      minNotional: 0,
      takerFee: opts.broker.terms.commission,
      ...opts.market,
    };
  }

  /** The open time of the last bar of the window (the replay's final mark). */
  get lastBar(): number | null {
    return this.rows > 0 ? this.candles.timestamp[this.rows - 1]! : null;
  }

  /** Index of the first row with timestamp > t (rows ≤ t have opened by t). */
  private openedBy(t: number): number {
    const ts = this.candles.timestamp;
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async market(): Promise<MarketInfo> {
    return this.info;
  }

  async fetchCandles(since: number | undefined, limit: number): Promise<OhlcvRow[]> {
    const now = this.opts.clock.now();
    const c = this.candles;
    const end = this.openedBy(now);
    let from = since === undefined ? Math.max(0, end - limit) : this.openedBy(since - 1);
    if (from < 0) from = 0;
    const to = Math.min(end, from + limit);
    const out: OhlcvRow[] = [];
    for (let i = from; i < to; i++) {
      const ts = c.timestamp[i]!;
      if (ts + this.barMs <= now) out.push([ts, c.open[i]!, c.high[i]!, c.low[i]!, c.close[i]!, c.volume[i]!]);
      else out.push([ts, c.open[i]!, c.open[i]!, c.open[i]!, c.open[i]!, 0]);
    }
    return out;
  }

  async fetchBalances(): Promise<Balances> {
    return this.opts.broker.balances();
  }

  async fetchLastPrice(): Promise<number> {
    const i = this.openedBy(this.opts.clock.now()) - 1;
    if (i < 0) throw new ExchangeFault("retry", "ExchangeNotAvailable", "replay: no bar has opened yet");
    const c = this.candles;
    return c.timestamp[i]! + this.barMs <= this.opts.clock.now() ? c.close[i]! : c.open[i]!;
  }

  /** The base fill price of an order placed now: the last closed bar's close, or the next row's open. */
  private fillBase(): number {
    const now = this.opts.clock.now();
    let i = this.openedBy(now) - 1;
    const c = this.candles;
    // The last bar that has closed by now: the decision bar.
    while (i >= 0 && c.timestamp[i]! + this.barMs > now) i--;
    if (i < 0) return Number.NaN;
    if (this.opts.fillAt === "close") return c.close[i]!;
    return i + 1 < this.rows ? c.open[i + 1]! : Number.NaN;
  }

  async createOrder(req: OrderRequest): Promise<ExchangeOrder> {
    return this.opts.broker.execute(req, this.fillBase(), this.opts.clock.now());
  }

  async fetchOrder(clientOrderId: string): Promise<ExchangeOrder> {
    return this.opts.broker.find(clientOrderId);
  }

  async fetchOpenOrders(): Promise<ExchangeOrder[]> {
    return [];
  }

  async fetchRecentOrders(since: number): Promise<ExchangeOrder[]> {
    return this.opts.broker.recent(since);
  }

  async cancelOrder(clientOrderId: string): Promise<ExchangeOrder> {
    throw new ExchangeFault("not_found", "OrderNotFound", `replay: no open order ${clientOrderId} (market orders fill at once)`);
  }

  async resyncTime(): Promise<void> {}

  async close(): Promise<void> {}
}
