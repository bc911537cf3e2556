import type { Rng } from "../util/rng.js";
import type { Space } from "./spaces.js";

/** A uniformly random action of the space: an index for a discrete space, element 0 of a box (one value). */
export function sampleAction(space: Space, rng: Rng): number {
  if (space.kind === "discrete") return rng.int(space.n);
  const lo = space.low[0]!;
  const hi = space.high[0]!;
  return lo + (hi - lo) * rng.uniform();
}

/** `count` pre-generated random actions, typed as the vec env takes them (count × d values for a box of d). */
export function sampleActions(space: Space, rng: Rng, count: number): Int32Array | Float32Array {
  if (space.kind === "discrete") {
    const out = new Int32Array(count);
    for (let k = 0; k < count; k++) out[k] = rng.int(space.n);
    return out;
  }
  // A box of d values: count × d values, env-major, each uniform in its bounds (d = 1: one sampleAction per env).
  const d = space.low.length;
  const out = new Float32Array(count * d);
  for (let k = 0; k < count; k++) for (let j = 0; j < d; j++) out[k * d + j] = space.low[j]! + (space.high[j]! - space.low[j]!) * rng.uniform();
  return out;
}
