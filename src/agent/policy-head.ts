import type { Space } from "../env/spaces.js";
import { sizedSides } from "../env/spaces.js";
import { AgentError } from "./errors.js";

/**
 * The policy's distribution over actions, one per kind of action space:
 *   - "categorical": π(a) = softmax(logits), a discrete action (the article);
 *   - "gaussian": one bounded value x = low + (high − low)·σ(u), u ~ N(μ, e^ℓ) (a squashed Gaussian: a continuous
 *     target exposure). μ comes from the network, ℓ (log std) is one state-independent parameter (CleanRL);
 *   - "hybrid": a categorical side and, for the sides that take one, a size σ(u), u ~ N(μ, e^ℓ) (the second seed
 *     system's hold / buy / sell with a quantity);
 *   - "diagonal_gaussian": D unbounded values u ~ N(μ, diag(e^{2ℓ})), μ ∈ R^D from the network, ℓ ∈ R^D
 *     state-independent (CleanRL's continuous head): the portfolio's continuous target weights, the env's weight
 *     scheme mapping u to weights (softmax_weights: u are the K + 1 logits; target_weights: clipped, scaled).
 *     log π(u) = Σ_d log N(u_d; μ_d, σ_d), H = Σ_d (½ + ½ log 2π + ℓ_d); no squash, so no Jacobian.
 *
 * What the engines write per row ("head parameters", `paramWidth` values): the log-probabilities of the C
 * categorical choices, then μ and ℓ when there is a Gaussian part. Everything below reads those rows, so the
 * rollout, the loss and the Policy share one definition of sampling, log-probability and entropy.
 *
 * The log-probability of an action, as the PPO ratio uses it, is log π(side) + [side is sized]·log N(u; μ, σ):
 * the density of the pre-squash sample u. The squashing Jacobian log σ'(u) depends on u only, so it cancels in
 * the ratio π_new/π_old and in every gradient; `squashedLogDensity` adds it for the density of the env value.
 * The entropy is H(side) + P(sized side)·H(N(μ, σ)): the Gaussian's entropy in u, weighted by how often a size
 * is drawn (the squashed entropy has no closed form; its u-space part is what the bonus can move).
 */
export type PolicyHead =
  | { readonly kind: "categorical"; readonly actions: number }
  | { readonly kind: "gaussian"; readonly low: number; readonly high: number }
  | { readonly kind: "hybrid"; readonly sides: number; readonly sized: readonly boolean[]; readonly sideSigns: readonly number[] }
  | { readonly kind: "diagonal_gaussian"; readonly dims: number };

export type PolicyHeadKind = PolicyHead["kind"];

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Categorical choices C: actions, sides, or 0. */
export function headChoices(head: PolicyHead): number {
  return head.kind === "categorical" ? head.actions : head.kind === "hybrid" ? head.sides : 0;
}

export function headHasGaussian(head: PolicyHead): boolean {
  return head.kind !== "categorical";
}

/** Gaussian dimensions D: 0 (categorical), 1 (gaussian, hybrid) or the diagonal head's dims. */
export function headGaussianDims(head: PolicyHead): number {
  return head.kind === "categorical" ? 0 : head.kind === "diagonal_gaussian" ? head.dims : 1;
}

/** Outputs of the policy layer: C logits (+ D means). */
export function headOutputs(head: PolicyHead): number {
  return headChoices(head) + headGaussianDims(head);
}

/** Values per row of head parameters: C log-probabilities (+ D means, then D log stds). */
export function headParamWidth(head: PolicyHead): number {
  return headChoices(head) + 2 * headGaussianDims(head);
}

/** Numbers the env takes per action: D for the diagonal head, 1 otherwise. */
export function headActionSize(head: PolicyHead): number {
  return head.kind === "diagonal_gaussian" ? head.dims : 1;
}

/** The head for an env's action space; throws unsupported_action_space for a box of more than one value. */
export function headForSpace(space: Space): PolicyHead {
  if (space.kind === "discrete") return { kind: "categorical", actions: space.n };
  if (space.kind === "hybrid") return { kind: "hybrid", sides: space.sides.length, sized: sizedSides(space), sideSigns: [...space.sideSigns] };
  const n = space.shape.reduce((a, b) => a * b, 1);
  // Several values (the portfolio's target weights or logits): one unbounded Gaussian each; the env's scheme clips or normalises.
  if (n > 1) return { kind: "diagonal_gaussian", dims: n };
  const low = space.low[0]!;
  const high = space.high[0]!;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(high > low)) {
    throw new AgentError("unsupported_action_space", `the agent's Gaussian head takes one bounded value; this box has ${n} value(s) in [${low}, ${high}]`, "env.actions");
  }
  return { kind: "gaussian", low, high };
}

/** Logistic σ(u) = 1 / (1 + e^−u), computed without overflow. */
export function sigmoid(u: number): number {
  if (u >= 0) return 1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return e / (1 + e);
}

/** Whether the taken action's Gaussian part counts: always for "gaussian", for sized sides for "hybrid". */
function gaussianCounts(head: PolicyHead, index: number): boolean {
  return head.kind === "gaussian" || (head.kind === "hybrid" && head.sized[index] === true);
}

/** A sampled or chosen action: the categorical index (0 for "gaussian") and the pre-squash value u (0 without a Gaussian). */
export interface HeadAction {
  index: number;
  u: number;
}

/**
 * Draws an action from row `row` of `params`: the index by inverting the cumulative distribution with `u1`,
 * u = μ + σ·`z` (z standard normal). Greedy (mode): pass `greedy` and the arg-max index (the lowest on ties), u = μ.
 */
export function sampleHead(head: PolicyHead, params: Float64Array, row: number, u1: number, z: number, out: HeadAction, greedy = false): HeadAction {
  const C = headChoices(head);
  const o = row * headParamWidth(head);
  let index = 0;
  if (greedy) {
    for (let j = 1; j < C; j++) if (params[o + j]! > params[o + index]!) index = j;
  } else if (C > 0) {
    let rest = u1;
    index = C - 1;
    for (let j = 0; j < C; j++) {
      rest -= Math.exp(params[o + j]!);
      if (rest < 0) {
        index = j;
        break;
      }
    }
  }
  out.index = index;
  if (head.kind === "diagonal_gaussian") throw new RangeError("sampleHead draws one value: use sampleDiagonal for the diagonal head");
  if (headHasGaussian(head)) {
    const mu = params[o + C]!;
    out.u = greedy ? mu : mu + Math.exp(params[o + C + 1]!) * z;
  } else out.u = 0;
  return out;
}

/**
 * Draws the diagonal head's D values of row `row` into out[outOffset …]: u_d = μ_d + σ_d·z_d, z_d from `normal`
 * in order d = 0 … D − 1 (the rollout's and the Policy's draws). Greedy (mode): u = μ, nothing drawn.
 */
export function sampleDiagonal(head: PolicyHead & { kind: "diagonal_gaussian" }, params: Float64Array, row: number, normal: () => number, out: Float64Array | Float32Array, outOffset: number, greedy = false): void {
  const D = head.dims;
  const o = row * 2 * D;
  for (let d = 0; d < D; d++) out[outOffset + d] = greedy ? params[o + d]! : params[o + d]! + Math.exp(params[o + D + d]!) * normal();
}

function diagonalLogProb(D: number, params: Float64Array, o: number, u: ArrayLike<number>, uo: number): number {
  let lp = 0;
  for (let d = 0; d < D; d++) {
    const logStd = params[o + D + d]!;
    const z = (u[uo + d]! - params[o + d]!) / Math.exp(logStd);
    lp += -0.5 * z * z - logStd - HALF_LOG_2PI;
  }
  return lp;
}

/**
 * log π(index, u) of row `row` (the density of u, without the squashing Jacobian; see the header). The diagonal
 * head reads its D values from u[uOffset …] (u an array); the others take u as one number.
 */
export function headLogProb(head: PolicyHead, params: Float64Array, row: number, index: number, u: number | ArrayLike<number>, uOffset = 0): number {
  const C = headChoices(head);
  const o = row * headParamWidth(head);
  if (head.kind === "diagonal_gaussian") return diagonalLogProb(head.dims, params, o, u as ArrayLike<number>, uOffset);
  if (typeof u !== "number") u = u[uOffset]!;
  let lp = C > 0 ? params[o + index]! : 0;
  if (gaussianCounts(head, index)) {
    const mu = params[o + C]!;
    const logStd = params[o + C + 1]!;
    const z = (u - mu) / Math.exp(logStd);
    lp += -0.5 * z * z - logStd - HALF_LOG_2PI;
  }
  return lp;
}

/** Probability that a size is drawn: Σ π(sized side) for "hybrid", 1 for "gaussian", 0 otherwise. */
function sizedProbability(head: PolicyHead, params: Float64Array, o: number): number {
  if (head.kind === "gaussian") return 1;
  if (head.kind !== "hybrid") return 0;
  let p = 0;
  for (let j = 0; j < head.sides; j++) if (head.sized[j]) p += Math.exp(params[o + j]!);
  return p;
}

/** The entropy of row `row` (nats; see the header for the Gaussian part). */
export function headEntropy(head: PolicyHead, params: Float64Array, row: number): number {
  const C = headChoices(head);
  const o = row * headParamWidth(head);
  let h = 0;
  if (head.kind === "diagonal_gaussian") {
    for (let d = 0; d < head.dims; d++) h += 0.5 + HALF_LOG_2PI + params[o + head.dims + d]!;
    return h;
  }
  for (let j = 0; j < C; j++) {
    const lp = params[o + j]!;
    h -= Math.exp(lp) * lp;
  }
  if (headHasGaussian(head)) h += sizedProbability(head, params, o) * (0.5 + HALF_LOG_2PI + params[o + C + 1]!);
  return h;
}

/**
 * Gradient of dLogp·log π(index, u) − entropyScale·H with respect to the policy layer's raw outputs (C logits,
 * then μ) into dOut[0 … outputs), and with respect to ℓ (returned). The engines chain it into the network.
 * The diagonal head (u an array read from uOffset) writes ∂/∂μ_d into dOut[d] and ∂/∂ℓ_d into dOut[D + d]
 * (dOut of headParamWidth values) and returns 0.
 */
export function headGradient(
  head: PolicyHead,
  params: Float64Array,
  row: number,
  index: number,
  u: number | ArrayLike<number>,
  dLogp: number,
  entropyScale: number,
  dOut: Float64Array,
  uOffset = 0,
): number {
  const C = headChoices(head);
  const o = row * headParamWidth(head);
  if (head.kind === "diagonal_gaussian") {
    const D = head.dims;
    const us = u as ArrayLike<number>;
    for (let d = 0; d < D; d++) {
      const sigma = Math.exp(params[o + D + d]!);
      const z = (us[uOffset + d]! - params[o + d]!) / sigma;
      // ∂log N/∂μ_d = z_d/σ_d; ∂log N/∂ℓ_d = z_d² − 1; ∂H/∂ℓ_d = 1.
      dOut[d] = (dLogp * z) / sigma;
      dOut[D + d] = dLogp * (z * z - 1) - entropyScale;
    }
    return 0;
  }
  if (typeof u !== "number") u = u[uOffset]!;
  let hCat = 0;
  for (let j = 0; j < C; j++) {
    const lp = params[o + j]!;
    hCat -= Math.exp(lp) * lp;
  }
  const gauss = headHasGaussian(head);
  const logStd = gauss ? params[o + C + 1]! : 0;
  const hGauss = 0.5 + HALF_LOG_2PI + logStd;
  const pSized = sizedProbability(head, params, o);
  for (let j = 0; j < C; j++) {
    const lp = params[o + j]!;
    const pj = Math.exp(lp);
    // ∂log π(index)/∂logit_j = [j = index] − π_j;  ∂H_cat/∂logit_j = −π_j(log π_j + H_cat);
    // ∂(P_sized · H_gauss)/∂logit_j = π_j([j sized] − P_sized) · H_gauss.
    let dH = -pj * (lp + hCat);
    if (head.kind === "hybrid") dH += pj * ((head.sized[j] ? 1 : 0) - pSized) * hGauss;
    dOut[j] = dLogp * ((j === index ? 1 : 0) - pj) - entropyScale * dH;
  }
  if (!gauss) return 0;
  const mu = params[o + C]!;
  const counts = gaussianCounts(head, index);
  const sigma = Math.exp(logStd);
  const z = (u - mu) / sigma;
  // ∂log N/∂μ = z/σ; ∂log N/∂ℓ = z² − 1; ∂H/∂ℓ = P_sized.
  dOut[C] = counts ? (dLogp * z) / sigma : 0;
  return (counts ? dLogp * (z * z - 1) : 0) - entropyScale * pSized;
}

/** The value the env takes for an action: the index, low + (high − low)·σ(u), or the signed size of a side. */
export function envActionOf(head: PolicyHead, index: number, u: number): number {
  if (head.kind === "diagonal_gaussian") throw new RangeError("the diagonal head's env action is its D values u themselves");
  if (head.kind === "categorical") return index;
  if (head.kind === "gaussian") return head.low + (head.high - head.low) * sigmoid(u);
  // The hybrid space's encoding (encodeSideSize): sideSigns[side] · size.
  const sign = head.sideSigns[index] ?? 0;
  return sign === 0 ? 0 : sign * sigmoid(u);
}

/**
 * log of the density of the env value x = low + (high − low)·σ(u) at the pre-squash sample u (Jacobian
 * included): log N(u) − log((high − low)·σ(u)(1 − σ(u))). For reports; the PPO ratio does not need it.
 */
export function squashedLogDensity(logDensityU: number, u: number, low = 0, high = 1): number {
  const s = sigmoid(u);
  return logDensityU - Math.log((high - low) * s * (1 - s));
}
