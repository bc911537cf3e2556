/**
 * Paper trading: a real exchange's public market data (candles, ticker) with orders filled by the SimBroker at
 * the live last price, through the backtest's fill model (commission and slippage of the checkpoint). It never
 * calls an order endpoint of the real exchange (R7): createOrder, cancelOrder, editOrder and withdraw of the ccxt
 * client are not reachable from here, and the ccxt adapter in paper mode refuses them as well.
 */
import type { CcxtExchange } from "./ccxt-exchange.js";
import { ExchangeFault, type Balances, type Exchange, type ExchangeOrder, type MarketInfo, type OhlcvRow, type OrderRequest } from "./exchange.js";
import type { SimBroker } from "./sim-broker.js";

export class PaperExchange implements Exchange {
  readonly mode = "paper" as const;
  readonly id: string;
  readonly apiHost: string | null;
  readonly sharesJournal = true;
  readonly symbol: string;
  readonly timeframe: string;

  constructor(
    private readonly data: CcxtExchange,
    private readonly broker: SimBroker,
    private readonly now: () => number = Date.now,
  ) {
    this.id = data.id;
    this.apiHost = data.apiHost;
    this.symbol = data.symbol;
    this.timeframe = data.timeframe;
  }

  market(): Promise<MarketInfo> {
    return this.data.market();
  }

  fetchCandles(since: number | undefined, limit: number): Promise<OhlcvRow[]> {
    return this.data.fetchCandles(since, limit);
  }

  async fetchBalances(): Promise<Balances> {
    return this.broker.balances();
  }

  fetchLastPrice(): Promise<number> {
    return this.data.fetchLastPrice();
  }

  async createOrder(req: OrderRequest): Promise<ExchangeOrder> {
    // A failed price read throws before the broker is touched: nothing was placed (the lookup will say so).
    const price = await this.data.fetchLastPrice();
    return this.broker.execute(req, price, this.now());
  }

  async fetchOrder(clientOrderId: string): Promise<ExchangeOrder> {
    return this.broker.find(clientOrderId);
  }

  async fetchOpenOrders(): Promise<ExchangeOrder[]> {
    return [];
  }

  async fetchRecentOrders(since: number): Promise<ExchangeOrder[]> {
    return this.broker.recent(since);
  }

  async cancelOrder(clientOrderId: string): Promise<ExchangeOrder> {
    throw new ExchangeFault("not_found", "OrderNotFound", `paper: no open order ${clientOrderId} (market orders fill at once)`);
  }

  async resyncTime(): Promise<void> {}

  close(): Promise<void> {
    return this.data.close();
  }
}
