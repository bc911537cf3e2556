import { Rng } from "../util/rng.js";
import { rolloutSizes, type PpoConfig } from "./config.js";
import type { Engine } from "./engine.js";
import { headActionSize } from "./policy-head.js";
import { allocRolloutBuffer, type RolloutBuffer } from "./rollout-buffer.js";

/**
 * Test fixtures: a rollout buffer filled with random but well-formed data (episode starts in the middle of
 * sequences, non-zero initial states, old log-probabilities perturbed so that some ratios are clipped).
 */
export function randomBuffer(
  engine: Engine,
  opts: { numEnvs: number; rolloutSteps: number; sequenceLength: number; seed: number },
): RolloutBuffer {
  const rng = new Rng(opts.seed);
  const sizes = rolloutSizes({ numEnvs: opts.numEnvs, rolloutSteps: opts.rolloutSteps, sequenceLength: opts.sequenceLength, numMinibatches: 1 } as PpoConfig);
  const spec = engine.spec;
  const D = headActionSize(spec.head);
  const buf = allocRolloutBuffer(sizes, spec.observationSize, spec.stateSize, true, D);
  const n = buf.actions.length;
  for (let i = 0; i < buf.observations.length; i++) buf.observations[i] = rng.uniform() < 0.1 ? 0 : rng.normal();
  for (let i = 0; i < buf.nextObservations.length; i++) buf.nextObservations[i] = rng.normal();
  for (let k = 0; k < n; k++) {
    buf.actions[k] = spec.actionCount > 0 ? rng.int(spec.actionCount) : 0;
    for (let d = 0; d < D; d++) buf.actionValues[k * D + d] = spec.piLogStd >= 0 ? 1.5 * rng.normal() : 0;
    buf.episodeStarts[k] = rng.uniform() < 0.2 ? 1 : 0;
    buf.terminated[k] = rng.uniform() < 0.1 ? 1 : 0;
    buf.truncated[k] = !buf.terminated[k] && rng.uniform() < 0.1 ? 1 : 0;
    buf.rewards[k] = rng.normal();
    buf.values[k] = rng.normal();
    buf.advantages[k] = rng.normal();
    buf.lossAdvantages[k] = buf.advantages[k]!;
    buf.returns[k] = rng.normal() * 2;
  }
  for (let s = 0; s < sizes.numSequences; s++) {
    const zero = buf.episodeStarts[s * sizes.sequenceLength] === 1;
    for (let j = 0; j < spec.stateSize; j++) buf.sequenceStates[s * spec.stateSize + j] = zero ? 0 : 0.5 * rng.normal();
  }
  // Old log-probabilities: the current policy's, shifted by up to ±0.4 so that ratios straddle the clip range.
  const all = Array.from({ length: sizes.numSequences }, (_, s) => s);
  const values = new Float64Array(n);
  engine.evaluate(buf, all, "observations", values, buf.logProbs);
  for (let k = 0; k < n; k++) buf.logProbs[k] = buf.logProbs[k]! + (rng.uniform() - 0.5) * 0.8;
  return buf;
}

export function allSequences(buf: RolloutBuffer): number[] {
  return Array.from({ length: buf.sizes.numSequences }, (_, s) => s);
}
