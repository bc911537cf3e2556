import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { sampleFromLogProbs } from "./sample-action.js";

describe("sampleFromLogProbs", () => {
  it("inverts the cumulative distribution (hand-worked thresholds 0.2, 0.7)", () => {
    const lp = new Float64Array([Math.log(0.2), Math.log(0.5), Math.log(0.3), 0, -Infinity, -Infinity]);
    expect(sampleFromLogProbs(lp, 0, 3, 0.1)).toBe(0);
    expect(sampleFromLogProbs(lp, 0, 3, 0.25)).toBe(1);
    expect(sampleFromLogProbs(lp, 0, 3, 0.69)).toBe(1);
    expect(sampleFromLogProbs(lp, 0, 3, 0.71)).toBe(2);
    expect(sampleFromLogProbs(lp, 1, 3, 0.99)).toBe(0); // row 1: all mass on action 0
  });

  it("matches the distribution's frequencies (n = 100k)", () => {
    const p = [0.1, 0.6, 0.3];
    const lp = new Float64Array(p.map(Math.log));
    const counts = [0, 0, 0];
    const rng = new Rng(11);
    for (let i = 0; i < 100_000; i++) counts[sampleFromLogProbs(lp, 0, 3, rng.uniform())]!++;
    p.forEach((q, j) => expect(Math.abs(counts[j]! / 100_000 - q)).toBeLessThan(0.01));
  });
});
