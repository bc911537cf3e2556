import { describe, expect, it } from "vitest";
import { generateSyntheticMarket } from "../data/synthetic.js";
import { computeFeatures } from "./registry.js";
import { laggedCopies, volumeFlow, volumeFlowWarmup } from "./volume-flow.js";

const market = generateSyntheticMarket({ hours: 2000 }, 99);

describe("volume flow", () => {
  it("matches hand-worked values on a 5-bar series (window 2, volume mean over 2 bars)", () => {
    const close = Float64Array.from([100, 110, 99, 99, 120]);
    const volume = Float64Array.from([10, 30, 10, 0, 20]);
    // f_1 = 100·ln(1.1)·30/20, f_2 = 100·ln(0.9)·10/20, f_3 = 0 (no move), f_4 = 100·ln(120/99)·20/10.
    const f1 = 100 * Math.log(1.1) * 1.5;
    const f2 = 100 * Math.log(0.9) * 0.5;
    const f4 = 100 * Math.log(120 / 99) * 2;
    const flow = volumeFlow(close, volume, 2, 2);
    expect(volumeFlowWarmup(2, 2)).toBe(2);
    expect(flow[0]).toBe(0);
    expect(flow[1]).toBe(0);
    expect(flow[2]).toBeCloseTo(f1 + f2, 12);
    expect(flow[3]).toBeCloseTo(f2, 12);
    expect(flow[4]).toBeCloseTo(f4, 12);
  });

  it("equals a naive loop (each bar's volume mean summed afresh) on a long series", () => {
    const w = 12;
    const m = 48;
    const flow = volumeFlow(market.close, market.volume, w, m);
    const warm = volumeFlowWarmup(w, m);
    expect(warm).toBe(58);
    const bar = (t: number): number => {
      let vs = 0;
      for (let i = t - m + 1; i <= t; i++) vs += market.volume[i]!;
      return 100 * Math.log(market.close[t]! / market.close[t - 1]!) * (market.volume[t]! / (vs / m));
    };
    for (let t = 0; t < warm; t++) expect(flow[t]).toBe(0);
    for (let t = warm; t < market.length; t += 5) {
      let ref = 0;
      for (let i = t - w + 1; i <= t; i++) ref += bar(i);
      expect(Math.abs(flow[t]! - ref)).toBeLessThan(1e-9);
    }
  });

  it("a volume spike dominates the flow with its sign for `window` bars", () => {
    const n = 200;
    const close = new Float64Array(n);
    const volume = new Float64Array(n).fill(100);
    for (let t = 0; t < n; t++) close[t] = 100 * (1 + 0.001 * Math.sin(t));
    close[120] = close[119]! * 0.985;
    for (let t = 121; t < n; t++) close[t] = close[120]! * (1 + 0.001 * Math.sin(t));
    volume[120] = 600;
    const flow = volumeFlow(close, volume, 12, 48);
    for (let t = 120; t < 132; t++) expect(flow[t]).toBeLessThan(-5);
    for (let t = 132; t < n; t++) expect(Math.abs(flow[t]!)).toBeLessThan(2);
  });
});

describe("lagged copies", () => {
  it("shift a column by each lag and share one warm-up", () => {
    const x = Float64Array.from([0, 0, 3, 4, 5, 6, 7]);
    const [l0, l1, l3] = laggedCopies(x, [0, 1, 3], 2, 0);
    // Warm-up 2 + max lag 3 = 5 rows of 0, then x_t, x_{t−1}, x_{t−3}.
    expect(Array.from(l0!)).toEqual([0, 0, 0, 0, 0, 6, 7]);
    expect(Array.from(l1!)).toEqual([0, 0, 0, 0, 0, 5, 6]);
    expect(Array.from(l3!)).toEqual([0, 0, 0, 0, 0, 3, 4]);
  });

  it("through the registry: names, the base feature's values k rows earlier, RSI's neutral 50", () => {
    const m = computeFeatures(market, [{ kind: "lags", of: { kind: "flow", window: 12 }, lags: [12, 24] }, { kind: "lags", of: { kind: "rsi", window: 5 }, lags: [2] }]);
    expect(m.names).toEqual(["flow_12_lag12", "flow_12_lag24", "rsi_5_lag2"]);
    const base = computeFeatures(market, [{ kind: "flow", window: 12 }, { kind: "rsi", window: 5 }]);
    const warm = 58 + 24;
    for (let t = 0; t < market.length; t++) {
      expect(m.values[t * 3]).toBe(t < warm ? 0 : base.values[(t - 12) * 2]);
      expect(m.values[t * 3 + 1]).toBe(t < warm ? 0 : base.values[(t - 24) * 2]);
      expect(m.values[t * 3 + 2]).toBe(t < 7 ? 50 : base.values[(t - 2) * 2 + 1]);
    }
  });
});
