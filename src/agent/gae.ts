import type { RolloutBuffer } from "./rollout-buffer.js";

/**
 * Generalised advantage estimation (Schulman et al. 2016), with the episode boundaries of an auto-resetting
 * vector env: an episode that ended at step t neither passes advantage back from step t+1 nor bootstraps from
 * the next episode's value. A terminated episode bootstraps from 0; a truncated one from V(final observation)
 * when `bootstrapTruncated` (the value it would have had, had time not run out), else from 0 (the article).
 */

/** Value that step t bootstraps from, given V of the observation after it. */
function bootstrapMask(terminated: number, truncated: number, bootstrapTruncated: boolean): number {
  if (terminated) return 0;
  if (truncated) return bootstrapTruncated ? 1 : 0;
  return 1;
}

/**
 * Rollout mode (CleanRL, SB3): values and bootstraps recorded during the rollout; one backward pass per env over
 * its T steps. Writes `advantages` and `returns` = advantages + values (the λ-return, the value target).
 */
export function rolloutAdvantages(buf: RolloutBuffer, gamma: number, lambda: number, bootstrapTruncated: boolean): void {
  const { numEnvs, rolloutSteps: T } = buf.sizes;
  const { rewards, values, terminated, truncated, truncationValues, lastValues, advantages, returns } = buf;
  for (let i = 0; i < numEnvs; i++) {
    let nextAdvantage = 0;
    for (let t = T - 1; t >= 0; t--) {
      const k = i * T + t;
      const ended = terminated[k]! | truncated[k]!;
      let nextValue: number;
      if (terminated[k]) nextValue = 0;
      else if (truncated[k]) nextValue = bootstrapTruncated ? truncationValues[k]! : 0;
      else nextValue = t === T - 1 ? lastValues[i]! : values[k + 1]!;
      const delta = rewards[k]! + gamma * nextValue - values[k]!;
      nextAdvantage = delta + (ended ? 0 : gamma * lambda * nextAdvantage);
      advantages[k] = nextAdvantage;
      returns[k] = nextAdvantage + values[k]!;
    }
  }
}

/**
 * Article mode (the seed reference's train_net): for one sequence starting at `start`, V(s_t) = `values[t]` and
 * V(s_{t+1}) = `nextValues[t]` come from replaying the sequence and its shifted twin with the current network.
 * δ_t = r_t + γ·m_t·V(s_{t+1}) − V(s_t) with m_t the bootstrap mask; advantages are the discounted sum of δ
 * from the sequence's end (no bootstrap past it); the value target is the TD(0) target r_t + γ·m_t·V(s_{t+1}).
 */
export function articleAdvantages(
  buf: RolloutBuffer,
  start: number,
  length: number,
  values: Float64Array,
  nextValues: Float64Array,
  gamma: number,
  lambda: number,
  bootstrapTruncated: boolean,
): void {
  const { rewards, terminated, truncated, advantages, returns } = buf;
  let nextAdvantage = 0;
  for (let t = length - 1; t >= 0; t--) {
    const k = start + t;
    const mask = bootstrapMask(terminated[k]!, truncated[k]!, bootstrapTruncated);
    const target = rewards[k]! + gamma * mask * nextValues[k]!;
    const delta = target - values[k]!;
    const ended = terminated[k]! | truncated[k]!;
    nextAdvantage = delta + (ended ? 0 : gamma * lambda * nextAdvantage);
    advantages[k] = nextAdvantage;
    returns[k] = target;
  }
}
