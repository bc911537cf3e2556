/** Gymnasium-style space descriptions, so that a checker can test every observation and action. */

export interface DiscreteSpace {
  readonly kind: "discrete";
  /** Actions are the integers 0 … n−1. */
  readonly n: number;
  /** Human-readable name of each action, e.g. ["hold", "buy 50% of cash", "sell 50% of coins"]. */
  readonly labels: readonly string[];
}

export interface BoxSpace {
  readonly kind: "box";
  /** Shape of one sample; observations are flat, so this is [size] for a vector. */
  readonly shape: readonly number[];
  /** Per-element bounds (length = product of shape); ±Infinity where unbounded. */
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** Name of each element, e.g. "close_pct", "cash/10000". */
  readonly labels: readonly string[];
}

export type Space = DiscreteSpace | BoxSpace;

export function spaceSize(space: Space): number {
  return space.kind === "discrete" ? 1 : space.shape.reduce((a, b) => a * b, 1);
}

/** True when `x` (one sample, flat) lies in the space. */
export function spaceContains(space: Space, x: ArrayLike<number>): boolean {
  if (space.kind === "discrete") {
    const a = x[0];
    return x.length === 1 && a !== undefined && Number.isInteger(a) && a >= 0 && a < space.n;
  }
  if (x.length !== space.low.length) return false;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= space.low[i]! && v <= space.high[i]!)) return false; // NaN fails too
  }
  return true;
}
