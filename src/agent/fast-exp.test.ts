import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { fastExp } from "./fast-exp.js";

/** Distance in units in the last place between two positive doubles (independent of both exps). */
function ulps(a: number, b: number): number {
  const buf = new DataView(new ArrayBuffer(16));
  buf.setFloat64(0, a);
  buf.setFloat64(8, b);
  return Number(buf.getBigInt64(0) - buf.getBigInt64(8));
}

describe("fastExp", () => {
  it("is within 2 ulp of Math.exp over the whole normal range", () => {
    const rng = new Rng(1);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = (rng.uniform() - 0.5) * (i % 2 === 0 ? 80 : 1416);
      worst = Math.max(worst, Math.abs(ulps(fastExp(x), Math.exp(x))));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("hand-checked values and the edges", () => {
    expect(fastExp(0)).toBe(1);
    expect(Math.abs(ulps(fastExp(1), Math.E))).toBeLessThanOrEqual(1);
    expect(Math.abs(ulps(fastExp(-1), 1 / Math.E))).toBeLessThanOrEqual(1);
    expect(Math.abs(ulps(fastExp(Math.LN2 * 10), 1024))).toBeLessThanOrEqual(1);
    expect(fastExp(710)).toBe(Infinity);
    expect(fastExp(Infinity)).toBe(Infinity);
    expect(fastExp(-Infinity)).toBe(0);
    expect(fastExp(-745.2)).toBe(Math.exp(-745.2)); // subnormal region: Math.exp itself
    expect(fastExp(Number.NaN)).toBeNaN();
    // Monotone across the table's cell boundaries.
    let prev = 0;
    for (let x = -3; x < 3; x += 1e-4) {
      const y = fastExp(x);
      expect(y).toBeGreaterThanOrEqual(prev);
      prev = y;
    }
  });
});
