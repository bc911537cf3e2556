import { describe, expect, it } from "vitest";
import { Rng } from "../../util/rng.js";
import { DifferentialSharpe } from "./differential-sharpe.js";
import { LogReturn } from "./log-return.js";
import { DrawdownPenalty, TurnoverPenalty } from "./penalties.js";
import { ProfitVsHold } from "./profit-vs-hold.js";
import { RewardInput, type RewardScheme } from "./reward-scheme.js";
import { SumOfRewards } from "./sum-of-rewards.js";

/** A step from value `prev` to `value`, with the starting mix worth `prevHold` → `hold`. */
function input(prev: number, value: number, prevHold = prev, hold = value, notional = 0): RewardInput {
  const s = new RewardInput();
  s.prevValue = prev;
  s.value = value;
  s.prevHoldValue = prevHold;
  s.holdValue = hold;
  s.notional = notional;
  return s;
}

/** Runs a scheme over a value path (starting at values[0]) with memory at `offset` of a larger buffer. */
function run(scheme: RewardScheme, values: readonly number[], offset = 0, memory = new Float64Array(offset + scheme.stateSize)): number[] {
  scheme.start(memory, offset, values[0]!);
  const out: number[] = [];
  for (let t = 1; t < values.length; t++) out.push(scheme.reward(input(values[t - 1]!, values[t]!, 100, 100 + t, 10 * t), memory, offset));
  return out;
}

function randomPath(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  const v = [1_000];
  for (let t = 1; t < n; t++) v.push(v[t - 1]! * Math.exp(0.02 * rng.normal()));
  return v;
}

const SCHEMES: readonly RewardScheme[] = [
  new ProfitVsHold(),
  new LogReturn(),
  new DifferentialSharpe(0.05, 1e-12),
  new DrawdownPenalty(0.5),
  new TurnoverPenalty(0.1),
  new SumOfRewards([new DifferentialSharpe(0.05, 1e-12, 5), new DrawdownPenalty(0.5), new TurnoverPenalty(0.1)]),
];

// One shared suite, run against every reward scheme.
describe.each(SCHEMES.map((s) => [s.name, s] as const))("reward scheme %s", (_name, scheme) => {
  const path = randomPath(3, 300);

  it("gives finite rewards", () => {
    expect(run(scheme, path).every(Number.isFinite)).toBe(true);
  });

  it("keeps its memory in its own slots (offset) and restarts cleanly", () => {
    const alone = run(scheme, path);
    const shared = new Float64Array(7 + scheme.stateSize + 5).fill(Number.NaN);
    expect(run(scheme, path, 7, shared)).toEqual(alone);
    // Slots outside [7, 7 + stateSize) are untouched.
    expect(shared.slice(0, 7).every(Number.isNaN) && shared.slice(7 + scheme.stateSize).every(Number.isNaN)).toBe(true);
    // `start` wipes the memory of the previous episode.
    const memory = new Float64Array(scheme.stateSize);
    run(scheme, randomPath(9, 50), 0, memory);
    expect(run(scheme, path, 0, memory)).toEqual(alone);
  });
});

describe("reward values", () => {
  it("profit_vs_hold: change of (value − hold value)", () => {
    // Value 100 → 110 while holding would go 100 → 105: beat hold by 5.
    expect(new ProfitVsHold().reward(input(100, 110, 100, 105))).toBe(5);
    // Selling before a fall: value 100 → 99, hold 100 → 90: +9.
    expect(new ProfitVsHold().reward(input(100, 99, 100, 90))).toBe(9);
  });

  it("log_return: ln(V_t / V_{t−1}), summing to the log of the total return", () => {
    expect(new LogReturn().reward(input(100, 110))).toBeCloseTo(Math.log(1.1), 15);
    const path = randomPath(4, 100);
    const sum = run(new LogReturn(), path).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(Math.log(path[99]! / path[0]!), 12);
  });

  it("differential Sharpe: hand-worked, η = 0.5, returns +10%, −5%, +2%", () => {
    // t1: A0 = B0 = 0 → no variance → D1 = 0; A1 = 0.05, B1 = 0.005.
    // t2: ΔA = 0.5(−0.05 − 0.05) = −0.05, ΔB = 0.5(0.0025 − 0.005) = −0.00125, var = 0.005 − 0.0025 = 0.0025;
    //     D2 = (0.005 × −0.05 − ½ × 0.05 × −0.00125) / 0.0025^1.5 = −0.00021875 / 0.000125 = −1.75; A2 = 0, B2 = 0.00375.
    // t3: ΔA = 0.01, ΔB = 0.5(0.0004 − 0.00375) = −0.001675, var = 0.00375; D3 = 0.00375 × 0.01 / 0.00375^1.5 = 0.01 / √0.00375.
    const d = run(new DifferentialSharpe(0.5, 1e-12), [100, 110, 104.5, 106.59]);
    expect(d[0]).toBe(0);
    expect(d[1]).toBeCloseTo(-1.75, 12);
    expect(d[2]).toBeCloseTo(0.01 / Math.sqrt(0.00375), 12);
  });

  it("differential Sharpe: 0 during the warm-up while the moments still update", () => {
    const path = randomPath(8, 100);
    const plain = run(new DifferentialSharpe(0.05, 1e-12), path);
    const warm = run(new DifferentialSharpe(0.05, 1e-12, 10), path);
    expect(warm.slice(0, 10)).toEqual(new Array(10).fill(0));
    expect(warm.slice(10)).toEqual(plain.slice(10));
    expect(plain.slice(1, 10).some((d) => d !== 0)).toBe(true);
  });

  it("differential Sharpe: matches a naive reference with the moments as explicit weighted sums", () => {
    const eta = 0.03;
    const path = randomPath(5, 400);
    const got = run(new DifferentialSharpe(eta, 1e-12), path);
    const R = path.slice(1).map((v, t) => v / path[t]! - 1);
    // A_t = Σ_{k≤t} η(1−η)^{t−k} R_k, B_t likewise with R_k² (A_0 = B_0 = 0), computed from scratch each time.
    const moment = (t: number, f: (r: number) => number): number => {
      let s = 0;
      for (let k = 0; k < t; k++) s += eta * (1 - eta) ** (t - 1 - k) * f(R[k]!);
      return s;
    };
    for (let t = 1; t < R.length; t++) {
      const A = moment(t, (r) => r);
      const B = moment(t, (r) => r * r);
      const dA = eta * (R[t]! - A);
      const dB = eta * (R[t]! ** 2 - B);
      const want = (B * dA - 0.5 * A * dB) / (B - A * A) ** 1.5;
      expect(got[t]).toBeCloseTo(want, 8);
    }
  });

  it("drawdown penalty: −λ × distance below the running peak", () => {
    // 100 → 120 (peak 120, dd 0) → 90 (dd 0.25) → 130 (new peak, dd 0) → 117 (dd 0.1).
    const p = run(new DrawdownPenalty(2), [100, 120, 90, 130, 117]);
    expect(p[0]).toBeCloseTo(0, 15);
    expect(p[1]).toBeCloseTo(-0.5, 15);
    expect(p[2]).toBeCloseTo(0, 15);
    expect(p[3]).toBeCloseTo(-0.2, 15);
  });

  it("turnover penalty: −λ × notional / previous value", () => {
    expect(new TurnoverPenalty(0.1).reward(input(1_000, 990, 1_000, 990, 50))).toBeCloseTo(-0.005, 15);
    expect(new TurnoverPenalty(0.1).reward(input(1_000, 990))).toBeCloseTo(0, 15);
  });

  it("a sum of schemes is the sum of their rewards", () => {
    const path = randomPath(6, 200);
    const parts = [new LogReturn(), new DrawdownPenalty(0.3), new TurnoverPenalty(0.2)];
    const sum = run(new SumOfRewards(parts), path);
    const separate = parts.map((p) => run(p, path));
    sum.forEach((r, t) => expect(r).toBeCloseTo(separate.reduce((s, xs) => s + xs[t]!, 0), 14));
  });
});
