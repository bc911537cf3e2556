import { describe, expect, it } from "vitest";
import { Rng, deriveSeed } from "./rng.js";

describe("Rng", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it("restores its state exactly", () => {
    const a = new Rng(7);
    a.uniform();
    const s = a.getState();
    const next = [a.uniform(), a.normal(), a.int(10)];
    const b = Rng.fromState(s);
    expect([b.uniform(), b.normal(), b.int(10)]).toEqual(next);
  });

  it("has uniform and normal moments close to theory (n = 200k)", () => {
    const r = new Rng(1);
    const n = 200_000;
    let su = 0, sn = 0, sn2 = 0, sn4 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z; sn2 += z * z; sn4 += z ** 4;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 2);
    expect(sn2 / n).toBeCloseTo(1, 1);
    expect(sn4 / n).toBeGreaterThan(2.85); // kurtosis 3
    expect(sn4 / n).toBeLessThan(3.15);
  });

  it("draws integers without bias over a small range", () => {
    const r = new Rng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it("derives distinct sub-stream seeds", () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(5, i)));
    expect(seeds.size).toBe(1000);
  });

  it("rejects bad arguments with a clear message", () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(() => new Rng(1).int(0)).toThrow(/integer n/);
  });
});
