import type { RewardInput, RewardScheme } from "./reward-scheme.js";

/** r_t = Σ_k r_t^(k): a base reward plus penalties; each part keeps its memory at its own offset. */
export class SumOfRewards implements RewardScheme {
  readonly name: string;
  readonly stateSize: number;
  private readonly offsets: Int32Array;

  constructor(private readonly parts: readonly RewardScheme[]) {
    this.name = parts.map((p) => p.name).join("+");
    this.offsets = new Int32Array(parts.length);
    let size = 0;
    parts.forEach((p, k) => {
      this.offsets[k] = size;
      size += p.stateSize;
    });
    this.stateSize = size;
  }

  start(memory: Float64Array, offset: number, startValue: number): void {
    for (let k = 0; k < this.parts.length; k++) this.parts[k]!.start(memory, offset + this.offsets[k]!, startValue);
  }

  reward(s: RewardInput, memory: Float64Array, offset: number): number {
    let r = 0;
    for (let k = 0; k < this.parts.length; k++) r += this.parts[k]!.reward(s, memory, offset + this.offsets[k]!);
    return r;
  }
}
