import type { Space } from "../spaces.js";

/**
 * An action scheme turns one action into one order, given only the portfolio and the decision price.
 * It never sees the env: the fill (fees, slippage, where the price comes from) is done by the shared
 * `executeOrder`, so every scheme trades through the same code path.
 */
export interface ActionScheme {
  /** The config `kind` this scheme implements, e.g. "reference". */
  readonly name: string;
  readonly space: Space;
  /** True when an action is an index into `space` (Int32Array in the vec env), false for a real value. */
  readonly discrete: boolean;
  /**
   * Writes the order for `action` into `order` (always both fields) and returns a `HoldCode`: TRADE when the
   * order is to be executed, else why it became a hold. Throws EnvError "invalid_action" for an action
   * outside the space. `price` is the close of the decision row: the last price the agent has seen.
   */
  decide(action: number, cash: number, coins: number, price: number, order: Order): HoldCode;
}

/** One order: at most one of the two fields is positive. Mutable scratch, reused every step. */
export class Order {
  /** USD to spend on coins (a buy), commission included. */
  spendUsd = 0;
  /** Coins to sell. */
  sellCoins = 0;
}

/** Why a step traded or held, as small integers for the hot loop (`HOLD_REASONS` names them). */
export const HoldCode = {
  /** The order executes. */
  TRADE: 0,
  /** The agent asked to hold. */
  HOLD_ACTION: 1,
  /** A buy whose amount is at or below the minimum cash amount. */
  CASH_BELOW_MINIMUM: 2,
  /** A sell whose amount is at or below the minimum coin amount. */
  COINS_BELOW_MINIMUM: 3,
  /** A rebalance whose notional is at or below the minimum trade (includes "already at the target"). */
  BELOW_MIN_TRADE: 4,
} as const;
export type HoldCode = (typeof HoldCode)[keyof typeof HoldCode];

export type HoldReason = "hold_action" | "cash_below_minimum" | "coins_below_minimum" | "below_min_trade";

/** Name of each non-TRADE code; index = code. */
export const HOLD_REASONS: readonly (HoldReason | null)[] = [
  null,
  "hold_action",
  "cash_below_minimum",
  "coins_below_minimum",
  "below_min_trade",
];
