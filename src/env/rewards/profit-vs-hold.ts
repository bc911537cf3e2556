import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/**
 * The article's reward: profit_t = V_t − H_t (H = value of the starting mix, "buy and hold"), and
 * r_t = profit_t − profit_{t−1}, in USD. Positive when the agent beats holding over the step.
 */
export class ProfitVsHold implements RewardScheme {
  readonly name = "profit_vs_hold";
  readonly stateSize = 0;
  start(): void {}
  reward(s: RewardInput): number {
    return s.value - s.holdValue - (s.prevValue - s.prevHoldValue);
  }
}
