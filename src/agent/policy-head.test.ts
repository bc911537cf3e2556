import { describe, expect, it } from "vitest";
import { decodeSideSize, type HybridSpace } from "../env/spaces.js";
import { SideAndSize } from "../env/actions/side-and-size.js";
import { Rng } from "../util/rng.js";
import {
  envActionOf,
  headChoices,
  headEntropy,
  headGradient,
  headLogProb,
  headOutputs,
  headParamWidth,
  sampleHead,
  sigmoid,
  squashedLogDensity,
  type HeadAction,
  type PolicyHead,
} from "./policy-head.js";

/**
 * The heads' log-probabilities, entropies and gradients against independent references: numerical integration
 * of the density (it sums to 1; the entropy is −∫ p log p), Monte Carlo over the sampler, and central finite
 * differences of log π and H with respect to the raw outputs (logits, μ) and the log std.
 */
const HEADS: readonly PolicyHead[] = [
  { kind: "categorical", actions: 3 },
  { kind: "gaussian", low: 0, high: 1 },
  { kind: "hybrid", sides: 3, sized: [false, true, true], sideSigns: [0, 1, -1] },
];

/** Head parameters (log-softmax of the logits, μ, ℓ) from raw outputs and a log std, as the engines write them. */
function paramsOf(head: PolicyHead, raw: readonly number[], logStd: number): Float64Array {
  const C = headChoices(head);
  const out = new Float64Array(headParamWidth(head));
  const max = Math.max(...raw.slice(0, C), -Infinity);
  const lse = C > 0 ? max + Math.log(raw.slice(0, C).reduce((s, z) => s + Math.exp(z - max), 0)) : 0;
  for (let j = 0; j < C; j++) out[j] = raw[j]! - lse;
  if (head.kind !== "categorical") {
    out[C] = raw[C]!;
    out[C + 1] = logStd;
  }
  return out;
}

const RAW: readonly number[] = [0.4, -1.1, 0.3, 0.8];
const LOG_STD = -0.35;

/** Trapezoid rule of f over [a, b] with n intervals. */
function integrate(f: (x: number) => number, a: number, b: number, n: number): number {
  const h = (b - a) / n;
  let s = 0.5 * (f(a) + f(b));
  for (let i = 1; i < n; i++) s += f(a + i * h);
  return s * h;
}

describe.each(HEADS.map((h) => [h.kind, h] as const))("%s head", (_kind, head) => {
  const params = paramsOf(head, RAW, LOG_STD);
  const C = headChoices(head);
  const gaussian = head.kind !== "categorical";
  const sizedOf = (side: number): boolean => head.kind === "gaussian" || (head.kind === "hybrid" && head.sized[side] === true);

  it("the density sums to 1 and the entropy is −Σ∫ p log p (numerical integration)", () => {
    let total = 0;
    let entropy = 0;
    const sides = Math.max(1, C);
    for (let side = 0; side < sides; side++) {
      if (gaussian && sizedOf(side)) {
        const p = (u: number) => Math.exp(headLogProb(head, params, 0, side, u));
        total += integrate(p, -20, 20, 20_000);
        entropy += integrate((u) => -p(u) * Math.log(Math.max(p(u), 1e-300)), -20, 20, 20_000);
      } else {
        const p = Math.exp(headLogProb(head, params, 0, side, 0));
        total += p;
        entropy -= p * Math.log(p);
      }
    }
    expect(total).toBeCloseTo(1, 9);
    expect(headEntropy(head, params, 0)).toBeCloseTo(entropy, 7);
  });

  it("the sampler draws from that distribution (Monte Carlo: side frequencies, mean and std of u)", () => {
    const rng = new Rng(5);
    const n = 40_000;
    const counts = new Array<number>(Math.max(1, C)).fill(0);
    let su = 0, su2 = 0, nu = 0, sumLogp = 0;
    const a: HeadAction = { index: 0, u: 0 };
    for (let i = 0; i < n; i++) {
      sampleHead(head, params, 0, rng.uniform(), rng.normal(), a);
      counts[a.index]! += 1;
      sumLogp -= headLogProb(head, params, 0, a.index, a.u);
      if (gaussian && sizedOf(a.index)) {
        su += a.u;
        su2 += a.u * a.u;
        nu++;
      }
    }
    for (let j = 0; j < C; j++) expect(Math.abs(counts[j]! / n - Math.exp(params[j]!))).toBeLessThan(0.01);
    if (gaussian) {
      const mean = su / nu;
      expect(mean).toBeCloseTo(RAW[C]!, 1);
      expect(Math.sqrt(su2 / nu - mean * mean)).toBeCloseTo(Math.exp(LOG_STD), 1);
    }
    // −E[log π] estimated from the draws is the entropy.
    expect(Math.abs(sumLogp / n - headEntropy(head, params, 0))).toBeLessThan(0.02);
  });

  it("headGradient = central finite differences of dLogp·log π − s·H in the raw outputs and the log std", () => {
    const dLogp = 0.7;
    const s = 0.3;
    const P = headOutputs(head);
    for (const [index, u] of [[0, 0.9], [Math.min(1, Math.max(0, C - 1)), -0.4], [Math.max(0, C - 1), 1.7]] as const) {
      const f = (raw: readonly number[], logStd: number): number => {
        const p = paramsOf(head, raw, logStd);
        return dLogp * headLogProb(head, p, 0, index, u) - s * headEntropy(head, p, 0);
      };
      const dOut = new Float64Array(P);
      const dLogStd = headGradient(head, params, 0, index, u, dLogp, s, dOut);
      const h = 1e-6;
      for (let j = 0; j < P; j++) {
        const up = [...RAW];
        const down = [...RAW];
        up[j]! += h;
        down[j]! -= h;
        expect(dOut[j]).toBeCloseTo((f(up, LOG_STD) - f(down, LOG_STD)) / (2 * h), 7);
      }
      if (gaussian) expect(dLogStd).toBeCloseTo((f(RAW, LOG_STD + h) - f(RAW, LOG_STD - h)) / (2 * h), 7);
      else expect(dLogStd).toBe(0);
    }
  });

  it("greedy picks the most probable side and u = μ", () => {
    const a = sampleHead(head, params, 0, 0.999, 3, { index: 0, u: 0 }, true);
    if (C > 0) expect(a.index).toBe(RAW.slice(0, C).indexOf(Math.max(...RAW.slice(0, C))));
    expect(a.u).toBe(gaussian ? RAW[C]! : 0);
  });
});

describe("env values of the heads", () => {
  it("squashed Gaussian: x = low + (high − low)·σ(u); its density (with the Jacobian) integrates to 1 over [low, high]", () => {
    const head: PolicyHead = { kind: "gaussian", low: -2, high: 3 };
    const params = paramsOf(head, [0.6], -0.2);
    expect(envActionOf(head, 0, 0)).toBeCloseTo(0.5, 15);
    expect(envActionOf(head, 0, 40)).toBeCloseTo(3, 12);
    // Change of variables u = logit((x − low)/(high − low)).
    const density = (x: number): number => {
      const y = (x + 2) / 5;
      const u = Math.log(y / (1 - y));
      return Math.exp(squashedLogDensity(headLogProb(head, params, 0, 0, u), u, -2, 3));
    };
    expect(integrate(density, -2 + 1e-9, 3 - 1e-9, 200_000)).toBeCloseTo(1, 5);
  });

  it("hybrid: the env value is the side's sign times σ(u), and the side-and-size scheme decodes it back", () => {
    const head: PolicyHead = { kind: "hybrid", sides: 3, sized: [false, true, true], sideSigns: [0, 1, -1] };
    const space = new SideAndSize({ minCash: 1, minCoins: 0.0001 }).space as HybridSpace;
    for (const [side, u] of [[0, 2], [1, 0.3], [2, -1.2]] as const) {
      const x = envActionOf(head, side, u);
      const back = decodeSideSize(space, x);
      expect(back.side).toBe(side);
      expect(back.size).toBeCloseTo(side === 0 ? 0 : sigmoid(u), 15);
    }
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
  });
});
