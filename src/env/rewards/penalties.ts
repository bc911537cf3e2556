import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/**
 * −λ · drawdown_t, drawdown_t = (P_t − V_t) / P_t with P_t = max(V_start, V_1, …, V_t) the running peak.
 * Composed with a base reward; λ is in the base reward's units per unit of drawdown. Memory: [P].
 */
export class DrawdownPenalty implements RewardScheme {
  readonly name = "drawdown_penalty";
  readonly stateSize = 1;
  constructor(private readonly lambda: number) {}
  start(memory: Float64Array, offset: number, startValue: number): void {
    memory[offset] = startValue;
  }
  reward(s: RewardInput, memory: Float64Array, offset: number): number {
    const peak = Math.max(memory[offset]!, s.value);
    memory[offset] = peak;
    return peak > 0 ? (-this.lambda * (peak - s.value)) / peak : 0;
  }
}

/**
 * −λ · notional_t / V_{t−1}: the fraction of the portfolio traded this step, on top of the commission.
 * Discourages churning where fees alone are too weak a signal.
 */
export class TurnoverPenalty implements RewardScheme {
  readonly name = "turnover_penalty";
  readonly stateSize = 0;
  constructor(private readonly lambda: number) {}
  start(): void {}
  reward(s: RewardInput): number {
    return s.prevValue > 0 ? (-this.lambda * s.notional) / s.prevValue : 0;
  }
}
