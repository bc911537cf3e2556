import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import {
  activeReturns,
  bootstrapCI,
  deflatedAgainstBenchmark,
  deflatedSharpeOfBest,
  deflatedSharpe,
  expectedMaxSharpe,
  mean,
  normalCdf,
  normalQuantile,
  quantileSorted,
  sharpeDifferenceTest,
  skewKurtosis,
  stationaryBootstrapIndices,
} from "./stats.js";

describe("normal distribution", () => {
  it("matches tabulated values of Φ and Φ⁻¹", () => {
    // Abramowitz & Stegun table 26.1 / any statistics table, to the digits given there.
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 15);
    expect(normalCdf(-8)).toBeCloseTo(6.22096057427178e-16, 25);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326347874040841, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 12);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it("Φ⁻¹ inverts Φ over the whole range", () => {
    // Above x ≈ 5, Φ(x) = 1 − ε keeps only log10(1/ε) of its digits, so the round trip loses precision there.
    for (let x = -7; x <= 7; x += 0.25) expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, x > 5 ? 3 : 9);
  });
});

describe("deflated Sharpe ratio", () => {
  it("reproduces the worked example of Bailey & López de Prado (2014)", () => {
    // The paper's example: annualised SR 2.5 over T = 1250 daily returns, N = 100 trials whose annualised
    // Sharpe ratios have variance 0.5, returns with skewness −3 and kurtosis 10.
    // Per period (250 days a year): SR = 2.5 / √250 = 0.158114, V = 0.5 / 250 = 0.002, √V = 0.044721.
    // Φ⁻¹(1 − 1/100) = 2.326348, Φ⁻¹(1 − 1/(100 e)) = Φ⁻¹(0.996321) = 2.680210.
    // SR0 = 0.044721 × ((1 − 0.577216) × 2.326348 + 0.577216 × 2.680210) = 0.044721 × 2.530624 = 0.113172.
    // denominator √(1 − (−3)(0.158114) + (10 − 1)/4 × 0.158114²) = √(1 + 0.474342 + 0.056250) = 1.237171
    // z = (0.158114 − 0.113172) × √1249 / 1.237171 = 0.044942 × 35.341194 / 1.237171 = 1.283816
    // DSR = Φ(1.283816) = 0.900397 (the paper reports 0.9004).
    const r = deflatedSharpe({
      sharpe: 2.5 / Math.sqrt(250),
      trials: 100,
      sharpeVariance: 0.5 / 250,
      observations: 1250,
      skewness: -3,
      kurtosis: 10,
    });
    expect(r.sr0).toBeCloseTo(0.113172, 6);
    expect(r.dsr).toBeCloseTo(0.900397, 5);
  });

  it("expected maximum Sharpe grows with the number of trials and matches a Monte Carlo maximum", () => {
    expect(expectedMaxSharpe(1, 1)).toBe(0);
    expect(expectedMaxSharpe(10, 1)).toBeLessThan(expectedMaxSharpe(1000, 1));
    // Monte Carlo: mean of the max of N = 50 standard normals ≈ 2.249 (order statistics table); the formula is
    // an approximation good to a few per cent.
    const rng = new Rng(9);
    let sum = 0;
    for (let k = 0; k < 4000; k++) {
      let m = -Infinity;
      for (let i = 0; i < 50; i++) m = Math.max(m, rng.normal());
      sum += m;
    }
    expect(Math.abs(expectedMaxSharpe(50, 1) - sum / 4000)).toBeLessThan(0.06);
  });

  it("skewness and kurtosis of a small hand-worked sample", () => {
    // x = [1, 2, 3, 10]: mean 4, deviations −3 −2 −1 6; m2 = 50/4 = 12.5, m3 = (−27 − 8 − 1 + 216)/4 = 45,
    // m4 = (81 + 16 + 1 + 1296)/4 = 348.5 → skew = 45 / 12.5^1.5 = 1.018234, kurt = 348.5 / 156.25 = 2.2304
    const s = skewKurtosis([1, 2, 3, 10]);
    expect(s.skewness).toBeCloseTo(1.018234, 6);
    expect(s.kurtosis).toBeCloseTo(2.2304, 10);
  });
});

describe("bootstrap", () => {
  it("percentile interval of the mean covers the true mean about `level` of the time", () => {
    // 300 samples of 40 draws from N(1, 2²); 90 % intervals should cover μ = 1 in about 270 of them.
    // Binomial sd = √(300 × 0.9 × 0.1) = 5.2; the percentile bootstrap under-covers slightly for small n.
    const rng = new Rng(11);
    let covered = 0;
    for (let k = 0; k < 300; k++) {
      const x = Float64Array.from({ length: 40 }, () => 1 + 2 * rng.normal());
      const ci = bootstrapCI(x, mean, { resamples: 400, level: 0.9, seed: k });
      if (ci.lo <= 1 && 1 <= ci.hi) covered++;
    }
    expect(covered).toBeGreaterThan(250);
    expect(covered).toBeLessThan(288);
  });

  it("is reproducible from its seed and its width matches the normal theory", () => {
    const rng = new Rng(2);
    const x = Float64Array.from({ length: 400 }, () => rng.normal());
    const a = bootstrapCI(x, mean, { seed: 5, resamples: 3000 });
    const b = bootstrapCI(x, mean, { seed: 5, resamples: 3000 });
    expect(a).toEqual(b);
    // 95 % half-width ≈ 1.96 × s/√n; s ≈ 1 → 0.098
    const half = (a.hi - a.lo) / 2;
    expect(half).toBeGreaterThan(0.085);
    expect(half).toBeLessThan(0.112);
  });

  it("quantiles interpolate between order statistics (type 7)", () => {
    const s = [1, 2, 3, 4, 5];
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 0.5)).toBe(3);
    expect(quantileSorted(s, 0.1)).toBeCloseTo(1.4, 12); // h = 4 × 0.1 = 0.4
    expect(quantileSorted(s, 1)).toBe(5);
  });

  it("stationary bootstrap draws valid indices in blocks of the requested mean length", () => {
    const rng = new Rng(4);
    const out = new Int32Array(100_000);
    stationaryBootstrapIndices(out, 8, rng);
    let blocks = 1;
    let outside = 0;
    for (let i = 1; i < out.length; i++) {
      if (!(out[i]! >= 0 && out[i]! < out.length)) outside++;
      if (out[i] !== (out[i - 1]! + 1) % out.length) blocks++;
    }
    expect(outside).toBe(0);
    // A new block starts with probability 1/8 (a fresh start lands on the next index with probability 1/n).
    expect(out.length / blocks).toBeGreaterThan(7.6);
    expect(out.length / blocks).toBeLessThan(8.4);
  });
});

describe("sharpeDifferenceTest", () => {
  it("finds no difference between a series and itself", () => {
    const rng = new Rng(1);
    const a = Float64Array.from({ length: 500 }, () => 0.001 + 0.01 * rng.normal());
    const t = sharpeDifferenceTest(a, a, { seed: 1, resamples: 300 });
    expect(t.difference).toBe(0);
    expect(t.pValue).toBe(1);
  });

  it("detects a large Sharpe difference and keeps its interval around the estimate", () => {
    const rng = new Rng(2);
    const n = 2000;
    const b = Float64Array.from({ length: n }, () => 0.01 * rng.normal());
    // a = b + 0.003 + independent noise: a per-period Sharpe near 0.003/0.0112 ≈ 0.27 against ≈ 0 for b.
    const a = b.map((x) => x + 0.003 + 0.005 * rng.normal());
    const t = sharpeDifferenceTest(a, b, { seed: 3, resamples: 1000, periodsPerYear: 1 });
    expect(t.pValue).toBeLessThan(0.01);
    expect(t.ci.lo).toBeGreaterThan(0);
    expect(t.ci.lo).toBeLessThan(t.difference);
    expect(t.ci.hi).toBeGreaterThan(t.difference);
  });

  it("gives roughly uniform p-values when both series have the same distribution", () => {
    // Under H0 the share of p < 0.1 should be near 10 %; with 60 trials the binomial sd is 3.9 %.
    let small = 0;
    for (let k = 0; k < 60; k++) {
      const rng = new Rng(100 + k);
      const a = Float64Array.from({ length: 300 }, () => 0.01 * rng.normal());
      const b = Float64Array.from({ length: 300 }, () => 0.01 * rng.normal());
      if (sharpeDifferenceTest(a, b, { seed: k, resamples: 300 }).pValue < 0.1) small++;
    }
    expect(small).toBeLessThanOrEqual(14);
  });
});

describe("deflatedSharpeOfBest", () => {
  it("deflates the best of many pure-noise strategies, and keeps a real edge", () => {
    const rng = new Rng(21);
    const noise = Array.from({ length: 40 }, (_, k) => ({
      name: `noise-${k}`,
      returns: Float64Array.from({ length: 2000 }, () => 0.01 * rng.normal()),
    }));
    const r = deflatedSharpeOfBest(noise);
    // The best of 40 noise Sharpe ratios looks good on its own (PSR against 0 is high) …
    expect(r.psrVsZero).toBeGreaterThan(0.9);
    // … but not against the expected maximum of 40 unskilled trials.
    expect(r.dsr).toBeLessThan(0.9);
    expect(r.sr0).toBeGreaterThan(0);
    // A real edge of 0.15 per period (≈ 14 standard errors at T = 2000) survives the deflation.
    const edge = { name: "edge", returns: Float64Array.from({ length: 2000 }, () => 0.0015 + 0.01 * rng.normal()) };
    const withEdge = deflatedSharpeOfBest([...noise, edge]);
    expect(withEdge.best).toBe("edge");
    expect(withEdge.dsr).toBeGreaterThan(0.99);
  });
});

describe("deflated information ratio (active returns against a benchmark)", () => {
  it("one trial: the PSR of the active returns against 0, worked by hand", () => {
    // Agent 0.012, 0.003, 0.03, 0.01, 0.02 against a benchmark 0.002, 0.008, 0.01, 0.01, 0.005:
    // active a = 0.01, −0.005, 0.02, 0, 0.015; mean 0.008, sample sd 0.0103682, IR = 0.771589 per period.
    // Population moments: m2 = 8.6e−5, m3 = −1.26e−7, m4 = 1.1162e−8 → skew −0.157988, kurtosis 1.509194.
    // denominator √(1 − (−0.157988)(0.771589) + (1.509194 − 1)/4 · 0.771589²) = 1.094390
    // z = 0.771589 × √4 / 1.094390 = 1.410080, PSR = Φ(1.410080) = 0.920742. One trial: SR₀ = 0, DSR = PSR.
    const agent = [0.012, 0.003, 0.03, 0.01, 0.02];
    const hold = [0.002, 0.008, 0.01, 0.01, 0.005];
    expect(Array.from(activeReturns(agent, hold)).map((x) => +x.toFixed(12))).toEqual([0.01, -0.005, 0.02, 0, 0.015]);
    const d = deflatedAgainstBenchmark([{ name: "agent", returns: agent, benchmark: hold }]);
    expect(d.informationRatio.sharpe).toBeCloseTo(0.7715885, 6);
    expect(d.informationRatio.sr0).toBe(0);
    expect(d.informationRatio.dsr).toBeCloseTo(0.920742, 5);
    expect(() => activeReturns([1, 2], [1])).toThrow(RangeError);
  });

  it("in a rising market, holding the benchmark looks good on its own and shows no edge against it", () => {
    const rng = new Rng(31);
    const n = 4000;
    const hold = Float64Array.from({ length: n }, () => 0.0015 + 0.01 * rng.normal());
    // Ten "agents" that hold the benchmark with a little independent noise (no skill), and one with a real edge.
    const noSkill = Array.from({ length: 10 }, (_, k) => ({ name: `copy-${k}`, returns: hold.map((x) => x + 0.002 * rng.normal()), benchmark: hold }));
    const d = deflatedAgainstBenchmark(noSkill);
    expect(d.sharpe.dsr).toBeGreaterThan(0.99); // the market's rise, credited to the agents
    expect(d.informationRatio.dsr).toBeLessThan(0.95); // no edge over holding
    const skilled = { name: "skill", returns: hold.map((x) => x + 0.0004 + 0.002 * rng.normal()), benchmark: hold };
    const withSkill = deflatedAgainstBenchmark([...noSkill, skilled]);
    expect(withSkill.informationRatio.best).toBe("skill");
    expect(withSkill.informationRatio.dsr).toBeGreaterThan(0.95);
  });

  it("a trial that is the benchmark has no information ratio and leaves the others' result defined", () => {
    const hold = [0.01, -0.02, 0.015, 0.0, 0.005, -0.01];
    const d = deflatedAgainstBenchmark([
      { name: "holder", returns: hold, benchmark: hold },
      { name: "trader", returns: hold.map((x, i) => x + (i % 2 === 0 ? 0.001 : -0.0005)), benchmark: hold },
    ]);
    expect(d.informationRatio.best).toBe("trader");
    expect(d.informationRatio.trials).toBe(2);
    expect(Number.isFinite(d.informationRatio.dsr)).toBe(true);
  });
});
