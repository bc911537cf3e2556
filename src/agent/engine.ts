import type { NetworkSpec } from "./network-spec.js";
import type { RolloutBuffer } from "./rollout-buffer.js";

/**
 * The compute engine behind the agent: the policy/value network's forward pass, its loss gradients and the
 * optimiser. Three implementations share one weight layout (network-spec.ts) and one interface:
 *   - "fused": hand-written forward pass and backprop-through-time in preallocated Float64Arrays (fast for small
 *     LSTM networks on a CPU; no tfjs op dispatch per step);
 *   - "simd": MLP trunks on hand-written WebAssembly SIMD GEMM kernels (simd-engine.ts; big MLPs on a CPU);
 *   - "tfjs": TensorFlow.js ops on the selected backend (scales to big networks and to CUDA; the reference).
 * The training loop never branches on which one runs.
 */
export type EngineKind = "fused" | "simd" | "tfjs";

export interface LossCoefficients {
  readonly clipCoef: number;
  /** null: unclipped value loss. */
  readonly valueClip: number | null;
  readonly valueLoss: "huber" | "mse";
  readonly valueCoef: number;
  readonly entropyCoef: number;
}

/** Means over the minibatch's steps, at the parameters before the gradient step. */
export interface LossStats {
  /** Total loss = policyLoss + valueCoef·valueLoss − entropyCoef·entropy. */
  readonly loss: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropy: number;
  /** mean((r − 1) − log r), r = π/π_old: the k3 estimator of KL(π_old ‖ π). */
  readonly approxKl: number;
  /** mean(−log r): the naive estimator. */
  readonly oldApproxKl: number;
  /** Share of steps where |r − 1| > clipCoef. */
  readonly clipFraction: number;
}

export interface AdamSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Adam's moments in the shared layout and its step count (saved in checkpoints so that training resumes exactly). */
export interface OptimizerState {
  readonly step: number;
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export interface Engine {
  readonly kind: EngineKind;
  /** tfjs backend doing the work ("wasm", "tensorflow", "cpu", …), "js" for the fused engine, "wasm-simd" for simd. */
  readonly backend: string;
  readonly spec: NetworkSpec;

  /** A copy of the parameters in the shared layout. */
  getParameters(): Float64Array;
  setParameters(p: ArrayLike<number>): void;
  getOptimizerState(): OptimizerState;
  setOptimizerState(s: OptimizerState): void;

  /**
   * One policy step for `rows` rows: reads observations (rows × obs) and the recurrent state (rows × stateSize,
   * updated in place), writes log π(·|history) (rows × actions) and V(history) (rows). With `record` (the
   * training rollout: rows = the buffer's envs, t = the rollout step) an engine may keep this forward pass for
   * the first epoch's replay instead of recomputing it.
   */
  step(
    observations: Float32Array,
    rows: number,
    state: Float64Array,
    logProbsOut: Float64Array,
    valuesOut: Float64Array,
    record?: { readonly buf: RolloutBuffer; readonly t: number },
  ): void;

  /** V of one observation given one row of recurrent state; the state is left untouched. */
  valueOf(observations: Float32Array, row: number, state: Float64Array, stateRow: number): number;

  /**
   * Forward pass only, over whole sequences replayed from their stored initial states (resetting the state where
   * `episodeStarts` says): writes V at each step of each listed sequence into `valuesOut` (buffer positions), and
   * log π(a_t) of the taken action into `logProbsOut` when given. `source` "next" replays the shifted sequence
   * of next observations (article mode's V(s_{t+1})).
   */
  evaluate(buf: RolloutBuffer, sequences: ArrayLike<number>, source: "observations" | "next", valuesOut: Float64Array, logProbsOut?: Float64Array): void;

  /**
   * PPO loss over the listed sequences (targets: buf.lossAdvantages, buf.returns; old policy: buf.logProbs,
   * buf.values) and its gradient, kept for the next applyGradients.
   */
  lossAndGradients(buf: RolloutBuffer, sequences: ArrayLike<number>, coefs: LossCoefficients): LossStats;

  /** The gradient of the last lossAndGradients, in the shared layout (for tests and diagnostics). */
  getGradients(): Float64Array;

  /**
   * Clips the last gradient to a global L2 norm (PyTorch's clip_grad_norm_: scale by max/(norm + 1e-6) when
   * below 1) and takes one Adam step (PyTorch's formula). Returns the norm before clipping.
   */
  applyGradients(learningRate: number, maxGradNorm: number | null): number;

  /** Frees tensors (tfjs); a no-op for the fused engine. */
  dispose(): void;
}
