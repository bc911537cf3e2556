import { describe, expect, it } from "vitest";
import { allocCandles } from "../data/candles.js";
import { generateSyntheticMarket } from "../data/synthetic.js";
import { candleShape, rangePct } from "./bar-shape.js";
import { calendarFeatures } from "./calendar.js";
import { logReturn, logReturnOver } from "./log-return.js";
import { macd, macdWarmup } from "./macd.js";
import { pctChange } from "./pct-change.js";
import { rsi } from "./rsi.js";
import { rollingVolatility } from "./volatility.js";
import { rollingZScore, smaGap } from "./zscore.js";

const market = generateSyntheticMarket({ hours: 3000 }, 4242);

/** Naive window slice helpers: the reference implementations recompute every window from scratch. */
function windowOf(x: ArrayLike<number>, t: number, w: number): number[] {
  return Array.from({ length: w }, (_, k) => x[t - w + 1 + k]!);
}
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sampleStd = (v: number[]) => {
  const m = meanOf(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};

describe("log returns and percentage change", () => {
  it("match hand-worked values, 0 on row 0 and on zero volume", () => {
    expect(Array.from(logReturn(Float64Array.from([100, 110, 99, 0, 5])))).toEqual([0, Math.log(1.1), Math.log(99 / 110), 0, 0]);
    expect(Array.from(pctChange(Float64Array.from([100, 110, 0, 5])))).toEqual([0, 10, -100, 0]);
  });
  it("over h rows: the sum of the one-row log returns of the last h rows; 0 in the warm-up", () => {
    const one = logReturn(market.close);
    for (const h of [1, 4, 24]) {
      const r = logReturnOver(market.close, h);
      for (let t = 0; t < h; t++) expect(r[t]).toBe(0);
      for (let t = h; t < market.length; t += 7) {
        let sum = 0;
        for (let k = t - h + 1; k <= t; k++) sum += one[k]!;
        expect(r[t]).toBeCloseTo(sum, 10);
      }
    }
    expect(Array.from(logReturnOver(Float64Array.from([100, 0, 120, 150]), 2))).toEqual([0, 0, Math.log(1.2), 0]);
  });
});

describe("rolling z-score, SMA gap and volatility against naive O(n·w) loops", () => {
  it("zscore of close and volume", () => {
    for (const [col, w] of [["close", 24], ["volume", 48], ["close", 2]] as const) {
      const z = rollingZScore(market[col], w);
      for (let t = 0; t < market.length; t++) {
        if (t < w - 1) {
          expect(z[t]).toBe(0);
          continue;
        }
        const win = windowOf(market[col], t, w);
        const ref = (market[col][t]! - meanOf(win)) / sampleStd(win);
        expect(Math.abs(z[t]! - ref)).toBeLessThan(1e-7);
      }
    }
  });

  it("sma gap", () => {
    const w = 30;
    const g = smaGap(market.close, w);
    for (let t = w - 1; t < market.length; t += 7) {
      const ref = (market.close[t]! / meanOf(windowOf(market.close, t, w)) - 1) * 100;
      expect(g[t]).toBeCloseTo(ref, 9);
    }
    expect(g[w - 2]).toBe(0);
  });

  it("volatility of log returns", () => {
    const w = 24;
    const v = rollingVolatility(market.close, w);
    const r: number[] = [0];
    for (let t = 1; t < market.length; t++) r.push(Math.log(market.close[t]! / market.close[t - 1]!));
    for (let t = 0; t < market.length; t++) {
      if (t < w) expect(v[t]).toBe(0);
      else expect(Math.abs(v[t]! - sampleStd(windowOf(r, t, w)))).toBeLessThan(1e-12);
    }
  });

  it("constant windows give 0 instead of dividing by zero", () => {
    const flat = Float64Array.from([5, 5, 5, 5, 6, 6, 6, 6]);
    // window 5,5,6: mean 16/3, sample std √(1/3), z = (2/3)/√(1/3) = 2/√3; window 5,6,6: z = 1/√3.
    const z = rollingZScore(flat, 3);
    [0, 0, 0, 0, 2 / Math.sqrt(3), 1 / Math.sqrt(3), 0, 0].forEach((v, t) => expect(z[t]).toBeCloseTo(v, 12));
    expect([z[6], z[7]]).toEqual([0, 0]);
    expect(rollingVolatility(flat, 3)[7]).toBe(0);
  });
});

describe("RSI (Wilder)", () => {
  it("matches values worked by hand on a tiny series", () => {
    // closes 10, 11, 10.5, 11.5, 11, 12, 11.5 → d = +1, −0.5, +1, −0.5, +1, −0.5; window 3.
    // t=3: G = (1+0+1)/3 = 2/3, L = 0.5/3 = 1/6, RS = 4 → 80.
    // t=4: G = (2/3·2 + 0)/3 = 4/9, L = (1/6·2 + 0.5)/3 = 5/18, RS = 8/5 → 100 − 100/2.6.
    // t=5: G = (4/9·2 + 1)/3 = 17/27, L = (5/18·2)/3 = 5/27, RS = 17/5 → 100 − 100/4.4.
    // t=6: G = (17/27·2)/3 = 34/81, L = (5/27·2 + 0.5)/3 = 47/162, RS = 68/47 → 100 · 68/115.
    const r = rsi(Float64Array.from([10, 11, 10.5, 11.5, 11, 12, 11.5]), 3);
    const expected = [50, 50, 50, 80, 100 - 100 / 2.6, 100 - 100 / 4.4, (100 * 68) / 115];
    expected.forEach((v, t) => expect(r[t]).toBeCloseTo(v, 12));
  });

  it("is 100 on a market that only rises, 50 on a flat one, and stays within 0…100", () => {
    expect(rsi(Float64Array.from([1, 2, 3, 4, 5]), 2)[4]).toBe(100);
    expect(rsi(Float64Array.from([1, 1, 1, 1]), 2)[3]).toBe(50);
    expect(rsi(Float64Array.from([5, 4, 3, 2]), 2)[3]).toBe(0);
    const r = rsi(market.close, 14);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...r)).toBeLessThanOrEqual(100);
  });
});

describe("MACD", () => {
  it("matches closed-form EMAs (weighted sums of past prices), in percent of the close", () => {
    const [fast, slow, signal] = [5, 11, 4];
    const x = market.close.subarray(0, 120);
    const m = macd(x, fast, slow, signal);
    // Closed form of an EMA seeded with the first value: Σ_{k<t} α(1−α)^k v_{t−k} + (1−α)^t v_0.
    const closedEma = (v: (i: number) => number, span: number, t: number) => {
      const a = 2 / (span + 1);
      let e = Math.pow(1 - a, t) * v(0);
      for (let k = 0; k < t; k++) e += a * Math.pow(1 - a, k) * v(t - k);
      return e;
    };
    const line = (i: number) => ((closedEma((k) => x[k]!, fast, i) - closedEma((k) => x[k]!, slow, i)) / x[i]!) * 100;
    const warm = macdWarmup(slow, signal);
    expect(warm).toBe(13);
    for (const t of [warm, warm + 1, 50, 119]) {
      const l = line(t);
      const s = closedEma(line, signal, t);
      expect(m.line[t]).toBeCloseTo(l, 10);
      expect(m.signal[t]).toBeCloseTo(s, 10);
      expect(m.histogram[t]).toBeCloseTo(l - s, 10);
    }
    for (let t = 0; t < warm; t++) expect([m.line[t], m.signal[t], m.histogram[t]]).toEqual([0, 0, 0]);
  });

  it("does not depend on the price level", () => {
    const a = macd(market.close, 12, 26, 9);
    const b = macd(market.close.map((p) => p / 1000), 12, 26, 9);
    for (let t = 0; t < market.length; t += 13) expect(b.histogram[t]).toBeCloseTo(a.histogram[t]!, 9);
  });

  it("rejects fast ≥ slow", () => {
    expect(() => macd(market.close, 26, 12, 9)).toThrow(RangeError);
  });
});

describe("bar shape and calendar", () => {
  it("range, body and wicks in percent", () => {
    const c = allocCandles({ symbol: "X", exchange: "t", timeframe: "1h" }, 2);
    c.open.set([100, 200]);
    c.high.set([110, 210]);
    c.low.set([95, 180]);
    c.close.set([105, 190]);
    // bar 0: range 15/105; body +5 %; upper wick (110 − 105)/100; lower (100 − 95)/100.
    // bar 1: range 30/190; body −5 %; upper (210 − 200)/200 = 5 %; lower (190 − 180)/200 = 5 %.
    expect(Array.from(rangePct(c))).toEqual([(15 / 105) * 100, (30 / 190) * 100]);
    const s = candleShape(c);
    expect(Array.from(s.body)).toEqual([5, -5]);
    expect(Array.from(s.upperWick)).toEqual([5, 5]);
    expect(Array.from(s.lowerWick)).toEqual([5, 5]);
  });

  it("hour and weekday on the unit circle (UTC)", () => {
    // 2021-01-04 is a Monday; 2021-01-10 18:00 is a Sunday evening.
    const k = calendarFeatures(Float64Array.from([Date.UTC(2021, 0, 4, 0), Date.UTC(2021, 0, 10, 18)]));
    expect([k.hourSin[0], k.hourCos[0], k.weekdaySin[0], k.weekdayCos[0]]).toEqual([0, 1, 0, 1]);
    expect(k.hourSin[1]).toBeCloseTo(-1, 15); // 18:00 = three quarters of the day
    expect(k.hourCos[1]).toBeCloseTo(0, 15);
    expect(k.weekdaySin[1]).toBeCloseTo(Math.sin((2 * Math.PI * 6) / 7), 15);
  });
});
