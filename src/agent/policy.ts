import type { Rng } from "../util/rng.js";
import type { Engine } from "./engine.js";
import { AgentError } from "./errors.js";
import { RunningObservationNorm, type ObservationNormStats } from "./obs-norm.js";
import { envActionOf, headChoices, sampleDiagonal, sampleHead, sigmoid, type HeadAction, type PolicyHead } from "./policy-head.js";

/**
 * A trained policy for evaluation and live trading: it keeps its own LSTM state, applies the observation
 * normalisation it was trained with, and picks an action greedily (the distribution's mode: the most probable
 * side or action, the Gaussian's mean before the squash) or by sampling, for every kind of head.
 * Stable API: the evaluation helper and the live trader depend on it (docs/ppo.md, "Policy").
 */
export interface ActOptions {
  /** "greedy" (default): the mode (the most probable action or side, lowest index on ties; u = μ); "sample": a draw from π. */
  readonly mode?: "greedy" | "sample";
  /** Required for "sample". */
  readonly rng?: Rng;
}

export interface PolicyDecision {
  /** What the env takes: the action index, the bounded value, or the signed size of a hybrid side (encodeSideSize). */
  readonly action: number;
  /** π(a | history) for every categorical choice (actions or sides); empty for a Gaussian head. */
  readonly probabilities: readonly number[];
  /** The categorical index chosen: the action, or the side of a hybrid head; null for a Gaussian head. */
  readonly side: number | null;
  /** Hybrid: the size in [0, 1] (0 for a side without one); Gaussian: the value in [low, high]; null: categorical. */
  readonly size: number | null;
  /** The Gaussian part: the pre-squash value u, its mean and std; null for a categorical head. */
  readonly gaussian: { readonly u: number; readonly mean: number; readonly std: number } | null;
  /** V(history): the critic's estimate of the (scaled) return to come. */
  readonly value: number;
  /** The diagonal head's D env values (u, the mean, or a sample); absent for the one-value heads. */
  readonly values?: readonly number[];
}

export interface Policy<M = unknown> {
  /** What the policy was trained with (the checkpoint's manifest, when loaded from one). */
  readonly manifest: M;
  readonly observationSize: number;
  /** Categorical choices (actions or sides; 0 for a Gaussian head). */
  readonly actionCount: number;
  /** The policy's distribution (policy-head.ts). */
  readonly head: PolicyHead;
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
  const head = spec.head;
  const C = headChoices(head);
  const W = spec.policyParams;
  const norm = normalization ? new RunningObservationNorm(O, normalization.clip, normalization.stats) : null;
  const state = new Float64Array(spec.stateSize);
  const raw = new Float32Array(O);
  const obs = new Float32Array(O);
  const params = new Float64Array(W);
  const value = new Float64Array(1);
  const taken: HeadAction = { index: 0, u: 0 };
  return {
    manifest,
    observationSize: O,
    actionCount: C,
    head,
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
      engine.step(obs, 1, state, params, value);
      const probabilities = Array.from(params.subarray(0, C), (lp) => Math.exp(lp));
      const greedy = (options.mode ?? "greedy") === "greedy";
      const rng = options.rng;
      if (!greedy && !rng) throw new AgentError("invalid_config", "sampling needs an rng: act(obs, { mode: \"sample\", rng })", "rng");
      if (head.kind === "diagonal_gaussian") {
        // The rollout's draws: D normals in order (none when greedy: the mean).
        const u = new Float64Array(head.dims);
        sampleDiagonal(head, params, 0, () => rng!.normal(), u, 0, greedy);
        return { action: u[0]!, probabilities, value: value[0]!, side: null, size: null, gaussian: null, values: Array.from(u) };
      }
      // Same draws as the training rollout: a uniform for the categorical part, then a normal for the Gaussian one.
      const u1 = greedy || C === 0 ? 0 : rng!.uniform();
      const z = greedy || head.kind === "categorical" ? 0 : rng!.normal();
      sampleHead(head, params, 0, u1, z, taken, greedy);
      const action = envActionOf(head, taken.index, taken.u);
      const gaussian = head.kind === "categorical" ? null : { u: taken.u, mean: params[C]!, std: Math.exp(params[C + 1]!) };
      const size = head.kind === "categorical" ? null : head.kind === "gaussian" ? action : head.sized[taken.index] ? sigmoid(taken.u) : 0;
      return { action, probabilities, value: value[0]!, side: head.kind === "gaussian" ? null : taken.index, size, gaussian };
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
