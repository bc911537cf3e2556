import type { LossCoefficients, LossStats } from "./engine.js";
import { fastExp } from "./fast-exp.js";
import { headEntropy, headGradient, headLogProb, type PolicyHead } from "./policy-head.js";
import type { RolloutBuffer } from "./rollout-buffer.js";

/**
 * The clipped PPO loss of one step and its gradient with respect to the policy layer's outputs and the value,
 * shared by the engines that backpropagate by hand (fused, simd). Sums of the loss terms accumulate in
 * `LossSums`; `finishLoss` turns them into the means of LossStats.
 */
export interface LossSums {
  policy: number;
  value: number;
  entropy: number;
  kl: number;
  oldKl: number;
  clipped: number;
  /** Outputs of the last stepLoss: ∂loss/∂ℓ (the Gaussian log std; 0 without one) and ∂loss/∂V, both already divided by N. */
  dLogStd: number;
  dValue: number;
}

export const newLossSums = (): LossSums => ({ policy: 0, value: 0, entropy: 0, kl: 0, oldKl: 0, clipped: 0, dLogStd: 0, dValue: 0 });

/**
 * Step k of `buf` (head parameters in row `row` of `headParams`, value `value`) over a minibatch of N steps
 * (invN = 1/N): adds its terms to `sums`, writes ∂loss/∂(policy outputs) into `dOut` (policy-head.ts
 * headGradient's layout) and sets sums.dLogStd and sums.dValue.
 */
export function stepLoss(
  head: PolicyHead,
  headParams: Float64Array,
  row: number,
  value: number,
  buf: RolloutBuffer,
  k: number,
  actionSize: number,
  coefs: LossCoefficients,
  invN: number,
  dOut: Float64Array,
  sums: LossSums,
): void {
  const eps = coefs.clipCoef;
  const huber = coefs.valueLoss === "huber";
  const vClip = coefs.valueClip;
  const a = buf.actions[k]!;
  const logRatio = headLogProb(head, headParams, row, a, buf.actionValues, k * actionSize) - buf.logProbs[k]!;
  const ratio = fastExp(logRatio);
  const adv = buf.lossAdvantages[k]!;
  const unclipped = -adv * ratio;
  const clippedRatio = ratio < 1 - eps ? 1 - eps : ratio > 1 + eps ? 1 + eps : ratio;
  const clippedTerm = -adv * clippedRatio;
  let dLogp: number;
  if (unclipped >= clippedTerm) {
    sums.policy += unclipped;
    dLogp = unclipped * invN;
  } else {
    sums.policy += clippedTerm;
    dLogp = 0;
  }
  sums.kl += ratio - 1 - logRatio;
  sums.oldKl -= logRatio;
  if (Math.abs(ratio - 1) > eps) sums.clipped++;
  sums.entropy += headEntropy(head, headParams, row);
  sums.dLogStd = headGradient(head, headParams, row, a, buf.actionValues, dLogp, coefs.entropyCoef * invN, dOut, k * actionSize);
  const target = buf.returns[k]!;
  const d1 = value - target;
  let vl = huber ? (Math.abs(d1) < 1 ? 0.5 * d1 * d1 : Math.abs(d1) - 0.5) : 0.5 * d1 * d1;
  let dValue = huber ? (d1 > 1 ? 1 : d1 < -1 ? -1 : d1) : d1;
  if (vClip !== null) {
    const old = buf.values[k]!;
    const dv0 = value - old;
    const d2 = old + (dv0 < -vClip ? -vClip : dv0 > vClip ? vClip : dv0) - target;
    const vl2 = huber ? (Math.abs(d2) < 1 ? 0.5 * d2 * d2 : Math.abs(d2) - 0.5) : 0.5 * d2 * d2;
    if (vl2 > vl) {
      vl = vl2;
      const inside = dv0 >= -vClip && dv0 <= vClip ? 1 : 0;
      dValue = inside * (huber ? (d2 > 1 ? 1 : d2 < -1 ? -1 : d2) : d2);
    }
  }
  sums.value += vl;
  sums.dValue = dValue * coefs.valueCoef * invN;
}

export function finishLoss(sums: LossSums, invN: number, coefs: LossCoefficients): LossStats {
  const policyLoss = sums.policy * invN;
  const valueLoss = sums.value * invN;
  const entropy = sums.entropy * invN;
  return {
    loss: policyLoss + coefs.valueCoef * valueLoss - coefs.entropyCoef * entropy,
    policyLoss,
    valueLoss,
    entropy,
    approxKl: sums.kl * invN,
    oldApproxKl: sums.oldKl * invN,
    clipFraction: sums.clipped * invN,
  };
}
