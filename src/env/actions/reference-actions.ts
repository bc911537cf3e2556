import { EnvError } from "../errors.js";
import type { DiscreteSpace } from "../spaces.js";
import { HoldCode, type ActionScheme, type Order } from "./action-scheme.js";

export interface ReferenceActionsParams {
  /** Fraction of the cash a buy spends and of the coins a sell sells (the article: 0.5). */
  readonly fraction: number;
  /** A buy executes only if it spends strictly more than this (USD; the article: 1). */
  readonly minCash: number;
  /** A sell executes only if it sells strictly more than this (coins; the article: 0.0001). */
  readonly minCoins: number;
}

/** The article's actions: 0 hold, 1 buy with `fraction` of the cash, 2 sell `fraction` of the coins. */
export class ReferenceActions implements ActionScheme {
  readonly name = "reference";
  readonly discrete = true;
  readonly space: DiscreteSpace;

  constructor(private readonly p: ReferenceActionsParams) {
    const pct = `${+(p.fraction * 100).toPrecision(12)}%`;
    this.space = { kind: "discrete", n: 3, labels: ["hold", `buy ${pct} of cash`, `sell ${pct} of coins`] };
  }

  decide(action: number, cash: number, coins: number, _price: number, order: Order): HoldCode {
    order.spendUsd = 0;
    order.sellCoins = 0;
    if (action === 0) return HoldCode.HOLD_ACTION;
    if (action === 1) {
      const spend = cash * this.p.fraction;
      if (!(spend > this.p.minCash)) return HoldCode.CASH_BELOW_MINIMUM;
      order.spendUsd = spend;
      return HoldCode.TRADE;
    }
    if (action === 2) {
      const amount = coins * this.p.fraction;
      if (!(amount > this.p.minCoins)) return HoldCode.COINS_BELOW_MINIMUM;
      order.sellCoins = amount;
      return HoldCode.TRADE;
    }
    throw new EnvError("invalid_action", `expected 0 (hold), 1 (buy) or 2 (sell), got ${action}`, "action");
  }
}
