import { HoldCode, Order } from "../env/actions/action-scheme.js";
import { executeOrder, Fill } from "../env/fill.js";

/**
 * The one code path of a portfolio rebalance: target weights → one order per asset ("leg") → every leg
 * filled by the single-asset env's `executeOrder` (fees and fills exactly as there), sells first so that their
 * cash pays for the buys.
 *
 * Sizing. With V = cash + Σ C_k·p_k at the decision prices p_k, keep = 1 − commission and the expected
 * slippage factors (buy b = 1 + s, sell q = 1 − s), a leg that raises asset k's value by g costs g·(b/keep − 1)
 * and one that lowers it by g costs g·(1 − keep·q). The post-trade value V' solves
 *   V' = V − Σ_buy (w_k V' − h_k)·c_b − Σ_sell (h_k − w_k V')·c_s,   h_k = C_k·p_k,
 * which is linear in V' once the legs' sides are known (they are those at V' = V unless a leg is within the
 * fees of its target; the sides are re-derived until they agree). Then buying x_k = (w_k V' − h_k)·b/keep USD
 * and selling a_k = (h_k − w_k V')/p_k coins lands exactly on the targets when the fills are at the expected
 * prices; with one asset this is the single env's `rebalanceOrder` (checked in the tests).
 * A leg whose weight is within `band` of its target, or whose notional is at or below `minTradeUsd`, is not
 * traded (BELOW_MIN_TRADE; the band is decided first and such legs are held fixed in the sizing, so the others
 * still land on their targets); an asset without its own bar (a filled bar, align.ts) is not traded
 * (MISSING_BAR); buys are capped at the cash there is.
 */

/** Leg codes: the env's HoldCode values, plus a missing bar. */
export const LegCode = {
  TRADE: HoldCode.TRADE,
  /** The policy did not ask for a rebalance (baselines that hold). */
  HOLD_ACTION: HoldCode.HOLD_ACTION,
  BELOW_MIN_TRADE: HoldCode.BELOW_MIN_TRADE,
  MISSING_BAR: 5,
} as const;
export type LegCode = (typeof LegCode)[keyof typeof LegCode];

/** Name of each leg code; index = code (null for TRADE). */
export const LEG_REASONS: readonly (string | null)[] = [null, "hold_action", "cash_below_minimum", "coins_below_minimum", "below_min_trade", "missing_bar"];

export interface RebalanceParams {
  readonly commission: number;
  /** Expected buy fill over the decision price: 1 + slippage. */
  readonly buyFactor: number;
  /** Expected sell fill over the decision price: 1 − slippage. */
  readonly sellFactor: number;
  /** A leg executes only if its notional is strictly above this (USD). */
  readonly minTradeUsd: number;
  /** A leg executes only if the asset's weight is strictly more than this away from its target (0: always). */
  readonly band: number;
}

/** What a rebalance did. Mutable scratch for K assets, reused every step. */
export class RebalanceResult {
  cash = 0;
  /** Σ commission over the legs (USD). */
  fee = 0;
  /** Σ traded notional over the legs (USD). */
  notional = 0;
  /** Legs executed. */
  legsTraded = 0;
  /** Post-trade value the sizing aimed at (at the decision prices). */
  plannedValue = 0;
  readonly coins: Float64Array;
  readonly coinsDelta: Float64Array;
  readonly legNotional: Float64Array;
  readonly legFee: Float64Array;
  /** Fill price of each leg, NaN where it did not trade. */
  readonly legPrice: Float64Array;
  readonly legCode: Uint8Array;
  /** 1 where the leg is sized and may trade (tradable and outside the band). */
  readonly active: Uint8Array;
  readonly order = new Order();
  readonly fill = new Fill();

  constructor(readonly assets: number) {
    this.coins = new Float64Array(assets);
    this.coinsDelta = new Float64Array(assets);
    this.legNotional = new Float64Array(assets);
    this.legFee = new Float64Array(assets);
    this.legPrice = new Float64Array(assets);
    this.legCode = new Uint8Array(assets);
    this.active = new Uint8Array(assets);
  }
}

/**
 * Rebalances (cash, coins[co … co+K)) to `targets` at decision prices price[po … po+K), filling every leg at
 * fillBase[po + k] × (buy or sell factor). tradable[po + k] = 0 keeps asset k as it is.
 */
export function rebalanceToWeights(
  params: RebalanceParams,
  cash: number,
  coins: Float64Array,
  co: number,
  price: Float64Array,
  fillBase: Float64Array,
  tradable: Uint8Array,
  po: number,
  targets: Float64Array,
  out: RebalanceResult,
): void {
  const K = out.assets;
  const keep = 1 - params.commission;
  const cb = params.buyFactor / keep - 1;
  const cs = 1 - keep * params.sellFactor;
  let value = cash;
  for (let k = 0; k < K; k++) value += coins[co + k]! * price[po + k]!;
  // Legs inside the band (or without a bar) stay as they are; the others are sized around them.
  const active = out.active;
  for (let k = 0; k < K; k++) {
    active[k] = tradable[po + k] === 0 ? 0 : Math.abs(targets[k]! * value - coins[co + k]! * price[po + k]!) > params.band * value ? 1 : 0;
  }

  // The post-trade value V', with the legs' sides re-derived until they agree with it (at most K + 1 rounds).
  let planned = value;
  for (let round = 0; round <= K; round++) {
    let num = value;
    let den = 1;
    for (let k = 0; k < K; k++) {
      if (active[k] === 0) continue;
      const h = coins[co + k]! * price[po + k]!;
      const w = targets[k]!;
      const gap = w * planned - h;
      if (gap > 0) {
        num += cb * h;
        den += cb * w;
      } else if (gap < 0) {
        num -= cs * h;
        den -= cs * w;
      }
    }
    const next = num / den;
    if (next === planned) break;
    planned = next;
  }
  out.plannedValue = planned;

  const order = out.order;
  const fill = out.fill;
  let c = cash;
  out.fee = 0;
  out.notional = 0;
  out.legsTraded = 0;
  for (let k = 0; k < K; k++) {
    out.coins[k] = coins[co + k]!;
    out.coinsDelta[k] = 0;
    out.legNotional[k] = 0;
    out.legFee[k] = 0;
    out.legPrice[k] = Number.NaN;
    out.legCode[k] = tradable[po + k] === 0 ? LegCode.MISSING_BAR : LegCode.BELOW_MIN_TRADE;
  }
  // Sells first: their proceeds fund the buys.
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < K; k++) {
      // An asset sold in the first pass is not bought back in the second (its gap is rounding, or fill-price luck).
      if (active[k] === 0 || out.legCode[k] === LegCode.TRADE) continue;
      const p = price[po + k]!;
      const held = out.coins[k]!;
      const gap = targets[k]! * planned - held * p;
      order.spendUsd = 0;
      order.sellCoins = 0;
      if (pass === 0 && gap < 0) {
        // A zero target sells everything (no dust left by rounding).
        const a = targets[k] === 0 ? held : Math.min(held, -gap / p);
        if (!(a * p > params.minTradeUsd)) continue;
        order.sellCoins = a;
      } else if (pass === 1 && gap > 0) {
        const x = Math.min(c, (gap * params.buyFactor) / keep);
        if (!(x > params.minTradeUsd)) continue;
        order.spendUsd = x;
      } else continue;
      const base = fillBase[po + k]!;
      executeOrder(c, held, order, base * params.buyFactor, base * params.sellFactor, params.commission, fill);
      c = fill.cash;
      out.coins[k] = fill.coins;
      out.coinsDelta[k] = fill.coinsDelta;
      out.legNotional[k] = fill.notional;
      out.legFee[k] = fill.fee;
      out.legPrice[k] = fill.price;
      out.legCode[k] = LegCode.TRADE;
      out.fee += fill.fee;
      out.notional += fill.notional;
      out.legsTraded++;
    }
  }
  out.cash = c;
}
