import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { headActionSize, headEntropy, headForSpace, headGradient, headLogProb, headOutputs, headParamWidth, sampleDiagonal, type PolicyHead } from "./policy-head.js";

/**
 * The diagonal Gaussian head (the portfolio's continuous target weights) against independent references:
 * hand-worked values, a 2-D numerical integral of the density and of −p log p, Monte Carlo over the sampler,
 * and central finite differences of log π and H in μ and ℓ.
 */
const head = { kind: "diagonal_gaussian", dims: 2 } as const satisfies PolicyHead;
const HALF_LOG_2PI = 0.9189385332046727; // ½ ln 2π, to 16 digits

/** Head parameters as the engines write them: μ_0 … μ_{D−1}, then ℓ_0 … ℓ_{D−1}. */
const row = (mu: readonly number[], logStd: readonly number[]): Float64Array => Float64Array.from([...mu, ...logStd]);

describe("diagonal Gaussian head", () => {
  it("is what headForSpace gives a box of several values, with D outputs, 2D parameters and D env values", () => {
    const h = headForSpace({ kind: "box", shape: [3], low: new Float64Array(3).fill(-5), high: new Float64Array(3).fill(5), labels: ["a", "b", "c"] });
    expect(h).toEqual({ kind: "diagonal_gaussian", dims: 3 });
    expect([headOutputs(h), headParamWidth(h), headActionSize(h)]).toEqual([3, 6, 3]);
  });

  it("log π and H match hand-worked values", () => {
    // μ = (0, 1), σ = (1, 2), u = (1, 1): log N(1; 0, 1) = −½ − ½ ln 2π; log N(1; 1, 2) = −ln 2 − ½ ln 2π.
    const p = row([0, 1], [0, Math.LN2]);
    expect(headLogProb(head, p, 0, 0, [1, 1])).toBeCloseTo(-0.5 - Math.LN2 - 2 * HALF_LOG_2PI, 14);
    // H = Σ (½ + ½ ln 2π + ln σ_d) = 1 + ln 2π + ln 2.
    expect(headEntropy(head, p, 0)).toBeCloseTo(1 + 2 * HALF_LOG_2PI + Math.LN2, 14);
    // The values are read at the offset, rows at row · 2D.
    const two = Float64Array.from([9, 9, 9, 9, ...p]);
    expect(headLogProb(head, two, 1, 0, [7, 7, 1, 1], 2)).toBeCloseTo(headLogProb(head, p, 0, 0, [1, 1]), 15);
  });

  it("the density integrates to 1 over the plane and its entropy is −∬ p log p (midpoint rule)", () => {
    const p = row([0.3, -0.8], [-0.4, 0.25]);
    const n = 600;
    const lo = [-6, -8];
    const hi = [6, 8];
    const hx = (hi[0]! - lo[0]!) / n;
    const hy = (hi[1]! - lo[1]!) / n;
    const u = new Float64Array(2);
    let total = 0;
    let entropy = 0;
    for (let i = 0; i < n; i++) {
      u[0] = lo[0]! + (i + 0.5) * hx;
      for (let j = 0; j < n; j++) {
        u[1] = lo[1]! + (j + 0.5) * hy;
        const lp = headLogProb(head, p, 0, 0, u);
        total += Math.exp(lp);
        entropy -= Math.exp(lp) * lp;
      }
    }
    expect(total * hx * hy).toBeCloseTo(1, 6);
    expect(headEntropy(head, p, 0)).toBeCloseTo(entropy * hx * hy, 5);
  });

  it("the sampler draws u_d = μ_d + σ_d·z_d (Monte Carlo means, stds, no correlation); greedy is μ", () => {
    const p = row([0.3, -0.8], [-0.4, 0.25]);
    const rng = new Rng(3);
    const normal = (): number => rng.normal();
    const n = 40_000;
    const u = new Float64Array(2);
    let s0 = 0, s1 = 0, q0 = 0, q1 = 0, c = 0, negLogp = 0;
    for (let i = 0; i < n; i++) {
      sampleDiagonal(head, p, 0, normal, u, 0);
      s0 += u[0]!;
      s1 += u[1]!;
      q0 += u[0]! ** 2;
      q1 += u[1]! ** 2;
      c += u[0]! * u[1]!;
      negLogp -= headLogProb(head, p, 0, 0, u);
    }
    const m0 = s0 / n;
    const m1 = s1 / n;
    expect(m0).toBeCloseTo(0.3, 1);
    expect(m1).toBeCloseTo(-0.8, 1);
    expect(Math.sqrt(q0 / n - m0 * m0)).toBeCloseTo(Math.exp(-0.4), 1);
    expect(Math.sqrt(q1 / n - m1 * m1)).toBeCloseTo(Math.exp(0.25), 1);
    expect(Math.abs(c / n - m0 * m1)).toBeLessThan(0.02);
    expect(Math.abs(negLogp / n - headEntropy(head, p, 0))).toBeLessThan(0.02);
    const g = new Float32Array(4);
    sampleDiagonal(head, p, 0, () => Number.NaN, g, 1, true);
    expect(Array.from(g)).toEqual([0, Math.fround(0.3), Math.fround(-0.8), 0]);
  });

  it("headGradient = central finite differences of dLogp·log π − s·H in μ_d (dOut[d]) and ℓ_d (dOut[D + d])", () => {
    const mu = [0.3, -0.8, 1.1];
    const logStd = [-0.4, 0.25, 0.05];
    const h3 = { kind: "diagonal_gaussian", dims: 3 } as const;
    const dLogp = 0.7;
    const s = 0.3;
    for (const u of [[0.9, -0.2, 1.4], [-1.5, 0.4, 0.2]]) {
      const f = (m: readonly number[], l: readonly number[]): number => dLogp * headLogProb(h3, row(m, l), 0, 0, u) - s * headEntropy(h3, row(m, l), 0);
      const dOut = new Float64Array(6);
      expect(headGradient(h3, row(mu, logStd), 0, 0, [5, ...u], dLogp, s, dOut, 1)).toBe(0);
      const h = 1e-6;
      for (let d = 0; d < 3; d++) {
        const bump = (v: readonly number[], by: number) => v.map((x, k) => (k === d ? x + by : x));
        expect(dOut[d]).toBeCloseTo((f(bump(mu, h), logStd) - f(bump(mu, -h), logStd)) / (2 * h), 7);
        expect(dOut[3 + d]).toBeCloseTo((f(mu, bump(logStd, h)) - f(mu, bump(logStd, -h))) / (2 * h), 7);
      }
    }
  });
});
