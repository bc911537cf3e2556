import { EnvError } from "../errors.js";
import type { HybridSpace } from "../spaces.js";
import { HoldCode, type ActionScheme, type Order } from "./action-scheme.js";

export interface SideAndSizeParams {
  /** A buy executes only if it spends strictly more than this (USD). */
  readonly minCash: number;
  /** A sell executes only if it sells strictly more than this (coins). */
  readonly minCoins: number;
}

/**
 * The hybrid action of the second seed system: hold, buy or sell, with a continuous size. The env value is
 * a = sign · size in [−1, 1] (HybridSpace): a > 0 buys with a of the cash, a < 0 sells −a of the coins, 0 holds.
 * The article's reference actions are the special case size = 0.5. Values outside [−1, 1] are clipped (a
 * policy's squashed sample never leaves it; a hand-written one might).
 */
export class SideAndSize implements ActionScheme {
  readonly name = "side_and_size";
  readonly discrete = false;
  readonly space: HybridSpace = {
    kind: "hybrid",
    shape: [1],
    low: Float64Array.of(-1),
    high: Float64Array.of(1),
    labels: ["signed size: +f buys with f of the cash, −f sells f of the coins, 0 holds"],
    sides: ["hold", "buy", "sell"],
    sideSigns: [0, 1, -1],
  };

  constructor(private readonly p: SideAndSizeParams) {}

  decide(action: number, cash: number, coins: number, _price: number, order: Order): HoldCode {
    order.spendUsd = 0;
    order.sellCoins = 0;
    if (Number.isNaN(action)) throw new EnvError("invalid_action", "expected a signed size in [−1, 1], got NaN", "action");
    const a = action < -1 ? -1 : action > 1 ? 1 : action;
    if (a > 0) {
      const spend = cash * a;
      if (!(spend > this.p.minCash)) return HoldCode.CASH_BELOW_MINIMUM;
      order.spendUsd = spend;
      return HoldCode.TRADE;
    }
    if (a < 0) {
      const amount = -coins * a;
      if (!(amount > this.p.minCoins)) return HoldCode.COINS_BELOW_MINIMUM;
      order.sellCoins = amount;
      return HoldCode.TRADE;
    }
    return HoldCode.HOLD_ACTION;
  }
}
