import type { Rng } from "../util/rng.js";
import type { Engine } from "./engine.js";
import { AgentError } from "./errors.js";
import { RunningObservationNorm, type ObservationNormStats } from "./obs-norm.js";

/**
 * A trained policy for evaluation and live trading: it keeps its own LSTM state, applies the observation
 * normalisation it was trained with, and picks an action greedily (arg-max probability) or by sampling.
 * Stable API: the evaluation helper and the live trader depend on it (docs/ppo.md, "Policy").
 */
export interface ActOptions {
  /** "greedy" (default): the most probable action (the lowest index on ties); "sample": a draw from π. */
  readonly mode?: "greedy" | "sample";
  /** Required for "sample". */
  readonly rng?: Rng;
}

export interface PolicyDecision {
  readonly action: number;
  /** π(a | history) for every action. */
  readonly probabilities: readonly number[];
  /** V(history): the critic's estimate of the (scaled) return to come. */
  readonly value: number;
}

export interface Policy<M = unknown> {
  /** What the policy was trained with (the checkpoint's manifest, when loaded from one). */
  readonly manifest: M;
  readonly observationSize: number;
  readonly actionCount: number;
  /** Zeroes the LSTM state: call at the start of every episode (backtest run, live session). */
  reset(): void;
  /** Acts on one raw observation (as the env returns it) and advances the LSTM state. */
  act(observation: ArrayLike<number>, options?: ActOptions): PolicyDecision;
  /** Copy of the LSTM state (to pause and resume a live session). */
  getState(): Float64Array;
  setState(state: ArrayLike<number>): void;
}

export function createPolicy<M>(engine: Engine, normalization: { stats: ObservationNormStats; clip: number } | null, manifest: M): Policy<M> {
  const spec = engine.spec;
  const O = spec.observationSize;
  const A = spec.actionCount;
  const norm = normalization ? new RunningObservationNorm(O, normalization.clip, normalization.stats) : null;
  const state = new Float64Array(spec.stateSize);
  const raw = new Float32Array(O);
  const obs = new Float32Array(O);
  const logProbs = new Float64Array(A);
  const value = new Float64Array(1);
  return {
    manifest,
    observationSize: O,
    actionCount: A,
    reset(): void {
      state.fill(0);
    },
    act(observation: ArrayLike<number>, options: ActOptions = {}): PolicyDecision {
      if (observation.length !== O) {
        throw new AgentError("invalid_observation", `expected ${O} observation values, got ${observation.length}`, "observation");
      }
      for (let j = 0; j < O; j++) {
        const x = observation[j]!;
        if (!Number.isFinite(x)) throw new AgentError("invalid_observation", `observation[${j}] is ${x}, expected a finite number`, `observation[${j}]`);
        raw[j] = x;
      }
      if (norm) norm.normalize(raw, 0, obs, 0);
      else obs.set(raw);
      engine.step(obs, 1, state, logProbs, value);
      const probabilities = Array.from(logProbs, (lp) => Math.exp(lp));
      let action = 0;
      if ((options.mode ?? "greedy") === "greedy") {
        for (let j = 1; j < A; j++) if (logProbs[j]! > logProbs[action]!) action = j;
      } else {
        const rng = options.rng;
        if (!rng) throw new AgentError("invalid_config", "sampling needs an rng: act(obs, { mode: \"sample\", rng })", "rng");
        let u = rng.uniform();
        action = A - 1;
        for (let j = 0; j < A; j++) {
          u -= probabilities[j]!;
          if (u < 0) {
            action = j;
            break;
          }
        }
      }
      return { action, probabilities, value: value[0]! };
    },
    getState(): Float64Array {
      return state.slice();
    },
    setState(s: ArrayLike<number>): void {
      if (s.length !== state.length) throw new RangeError(`expected ${state.length} state values, got ${s.length}`);
      state.set(s);
    },
  };
}
