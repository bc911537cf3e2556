import { describe, expect, it } from "vitest";
import { allocCandles } from "../data/candles.js";
import { pctChangeFeatures } from "./pct-change.js";

describe("pctChangeFeatures", () => {
  it("matches hand-worked values", () => {
    const c = allocCandles({ symbol: "X/USD", exchange: "test", timeframe: "1h" }, 3);
    c.open.set([100, 110, 99]);
    c.high.set([105, 120, 100]);
    c.low.set([95, 100, 90]);
    c.close.set([100, 110, 88]);
    c.volume.set([10, 5, 0]);
    const m = pctChangeFeatures(c);
    expect(m.names).toEqual(["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct"]);
    expect(Array.from(m.values.slice(0, 5))).toEqual([0, 0, 0, 0, 0]);
    // row 1: open 100→110 = +10%, high 105→120 = +14.2857%, low 95→100 = +5.263%, close +10%, volume −50%
    const r1 = Array.from(m.values.slice(5, 10));
    [10, 14.285714285714286, 5.2631578947368425, 10, -50].forEach((v, j) => expect(r1[j]).toBeCloseTo(v, 12));
    // row 2: open 110→99 = −10%, close 110→88 = −20%, volume 5→0 = −100%
    expect(m.values[10]).toBeCloseTo(-10, 12);
    expect(m.values[13]).toBeCloseTo(-20, 12);
    expect(m.values[14]).toBeCloseTo(-100, 12);
  });
});
