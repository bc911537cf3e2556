import type { BoxSpace, Space } from "./spaces.js";

/**
 * The contract between the environments and the agent: N episodes stepped together, struct-of-arrays
 * buffers that the env owns and overwrites on every call (read them before the next call; copy what
 * you keep). Finished episodes reset automatically.
 *
 * Why `finalObservations`: with auto-reset, `observations` already holds the next episode's first
 * observation for a finished env; PPO needs V(final observation) to bootstrap through a truncation
 * (time or data ran out) but not through a termination (the episode itself ended).
 */
export interface VecEnv {
  readonly numEnvs: number;
  /** Space of one env's observation: a flat vector of `observationSize` elements. */
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly observationSize: number;
  /**
   * Portfolio value of each env when its current episode started (USD; rewritten when an episode starts, i.e. on
   * reset and on the step that finishes one). Trading envs have it; PPO reads it for rewards "per start value".
   */
  readonly episodeStartValues?: Float64Array;
  /** Resets every env (env i is seeded from `seed` and i); returns the observation buffer. */
  reset(seed?: number): Float32Array;
  /** Applies actions[i] to env i (an action index for discrete spaces, a value for a box; a box of d values takes actions[i·d … i·d + d)). */
  step(actions: Int32Array | Float32Array): VecStepResult;
}

export interface VecStepResult {
  /** numEnvs × observationSize, row-major. For a finished env: the first observation of its next episode. */
  readonly observations: Float32Array;
  readonly rewards: Float64Array;
  /** 1 where the episode itself ended (ruin), else 0. */
  readonly terminated: Uint8Array;
  /** 1 where the window or the data ran out, else 0. */
  readonly truncated: Uint8Array;
  /** numEnvs × observationSize; row i is valid where terminated[i] or truncated[i] is 1. */
  readonly finalObservations: Float32Array;
  /** Statistics of the episode that just finished; entry i valid where env i finished on this step. */
  readonly finishedEpisodes: FinishedEpisodeStats;
}

export interface FinishedEpisodeStats {
  /** Sum of the env's rewards over the episode (unscaled). */
  readonly returnSum: Float64Array;
  /** Steps in the episode. */
  readonly length: Int32Array;
  /** Final portfolio value minus the value of passively holding the starting mix (USD). */
  readonly profit: Float64Array;
  /** Final portfolio value over initial portfolio value, minus 1. */
  readonly totalReturn: Float64Array;
}

/** A vec env's step result, allocated once per env (every step rewrites it in place: the hot loop allocates nothing). */
export function allocVecStepResult(numEnvs: number, observationSize: number): VecStepResult {
  return {
    observations: new Float32Array(numEnvs * observationSize),
    rewards: new Float64Array(numEnvs),
    terminated: new Uint8Array(numEnvs),
    truncated: new Uint8Array(numEnvs),
    finalObservations: new Float32Array(numEnvs * observationSize),
    finishedEpisodes: { returnSum: new Float64Array(numEnvs), length: new Int32Array(numEnvs), profit: new Float64Array(numEnvs), totalReturn: new Float64Array(numEnvs) },
  };
}
