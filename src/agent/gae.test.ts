import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import type { PpoConfig } from "./config.js";
import { rolloutSizes } from "./config.js";
import { articleAdvantages, rolloutAdvantages } from "./gae.js";
import { explainedVarianceOf } from "./ppo.js";
import { allocRolloutBuffer, type RolloutBuffer } from "./rollout-buffer.js";

function buffer(numEnvs: number, T: number, L: number): RolloutBuffer {
  return allocRolloutBuffer(rolloutSizes({ numEnvs, rolloutSteps: T, sequenceLength: L, numMinibatches: 1 } as PpoConfig), 1, 2, true);
}

/**
 * Independent reference: A_t = Σ_{l≥0} (γλ)^l δ_{t+l}, the sum running until the episode's last step (or the
 * rollout's end), each δ written out from the definitions; no recursion shared with the code under test.
 */
function naiveAdvantage(
  t: number,
  T: number,
  delta: (u: number) => number,
  ended: (u: number) => boolean,
  gamma: number,
  lambda: number,
): number {
  let sum = 0;
  let weight = 1;
  for (let u = t; u < T; u++) {
    sum += weight * delta(u);
    if (ended(u)) break;
    weight *= gamma * lambda;
  }
  return sum;
}

describe("rollout-mode GAE", () => {
  it("matches the naive sum, with a termination and a truncation in the middle of the rollout", () => {
    const T = 9;
    const N = 2;
    const buf = buffer(N, T, T);
    const rng = new Rng(3);
    for (let k = 0; k < N * T; k++) {
      buf.rewards[k] = rng.normal();
      buf.values[k] = rng.normal();
      buf.truncationValues[k] = 0;
    }
    // env 0: terminated at t=2, truncated at t=5 (with a bootstrap value), runs past the end.
    buf.terminated[2] = 1;
    buf.truncated[5] = 1;
    buf.truncationValues[5] = 7.5;
    // env 1: truncated at the very last step.
    buf.truncated[T + T - 1] = 1;
    buf.truncationValues[T + T - 1] = -3;
    buf.lastValues[0] = 4;
    buf.lastValues[1] = 100; // must be ignored: env 1's episode ended on the last step
    const gamma = 0.9;
    const lambda = 0.8;
    for (const bootstrap of [true, false]) {
      rolloutAdvantages(buf, gamma, lambda, bootstrap);
      for (let i = 0; i < N; i++) {
        const at = (u: number): number => i * T + u;
        const nextValue = (u: number): number => {
          if (buf.terminated[at(u)]) return 0;
          if (buf.truncated[at(u)]) return bootstrap ? buf.truncationValues[at(u)]! : 0;
          return u === T - 1 ? buf.lastValues[i]! : buf.values[at(u + 1)]!;
        };
        const delta = (u: number): number => buf.rewards[at(u)]! + gamma * nextValue(u) - buf.values[at(u)]!;
        const ended = (u: number): boolean => buf.terminated[at(u)] === 1 || buf.truncated[at(u)] === 1;
        for (let t = 0; t < T; t++) {
          const expected = naiveAdvantage(t, T, delta, ended, gamma, lambda);
          expect(buf.advantages[at(t)]).toBeCloseTo(expected, 12);
          expect(buf.returns[at(t)]).toBeCloseTo(expected + buf.values[at(t)]!, 12);
        }
      }
    }
    // Hand-worked spot checks (env 0): the terminated step is r − V; the truncated step bootstraps 7.5 or not.
    rolloutAdvantages(buf, gamma, lambda, true);
    expect(buf.advantages[2]).toBeCloseTo(buf.rewards[2]! - buf.values[2]!, 14);
    expect(buf.advantages[5]).toBeCloseTo(buf.rewards[5]! + gamma * 7.5 - buf.values[5]!, 14);
    rolloutAdvantages(buf, gamma, lambda, false);
    expect(buf.advantages[5]).toBeCloseTo(buf.rewards[5]! - buf.values[5]!, 14);
  });

  it("with λ = 1 and γ = 1 the advantage is the episode's reward-to-go minus V", () => {
    const T = 5;
    const buf = buffer(1, T, T);
    buf.rewards.set([1, 2, 3, 4, 5]);
    buf.values.set([0.5, 0.5, 0.5, 0.5, 0.5]);
    buf.terminated[4] = 1;
    rolloutAdvantages(buf, 1, 1, true);
    expect(Array.from(buf.advantages)).toEqual([14.5, 13.5, 11.5, 8.5, 4.5]);
  });
});

describe("article-mode GAE (the seed reference's train_net)", () => {
  it("matches a transcription of the reference loop over one episode", () => {
    const T = 7;
    const buf = buffer(1, T, T);
    const rng = new Rng(4);
    const v = new Float64Array(T);
    const v2 = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      buf.rewards[t] = rng.normal();
      v[t] = rng.normal();
      v2[t] = rng.normal();
    }
    buf.truncated[T - 1] = 1; // the episode's window ran out: the reference's done = True, mask 0
    const gamma = 0.98;
    const lambda = 0.95;
    articleAdvantages(buf, 0, T, v, v2, gamma, lambda, false);
    // The reference: td_target = r + γ·v'·mask; delta = td_target − v; adv accumulated backwards from 0.
    const tdTarget = Array.from({ length: T }, (_, t) => buf.rewards[t]! + gamma * v2[t]! * (t === T - 1 ? 0 : 1));
    const delta = tdTarget.map((x, t) => x - v[t]!);
    const adv: number[] = [];
    let acc = 0;
    for (let t = T - 1; t >= 0; t--) {
      acc = gamma * lambda * acc + delta[t]!;
      adv.unshift(acc);
    }
    for (let t = 0; t < T; t++) {
      expect(buf.advantages[t]).toBeCloseTo(adv[t]!, 13);
      expect(buf.returns[t]).toBeCloseTo(tdTarget[t]!, 13);
    }
  });

  it("does not pass advantage across an episode boundary inside a sequence, and bootstraps a truncation when asked", () => {
    const T = 6;
    const buf = buffer(1, T, T);
    buf.rewards.fill(1);
    const v = new Float64Array(T).fill(0);
    const v2 = new Float64Array(T).fill(10);
    buf.terminated[2] = 1;
    buf.truncated[5] = 1;
    articleAdvantages(buf, 0, T, v, v2, 0.5, 1, true);
    // t=2 terminated: δ = 1 + 0 − 0, no accumulation from t=3.
    expect(buf.advantages[2]).toBe(1);
    // t=5 truncated with bootstrap: δ = 1 + 0.5·10.
    expect(buf.advantages[5]).toBe(6);
    // t=1: δ = 1 + 5 = 6, plus 0.5·A_2 = 0.5.
    expect(buf.advantages[1]).toBe(6.5);
  });
});

describe("explained variance", () => {
  it("is 1 for a perfect fit, 0 for a constant prediction at the mean, null for constant targets", () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    expect(explainedVarianceOf(y, y)).toBe(1);
    expect(explainedVarianceOf(new Float64Array(4).fill(2.5), y)).toBeCloseTo(0, 14);
    expect(explainedVarianceOf(Float64Array.from([0, 0, 0, 0]), Float64Array.from([2, 2, 2, 2]))).toBeNull();
    // y − ŷ = [1, 0, 1, 0]: Var = 0.25; Var(y) = 1.25 → 0.8
    expect(explainedVarianceOf(Float64Array.from([0, 2, 2, 4]), y)).toBeCloseTo(0.8, 14);
  });
});
