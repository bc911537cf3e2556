import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/**
 * Moody & Saffell (2001), "Learning to trade via direct reinforcement": the differential Sharpe ratio.
 * With R_t = V_t / V_{t−1} − 1 and exponential moving moments (A_0 = B_0 = 0)
 *   ΔA_t = η(R_t − A_{t−1}),  ΔB_t = η(R_t² − B_{t−1}),
 *   D_t = (B_{t−1}·ΔA_t − ½·A_{t−1}·ΔB_t) / (B_{t−1} − A_{t−1}²)^{3/2},
 * then A_t = A_{t−1} + ΔA_t, B_t = B_{t−1} + ΔB_t. D_t is 0 while B_{t−1} − A_{t−1}² ≤ ε (no variance yet) and
 * during the first `warmup` steps of an episode (the moments still update): estimated from one or two
 * returns, the variance is tiny by chance and D_t spikes (38 against a typical 0.005 on the embedded market).
 * Memory: [A, B, steps].
 */
export class DifferentialSharpe implements RewardScheme {
  readonly name = "differential_sharpe";
  readonly stateSize = 3;

  constructor(
    private readonly eta: number,
    private readonly epsilon: number,
    private readonly warmup = 0,
  ) {}

  start(memory: Float64Array, offset: number): void {
    memory[offset] = 0;
    memory[offset + 1] = 0;
    memory[offset + 2] = 0;
  }

  reward(s: RewardInput, memory: Float64Array, offset: number): number {
    const r = s.prevValue > 0 ? s.value / s.prevValue - 1 : 0;
    const a = memory[offset]!;
    const b = memory[offset + 1]!;
    const steps = memory[offset + 2]! + 1;
    const dA = this.eta * (r - a);
    const dB = this.eta * (r * r - b);
    const variance = b - a * a;
    memory[offset] = a + dA;
    memory[offset + 1] = b + dB;
    memory[offset + 2] = steps;
    if (steps <= this.warmup || !(variance > this.epsilon)) return 0;
    return (b * dA - 0.5 * a * dB) / (variance * Math.sqrt(variance));
  }
}
