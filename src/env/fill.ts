import type { Order } from "./actions/action-scheme.js";

/** Result of one fill. Mutable scratch, reused every step (the hot loop allocates nothing). */
export class Fill {
  /** Cash after the fill (USD). */
  cash = 0;
  /** Coins after the fill. */
  coins = 0;
  /** Commission paid (USD). */
  fee = 0;
  /** Traded notional at the fill price (USD): the cash spent on a buy, the gross proceeds of a sell. */
  notional = 0;
  /** Coins bought (> 0) or sold (< 0). */
  coinsDelta = 0;
  /** The price the order filled at (slippage included); NaN when nothing traded. */
  price = Number.NaN;
}

/**
 * The one code path for fees and fills, shared by the single env, the vec env, the backtest and live trading.
 * keep = 1 − commission;
 *   buy  (spend x USD at price f): cash −= x,  coins += keep·x / f,  fee = commission·x,   notional = x;
 *   sell (a coins at price f):     coins −= a, cash += keep·a·f,     fee = commission·a·f, notional = a·f.
 * The operation order is the article's, so that the `seed` preset reproduces it to the last bit.
 * `buyPrice` and `sellPrice` already include slippage (worse for the trader).
 */
export function executeOrder(
  cash: number,
  coins: number,
  order: Order,
  buyPrice: number,
  sellPrice: number,
  commission: number,
  out: Fill,
): void {
  const keep = 1 - commission;
  if (order.spendUsd > 0) {
    const spend = order.spendUsd;
    const bought = (keep * spend) / buyPrice;
    out.cash = cash - spend;
    out.coins = coins + bought;
    out.fee = commission * spend;
    out.notional = spend;
    out.coinsDelta = bought;
    out.price = buyPrice;
  } else if (order.sellCoins > 0) {
    const amount = order.sellCoins;
    out.coins = coins - amount;
    out.cash = cash + keep * amount * sellPrice;
    out.fee = commission * amount * sellPrice;
    out.notional = amount * sellPrice;
    out.coinsDelta = -amount;
    out.price = sellPrice;
  } else {
    out.cash = cash;
    out.coins = coins;
    out.fee = 0;
    out.notional = 0;
    out.coinsDelta = 0;
    out.price = Number.NaN;
  }
}
