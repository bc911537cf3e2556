import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/**
 * Moody & Saffell (2001), "Learning to trade via direct reinforcement": the differential Sharpe ratio.
 * With R_t = V_t / V_{t−1} − 1 and exponential moving moments (A_0 = B_0 = 0)
 *   ΔA_t = η(R_t − A_{t−1}),  ΔB_t = η(R_t² − B_{t−1}),
 *   D_t = (B_{t−1}·ΔA_t − ½·A_{t−1}·ΔB_t) / (B_{t−1} − A_{t−1}²)^{3/2},
 * then A_t = A_{t−1} + ΔA_t, B_t = B_{t−1} + ΔB_t. D_t is 0 while B_{t−1} − A_{t−1}² ≤ ε (no variance yet).
 * Memory: [A, B].
 */
export class DifferentialSharpe implements RewardScheme {
  readonly name = "differential_sharpe";
  readonly stateSize = 2;

  constructor(
    private readonly eta: number,
    private readonly epsilon: number,
  ) {}

  start(memory: Float64Array, offset: number): void {
    memory[offset] = 0;
    memory[offset + 1] = 0;
  }

  reward(s: RewardInput, memory: Float64Array, offset: number): number {
    const r = s.prevValue > 0 ? s.value / s.prevValue - 1 : 0;
    const a = memory[offset]!;
    const b = memory[offset + 1]!;
    const dA = this.eta * (r - a);
    const dB = this.eta * (r * r - b);
    const variance = b - a * a;
    memory[offset] = a + dA;
    memory[offset + 1] = b + dB;
    return variance > this.epsilon ? (b * dA - 0.5 * a * dB) / (variance * Math.sqrt(variance)) : 0;
  }
}
