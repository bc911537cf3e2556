/**
 * The guidance layer: an `OrderFilter` (src/env/order-filter.ts) between the policy's order and the fill, the
 * same object in a backtest and in the live trader, so guidance is applied without retraining on one code path.
 * Per tick, with the guidance the receiver has in force at the tick's time:
 *   timing       a new timing guidance of N ticks makes the next N ticks hold (WAIT), whatever the agent asks;
 *   size         every order (buy or sell) is scaled by `sizeScale`; an order cut to the minimum or below holds;
 *   adjust_risk  a buy is cut so that the coin share after it stays ≤ baseExposureCap × riskScale at the decision
 *                price (fees and the expected slippage included); a buy with no room left holds (EXPOSURE_CAP).
 *                Sells always pass: a lower cap never forces a sale, it only stops new exposure.
 * Expired or stale guidance is neutral (the receiver decides). With nothing in force the order is untouched, bit
 * for bit. Hard risk caps (the trader's risk manager) are another filter composed after this one, so they win.
 */
import { HoldCode, type Order } from "../env/actions/action-scheme.js";
import type { EnvConfig } from "../env/config.js";
import type { OrderFilter } from "../env/order-filter.js";
import type { EffectiveGuidance, GuidanceReceiver } from "./guidance-receiver.js";

export interface GuidanceFilterParams {
  /** Commission as a fraction of the notional. */
  readonly commission: number;
  /** Expected buy fill over the decision price: 1 + slippage. */
  readonly buyFactor: number;
  /** A buy cut to this many USD or fewer becomes a hold. */
  readonly minBuyUsd: number;
  /** A sell cut to this many coins or fewer becomes a hold. */
  readonly minSellCoins: number;
  /** A sell whose notional at the decision price is this many USD or fewer becomes a hold. */
  readonly minSellUsd: number;
  /** The exposure cap with neutral guidance (1 = no cap of its own). */
  readonly baseExposureCap: number;
}

/** The filter's parameters for an env config: its fees, slippage and the action scheme's minimums. */
export function guidanceFilterParams(config: EnvConfig, baseExposureCap = 1): GuidanceFilterParams {
  const a = config.actions;
  const buyFactor = 1 + config.fill.slippageBps / 10_000;
  // The hybrid side-and-size scheme has the reference scheme's minimums (cash for a buy, coins for a sell).
  if (a.kind === "reference" || a.kind === "side_and_size") return { commission: config.commission, buyFactor, minBuyUsd: a.minCash, minSellCoins: a.minCoins, minSellUsd: 0, baseExposureCap };
  return { commission: config.commission, buyFactor, minBuyUsd: a.minTradeUsd, minSellCoins: 0, minSellUsd: a.minTradeUsd, baseExposureCap };
}

/** What the filter did on the last tick (a backtest records it per step; the trader reports it in ppo_state). */
export class GuidanceTick {
  riskScale = 1;
  sizeScale = 1;
  /** Ticks still to wait after this one (0: not waiting). */
  waitLeft = 0;
  /** True when guidance changed this tick's order (cut, scaled or turned into a hold). */
  changed = false;
  /** The guidance in force this tick. */
  guidance: EffectiveGuidance | null = null;
}

export class GuidanceFilter implements OrderFilter {
  readonly last = new GuidanceTick();
  private waitFor: string | null = null;
  private waitLeft = 0;

  /**
   * `now(row)`: the clock of a decision on `row` (a backtest: the bar's close time; live: Date.now()).
   */
  constructor(
    readonly receiver: GuidanceReceiver,
    readonly params: GuidanceFilterParams,
    private readonly now: (row: number) => number,
  ) {}

  filter(code: HoldCode, order: Order, cash: number, coins: number, price: number, row: number): HoldCode {
    const g = this.receiver.effective(this.now(row));
    const last = this.last;
    last.guidance = g;
    last.riskScale = g.riskScale;
    last.sizeScale = g.sizeScale;
    last.changed = false;

    // Timing counts ticks, holds included: a new timing guidance starts its own count.
    if (g.timing === null) {
      this.waitFor = null;
      this.waitLeft = 0;
    } else if (g.timing.id !== this.waitFor) {
      this.waitFor = g.timing.id;
      this.waitLeft = g.timing.ticks;
    }
    const waiting = this.waitLeft > 0;
    if (waiting) this.waitLeft--;
    last.waitLeft = this.waitLeft;

    if (code !== HoldCode.TRADE) return code;
    if (waiting) return this.hold(order, HoldCode.WAIT);

    const p = this.params;
    if (g.sizeScale < 1) {
      last.changed = true;
      if (order.spendUsd > 0) {
        order.spendUsd *= g.sizeScale;
        if (!(order.spendUsd > p.minBuyUsd)) return this.hold(order, HoldCode.CASH_BELOW_MINIMUM);
      } else {
        order.sellCoins *= g.sizeScale;
        if (!(order.sellCoins > p.minSellCoins && order.sellCoins * price > p.minSellUsd)) return this.hold(order, HoldCode.COINS_BELOW_MINIMUM);
      }
    }

    const cap = p.baseExposureCap * g.riskScale;
    if (order.spendUsd > 0 && cap < 1) {
      // Spend x so that coins·p + k·x = cap·(cash + coins·p − (1 − k)·x), with k = keep / buyFactor.
      const keep = 1 - p.commission;
      const k = keep / p.buyFactor;
      const room = (cap * (cash + coins * price) - coins * price) / (k + cap * (1 - k));
      if (!(room > p.minBuyUsd)) {
        last.changed = true;
        return this.hold(order, HoldCode.EXPOSURE_CAP);
      }
      if (order.spendUsd > room) {
        order.spendUsd = room;
        last.changed = true;
      }
    }
    return HoldCode.TRADE;
  }

  private hold(order: Order, code: HoldCode): HoldCode {
    order.spendUsd = 0;
    order.sellCoins = 0;
    this.last.changed = true;
    return code;
  }
}
