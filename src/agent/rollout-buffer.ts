import type { RolloutSizes } from "./config.js";

/**
 * Everything one rollout collected, struct-of-arrays and env-major: step t of env i is at index i·T + t, so
 * every training sequence (env i, steps kL … kL+L−1) is one contiguous run, and sequence s starts at s·L.
 * Allocated once per training run and overwritten by every rollout.
 */
export interface RolloutBuffer {
  readonly sizes: RolloutSizes;
  readonly observationSize: number;
  readonly stateSize: number;
  /** (N·T) × obs: the (normalised) observation the policy saw at each step. */
  readonly observations: Float32Array;
  /** (N·T) × obs: the observation after each step (the final one where an episode ended); article mode only. */
  readonly nextObservations: Float32Array;
  /** The categorical index of the action taken (the action, or the side; 0 for a Gaussian head). */
  readonly actions: Int32Array;
  /** The pre-squash Gaussian sample u of the action taken (0 for a categorical head); the diagonal head's D values per step, at k·D. */
  readonly actionValues: Float64Array;
  /** log π_old(a_t | history) at the rollout. */
  readonly logProbs: Float64Array;
  /** V_old(history) at the rollout. */
  readonly values: Float64Array;
  /** Scaled rewards (env reward · rewardScale, ÷ the episode's start value with rewardUnit "start_value"). */
  readonly rewards: Float64Array;
  /** 1 where the episode itself ended on this step. */
  readonly terminated: Uint8Array;
  /** 1 where time or data ran out on this step. */
  readonly truncated: Uint8Array;
  /** 1 where the recurrent state was reset to zero before this step (the step starts an episode). */
  readonly episodeStarts: Uint8Array;
  /** Rollout mode: V(final observation) with the carried state where an episode was truncated, else 0. */
  readonly truncationValues: Float64Array;
  /** Per env: V(observation after the last step) with the carried state (rollout mode's bootstrap). */
  readonly lastValues: Float64Array;
  /** numSequences × stateSize: the recurrent state before each sequence's first step (after any reset). */
  readonly sequenceStates: Float64Array;
  readonly advantages: Float64Array;
  /** Value targets. */
  readonly returns: Float64Array;
  /** The advantages the loss uses (normalised per minibatch when configured). */
  readonly lossAdvantages: Float64Array;
}

/** `actionSize`: env values per step kept in actionValues (the diagonal head's D; 1 otherwise). */
export function allocRolloutBuffer(sizes: RolloutSizes, observationSize: number, stateSize: number, withNextObservations: boolean, actionSize = 1): RolloutBuffer {
  const n = sizes.numEnvs * sizes.rolloutSteps;
  return {
    sizes,
    observationSize,
    stateSize,
    observations: new Float32Array(n * observationSize),
    nextObservations: new Float32Array(withNextObservations ? n * observationSize : 0),
    actions: new Int32Array(n),
    actionValues: new Float64Array(n * actionSize),
    logProbs: new Float64Array(n),
    values: new Float64Array(n),
    rewards: new Float64Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    episodeStarts: new Uint8Array(n),
    truncationValues: new Float64Array(n),
    lastValues: new Float64Array(sizes.numEnvs),
    sequenceStates: new Float64Array(sizes.numSequences * stateSize),
    advantages: new Float64Array(n),
    returns: new Float64Array(n),
    lossAdvantages: new Float64Array(n),
  };
}
