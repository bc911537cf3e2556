import { deriveSeed, Rng } from "../util/rng.js";
import type { EnvConfig } from "./config.js";
import {
  allocEnvState,
  observe,
  sampleStartRow,
  startEpisode,
  StepScratch,
  transition,
  type EnvModel,
  type EnvState,
} from "./core.js";
import { EnvError } from "./errors.js";
import { createEnvModel, type EnvSource } from "./model.js";
import type { BoxSpace, Space } from "./spaces.js";
import { allocVecStepResult, type FinishedEpisodeStats, type VecEnv, type VecStepResult } from "./vec-env.js";

export interface VecEnvSource extends EnvSource {
  readonly numEnvs: number;
}

/** The VecEnv contract over the trading core, plus read access to the model and the live state. */
export interface VecTradingEnv extends VecEnv {
  readonly actionSpace: Space;
  readonly config: EnvConfig;
  readonly model: EnvModel;
  /** The N episodes' state (struct-of-arrays); read it, never write it. */
  readonly state: EnvState;
  /** Every trading env reports its episodes' start values (state.startValue). */
  readonly episodeStartValues: Float64Array;
}

export function createVecEnv(source: VecEnvSource): VecTradingEnv {
  const { numEnvs } = source;
  if (!(Number.isInteger(numEnvs) && numEnvs >= 1)) {
    throw new EnvError("invalid_config", `numEnvs must be a positive integer, got ${numEnvs}`, "numEnvs");
  }
  return new VecTradingEnvImpl(createEnvModel(source), numEnvs);
}

/**
 * N episodes stepped together through the same pure core as the single env: env i behaves exactly as a
 * single env seeded with deriveSeed(seed, i) that is reset (without a seed) whenever its episode ends.
 * All buffers are allocated once; `step` allocates nothing.
 */
class VecTradingEnvImpl implements VecTradingEnv {
  readonly config: EnvConfig;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly observationSize: number;
  readonly state: EnvState;
  readonly episodeStartValues: Float64Array;
  private readonly rngs: Rng[];
  private readonly scratch = new StepScratch();
  private readonly observations: Float32Array;
  private readonly result: VecStepResult;
  private readonly finished: FinishedEpisodeStats;
  private started = false;

  constructor(
    readonly model: EnvModel,
    readonly numEnvs: number,
  ) {
    this.config = model.config;
    this.observationSpace = model.layout.space;
    this.actionSpace = model.actions.space;
    this.observationSize = model.layout.size;
    this.state = allocEnvState(numEnvs, model.rewards.stateSize);
    this.episodeStartValues = this.state.startValue;
    this.rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(deriveSeed(0, i)));
    this.result = allocVecStepResult(numEnvs, this.observationSize);
    this.observations = this.result.observations;
    this.finished = this.result.finishedEpisodes;
  }

  reset(seed?: number): Float32Array {
    const { model, state, numEnvs, observationSize } = this;
    for (let i = 0; i < numEnvs; i++) {
      if (seed !== undefined) this.rngs[i] = new Rng(deriveSeed(seed, i));
      startEpisode(model, state, i, sampleStartRow(model, this.rngs[i]!));
      observe(model, state, i, this.observations, i * observationSize);
    }
    this.result.terminated.fill(0);
    this.result.truncated.fill(0);
    this.started = true;
    return this.observations;
  }

  step(actions: Int32Array | Float32Array): VecStepResult {
    if (!this.started) throw new EnvError("step_before_reset", "call reset() before step()");
    const { model, state, numEnvs, observationSize, scratch, observations, result, finished } = this;
    if (actions.length !== numEnvs) {
      throw new EnvError("invalid_action", `expected ${numEnvs} actions (one per env), got ${actions.length}`, "actions");
    }
    const { rewards, terminated, truncated, finalObservations } = result;
    for (let i = 0; i < numEnvs; i++) {
      scratch.action = actions[i]!;
      transition(model, state, i, scratch);
      rewards[i] = scratch.reward;
      const term = scratch.terminated;
      const trunc = scratch.truncated;
      terminated[i] = term ? 1 : 0;
      truncated[i] = trunc ? 1 : 0;
      if (term || trunc) {
        observe(model, state, i, finalObservations, i * observationSize);
        finished.returnSum[i] = state.returnSum[i]!;
        finished.length[i] = state.steps[i]!;
        finished.profit[i] = state.value[i]! - state.holdValue[i]!;
        finished.totalReturn[i] = state.value[i]! / state.startValue[i]! - 1;
        startEpisode(model, state, i, sampleStartRow(model, this.rngs[i]!));
      }
      observe(model, state, i, observations, i * observationSize);
    }
    return result;
  }
}
