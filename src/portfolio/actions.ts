import { EnvError } from "../env/errors.js";
import type { BoxSpace, DiscreteSpace } from "../env/spaces.js";
import type { PortfolioActionsConfig } from "./config.js";

/**
 * A weight scheme turns one action into target weights: one share of the portfolio value per asset, each
 * ≥ 0, summing to at most 1 (the rest is cash). It never sees the env: the rebalance (orders, fees, fills)
 * is the portfolio's one code path (rebalance.ts), whatever the scheme.
 */
export interface WeightScheme {
  /** The config `kind` this scheme implements. */
  readonly name: string;
  readonly space: DiscreteSpace | BoxSpace;
  /** True when an action is one index into `space` (Int32Array in the vec env). */
  readonly discrete: boolean;
  /** Numbers per action: 1 for a discrete space, the box's size otherwise (the vec env takes numEnvs × this). */
  readonly actionSize: number;
  /** Writes the weights for the action at actions[offset …] into out[0 … K). Throws EnvError "invalid_action". */
  targetWeights(actions: ArrayLike<number>, offset: number, out: Float64Array): void;
}

const pct = (x: number): string => `${+(x * 100).toPrecision(12)}%`;

/** Every combination of per-asset levels whose sum is ≤ 1, in lexicographic order of the level indices. */
export function levelCombinations(levels: readonly number[], assets: number): number[][] {
  const out: number[][] = [];
  const walk = (prefix: number[], sum: number): void => {
    if (prefix.length === assets) {
      out.push(prefix);
      return;
    }
    for (const l of levels) if (sum + l <= 1 + 1e-12) walk([...prefix, l], sum + l);
  };
  walk([], 0);
  return out;
}

/** Categorical target weights: action k is the k-th combination of `levels` (see levelCombinations). */
export class WeightLevels implements WeightScheme {
  readonly name = "weight_levels";
  readonly discrete = true;
  readonly actionSize = 1;
  readonly space: DiscreteSpace;
  /** combinations × K weights, row-major. */
  private readonly table: Float64Array;
  private readonly assets: number;

  constructor(levels: readonly number[], symbols: readonly string[]) {
    const combos = levelCombinations(levels, symbols.length);
    this.assets = symbols.length;
    this.table = Float64Array.from(combos.flat());
    this.space = {
      kind: "discrete",
      n: combos.length,
      labels: combos.map((w) => [...w.map((x, k) => `${symbols[k]} ${pct(x)}`), `cash ${pct(Math.max(0, 1 - w.reduce((s, x) => s + x, 0)))}`].join(" · ")),
    };
  }

  /** The weights of action `a` (a copy). */
  weightsOf(a: number): number[] {
    return Array.from(this.table.subarray(a * this.assets, (a + 1) * this.assets));
  }

  targetWeights(actions: ArrayLike<number>, offset: number, out: Float64Array): void {
    const a = actions[offset]!;
    if (!(a >>> 0 === a && a < this.space.n)) {
      throw new EnvError("invalid_action", `expected an integer combination index in [0, ${this.space.n}), got ${a}`, "action");
    }
    const K = this.assets;
    for (let k = 0; k < K; k++) out[k] = this.table[a * K + k]!;
  }
}

/** One target weight per asset: clipped to [0, 1], scaled down to sum to 1 when they sum to more. */
export class TargetWeights implements WeightScheme {
  readonly name = "target_weights";
  readonly discrete = false;
  readonly space: BoxSpace;
  readonly actionSize: number;

  constructor(symbols: readonly string[]) {
    const K = symbols.length;
    this.actionSize = K;
    this.space = { kind: "box", shape: [K], low: new Float64Array(K), high: new Float64Array(K).fill(1), labels: symbols.map((s) => `target weight ${s}`) };
  }

  targetWeights(actions: ArrayLike<number>, offset: number, out: Float64Array): void {
    const K = this.actionSize;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const x = actions[offset + k]!;
      // Clipping (not rejecting) out-of-range values is what a Gaussian policy needs; NaN is a bug upstream.
      if (Number.isNaN(x) || x === undefined) throw new EnvError("invalid_action", `target weight ${k} is ${x}, expected a number`, `action[${k}]`);
      const w = x < 0 ? 0 : x > 1 ? 1 : x;
      out[k] = w;
      sum += w;
    }
    if (sum > 1) for (let k = 0; k < K; k++) out[k]! /= sum;
  }
}

/** K + 1 logits (assets, then cash); the weights are the assets' entries of their softmax. */
export class SoftmaxWeights implements WeightScheme {
  readonly name = "softmax_weights";
  readonly discrete = false;
  readonly space: BoxSpace;
  readonly actionSize: number;

  constructor(symbols: readonly string[]) {
    const n = symbols.length + 1;
    this.actionSize = n;
    // The bounds are where random actions are drawn from (the checker); any finite logit is accepted.
    this.space = { kind: "box", shape: [n], low: new Float64Array(n).fill(-5), high: new Float64Array(n).fill(5), labels: [...symbols.map((s) => `logit ${s}`), "logit cash"] };
  }

  targetWeights(actions: ArrayLike<number>, offset: number, out: Float64Array): void {
    const n = this.actionSize;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const x = actions[offset + j]!;
      if (!Number.isFinite(x)) throw new EnvError("invalid_action", `logit ${j} is ${x}, expected a finite number`, `action[${j}]`);
      if (x > max) max = x;
    }
    let z = 0;
    for (let j = 0; j < n; j++) z += Math.exp(actions[offset + j]! - max);
    for (let k = 0; k < n - 1; k++) out[k] = Math.exp(actions[offset + k]! - max) / z;
  }
}

export function createWeightScheme(actions: PortfolioActionsConfig, symbols: readonly string[]): WeightScheme {
  if (actions.kind === "weight_levels") return new WeightLevels(actions.levels, symbols);
  if (actions.kind === "target_weights") return new TargetWeights(symbols);
  return new SoftmaxWeights(symbols);
}
