import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/** Smallest value ratio the log is taken of: keeps the reward finite if the value ever reaches 0. */
const MIN_RATIO = 1e-12;

/** r_t = ln(V_t / V_{t−1}): scale-free, and the episode's rewards sum to the log of its total return. */
export class LogReturn implements RewardScheme {
  readonly name = "log_return";
  readonly stateSize = 0;
  start(): void {}
  reward(s: RewardInput): number {
    const ratio = s.prevValue > 0 ? s.value / s.prevValue : 1;
    return Math.log(ratio > MIN_RATIO ? ratio : MIN_RATIO);
  }
}
