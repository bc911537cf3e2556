import type { EnvConfig } from "../config.js";
import { DifferentialSharpe } from "./differential-sharpe.js";
import { LogReturn } from "./log-return.js";
import { DrawdownPenalty, TurnoverPenalty } from "./penalties.js";
import { ProfitVsHold } from "./profit-vs-hold.js";
import type { RewardScheme } from "./reward-scheme.js";
import { SumOfRewards } from "./sum-of-rewards.js";

export { DifferentialSharpe } from "./differential-sharpe.js";
export { LogReturn } from "./log-return.js";
export { DrawdownPenalty, TurnoverPenalty } from "./penalties.js";
export { ProfitVsHold } from "./profit-vs-hold.js";
export { RewardInput, type RewardScheme } from "./reward-scheme.js";
export { SumOfRewards } from "./sum-of-rewards.js";

/** The reward scheme a resolved config names: the base alone, or the base plus its non-zero penalties. */
export function createRewardScheme(config: Pick<EnvConfig, "reward">): RewardScheme {
  const { base, drawdownPenalty, turnoverPenalty } = config.reward;
  const baseScheme: RewardScheme =
    base.kind === "profit_vs_hold"
      ? new ProfitVsHold()
      : base.kind === "log_return"
        ? new LogReturn()
        : new DifferentialSharpe(base.eta, base.epsilon, base.warmup);
  const parts: RewardScheme[] = [baseScheme];
  if (drawdownPenalty > 0) parts.push(new DrawdownPenalty(drawdownPenalty));
  if (turnoverPenalty > 0) parts.push(new TurnoverPenalty(turnoverPenalty));
  return parts.length === 1 ? baseScheme : new SumOfRewards(parts);
}
