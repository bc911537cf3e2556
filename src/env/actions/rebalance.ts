import { HoldCode, type Order } from "./action-scheme.js";

export interface RebalanceParams {
  /** Commission as a fraction of the notional. */
  readonly commission: number;
  /** Expected buy fill over the decision price: 1 + slippage. */
  readonly buyFactor: number;
  /** Expected sell fill over the decision price: 1 − slippage. */
  readonly sellFactor: number;
  /** A rebalance executes only if its notional (at the decision price) is strictly above this (USD). */
  readonly minTradeUsd: number;
}

/**
 * The order that brings the coin share of the value to `target` (in [0, 1]) at the decision price `p`,
 * fees and expected slippage included, so that a fill at the expected price lands exactly on the target.
 * With V = cash + C·p, keep = 1 − commission:
 *   buy  x USD: x = (target·V − C·p) / (k + target·(1 − k)) with k = keep / buyFactor, capped at the cash;
 *   sell a coins: a = (C·p − target·V) / (p·((1 − target) + target·keep·sellFactor)), capped at C.
 * Shared by every target-exposure scheme (discrete levels and continuous).
 */
export function rebalanceOrder(
  target: number,
  cash: number,
  coins: number,
  p: number,
  params: RebalanceParams,
  order: Order,
): HoldCode {
  order.spendUsd = 0;
  order.sellCoins = 0;
  const coinValue = coins * p;
  const value = cash + coinValue;
  const gap = target * value - coinValue;
  const keep = 1 - params.commission;
  if (gap > 0) {
    const k = keep / params.buyFactor;
    const x = Math.min(cash, gap / (k + target * (1 - k)));
    if (!(x > params.minTradeUsd)) return HoldCode.BELOW_MIN_TRADE;
    order.spendUsd = x;
    return HoldCode.TRADE;
  }
  if (gap < 0) {
    const a = Math.min(coins, -gap / (p * (1 - target + target * keep * params.sellFactor)));
    if (!(a * p > params.minTradeUsd)) return HoldCode.BELOW_MIN_TRADE;
    order.sellCoins = a;
    return HoldCode.TRADE;
  }
  return HoldCode.BELOW_MIN_TRADE;
}
