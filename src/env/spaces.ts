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

/**
 * A side chosen among a few (hold, buy, sell) together with a size in [0, 1] for the sides that take one: the
 * action space of a PPO whose policy is a categorical side plus a bounded continuous quantity. The env takes it
 * as one number, a = sideSigns[side] · size in [−1, 1] (for hold / buy / sell: 0 holds, +0.3 buys with 30% of
 * the cash, −0.5 sells half the coins), so that the vec env, backtests and traces keep one value per step; it
 * is a one-element box [−1, 1] to any code that only needs bounds. encodeSideSize / decodeSideSize convert.
 */
export interface HybridSpace {
  readonly kind: "hybrid";
  readonly shape: readonly number[];
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** One label: what the encoded value means. */
  readonly labels: readonly string[];
  /** Names of the sides, e.g. ["hold", "buy", "sell"]. */
  readonly sides: readonly string[];
  /** Sign of the encoded value per side: 0 for a side without a size (hold), +1 or −1 (one side each). */
  readonly sideSigns: readonly (-1 | 0 | 1)[];
}

export type Space = DiscreteSpace | BoxSpace | HybridSpace;

/** Whether each side of a hybrid space takes a size (its sign is not 0). */
export function sizedSides(space: HybridSpace): boolean[] {
  return space.sideSigns.map((s) => s !== 0);
}

/** The env value of (side, size): sideSigns[side] · size, size clipped to [0, 1]. */
export function encodeSideSize(space: HybridSpace, side: number, size: number): number {
  const sign = space.sideSigns[side];
  if (sign === undefined) throw new RangeError(`side ${side} outside [0, ${space.sides.length})`);
  return sign === 0 ? 0 : sign * (size < 0 ? 0 : size > 1 ? 1 : size);
}

/** The (side, size) of an env value: the side whose sign matches (the unsized side for 0), size = |value|. */
export function decodeSideSize(space: HybridSpace, value: number): { side: number; size: number } {
  const sign = value > 0 ? 1 : value < 0 ? -1 : 0;
  const side = space.sideSigns.indexOf(sign);
  if (side < 0) throw new RangeError(`no side of ${JSON.stringify(space.sides)} has sign ${sign}`);
  return { side, size: sign === 0 ? 0 : Math.min(1, Math.abs(value)) };
}

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

/** The names a checkpoint records for an action space: a hybrid space's sides, otherwise its labels. */
export function actionLabelsOf(space: Space): string[] {
  return space.kind === "hybrid" ? [...space.sides] : [...space.labels];
}
