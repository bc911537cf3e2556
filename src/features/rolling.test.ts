import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { ema, rollingMeanVariance } from "./rolling.js";

/** Naive O(n·w) reference: two-pass mean and sample variance of every full window. */
function naiveMeanVariance(x: Float64Array, w: number): { mean: number[]; variance: number[] } {
  const mean: number[] = [];
  const variance: number[] = [];
  for (let t = 0; t < x.length; t++) {
    if (t < w - 1) {
      mean.push(0);
      variance.push(0);
      continue;
    }
    let s = 0;
    for (let i = t - w + 1; i <= t; i++) s += x[i]!;
    const m = s / w;
    let ss = 0;
    for (let i = t - w + 1; i <= t; i++) ss += (x[i]! - m) ** 2;
    mean.push(m);
    variance.push(ss / (w - 1));
  }
  return { mean, variance };
}

/** A BTC-like random walk around `level` with occasional flat stretches. */
function walk(n: number, level: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(n);
  let p = level;
  for (let t = 0; t < n; t++) {
    if (rng.uniform() > 0.05) p *= Math.exp(0.01 * rng.normal());
    x[t] = Math.round(p * 100) / 100;
  }
  return x;
}

describe("rollingMeanVariance", () => {
  it("matches the naive two-pass loop on long price-level series (no drift from sliding sums)", () => {
    for (const [n, w, level] of [
      [20_000, 24, 30_000],
      [5_000, 2, 30_000],
      [3_000, 168, 50],
      [500, 499, 1e6],
      [10, 20, 100],
    ] as const) {
      const x = walk(n, level, n + w);
      const mean = new Float64Array(n);
      const variance = new Float64Array(n);
      rollingMeanVariance(x, w, mean, variance);
      const ref = naiveMeanVariance(x, w);
      let worstMean = 0;
      let worstStd = 0;
      for (let t = 0; t < n; t++) {
        worstMean = Math.max(worstMean, Math.abs(mean[t]! - ref.mean[t]!) / level);
        worstStd = Math.max(worstStd, Math.abs(Math.sqrt(variance[t]!) - Math.sqrt(ref.variance[t]!)) / level);
      }
      expect(worstMean).toBeLessThan(1e-12);
      expect(worstStd).toBeLessThan(1e-9);
    }
  });

  it("gives exactly zero variance on constant windows, even after volatile ones", () => {
    const x = Float64Array.from([1, 1e6, 3.3, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0]);
    const mean = new Float64Array(x.length);
    const variance = new Float64Array(x.length);
    rollingMeanVariance(x, 4, mean, variance);
    // windows ending at 6, 7, 8 are all 7; ending at 12 all 0.
    expect([variance[6], variance[7], variance[8], variance[12]]).toEqual([0, 0, 0, 0]);
    expect(variance[5]).toBeGreaterThan(0);
    // window 3…6 = 7,7,7,7 → mean 7; window 0…3 = 1, 1e6, 3.3, 7 → mean 250002.825
    expect(mean[6]).toBeCloseTo(7, 9);
    expect(mean[3]).toBeCloseTo(250002.825, 6);
  });

  it("rejects windows below 2", () => {
    expect(() => rollingMeanVariance(new Float64Array(3), 1, new Float64Array(3), new Float64Array(3))).toThrow(RangeError);
  });
});

describe("ema", () => {
  it("matches the closed form e_t = Σ α(1−α)^k x_{t−k} + (1−α)^t x_0", () => {
    const x = walk(200, 100, 5);
    const alpha = 2 / 13;
    const e = ema(x, alpha);
    for (const t of [0, 1, 2, 10, 57, 199]) {
      let ref = Math.pow(1 - alpha, t) * x[0]!;
      for (let k = 0; k < t; k++) ref += alpha * Math.pow(1 - alpha, k) * x[t - k]!;
      expect(e[t]).toBeCloseTo(ref, 9);
    }
  });
});
