/**
 * A reward scheme is given exactly what a reward needs (the portfolio values around one step and what was
 * traded), never the env. Per-episode memory (moving moments, running peak) lives in a Float64Array that the
 * env owns, `stateSize` slots per env, so that the vec env keeps every env's memory in one typed array.
 */
export interface RewardScheme {
  /** Name for logs, e.g. "profit_vs_hold" or "log_return+drawdown_penalty". */
  readonly name: string;
  /** Float64 slots of per-episode memory this scheme keeps per env (0 when stateless). */
  readonly stateSize: number;
  /** Writes the memory of an episode that starts with portfolio value `startValue`. */
  start(memory: Float64Array, offset: number, startValue: number): void;
  /** The reward of one step; updates the memory in memory[offset … offset + stateSize). */
  reward(step: RewardInput, memory: Float64Array, offset: number): number;
}

/** What one step did, in USD. Mutable scratch that the env fills every step (nothing is allocated). */
export class RewardInput {
  /** Portfolio value before the step (at the previous close). */
  prevValue = 0;
  /** Portfolio value after the step (at the new close). */
  value = 0;
  /** Value of the episode's starting mix (initial cash + initial coins) at the previous close. */
  prevHoldValue = 0;
  /** Value of the starting mix at the new close. */
  holdValue = 0;
  /** Traded notional this step (0 on a hold). */
  notional = 0;
  /** Commission paid this step. */
  fee = 0;
}
