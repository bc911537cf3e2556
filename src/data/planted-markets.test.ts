import { describe, expect, it } from "vitest";
import { PLANTED_MARKET_KINDS, plantedMarket } from "./planted-markets.js";

const logReturns = (close: Float64Array): number[] => Array.from({ length: close.length - 1 }, (_, t) => Math.log(close[t + 1]! / close[t]!));

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe.each(PLANTED_MARKET_KINDS)("planted market %s", (kind) => {
  it("is valid hourly OHLCV, the same for the same seed and different for another", () => {
    const a = plantedMarket({ kind, bars: 3000 }, 7);
    const b = plantedMarket({ kind, bars: 3000 }, 7);
    const c = plantedMarket({ kind, bars: 3000 }, 8);
    expect(Array.from(b.close)).toEqual(Array.from(a.close));
    expect(Array.from(c.close)).not.toEqual(Array.from(a.close));
    for (let t = 0; t < a.length; t++) {
      expect(a.high[t]!).toBeGreaterThanOrEqual(Math.max(a.open[t]!, a.close[t]!));
      expect(a.low[t]!).toBeLessThanOrEqual(Math.min(a.open[t]!, a.close[t]!));
      expect(a.low[t]!).toBeGreaterThan(0);
      expect(a.volume[t]!).toBeGreaterThan(0);
      if (t > 0) expect(a.timestamp[t]! - a.timestamp[t - 1]!).toBe(3_600_000);
    }
  });
});

describe("the planted structure is there (measured on the candles, not taken from the generator)", () => {
  it("trend: the last 24 bars' return predicts the next 24 bars' (correlation > 0.3)", () => {
    const r = logReturns(plantedMarket({ kind: "trend", bars: 20_000 }, 3).close);
    const past: number[] = [];
    const next: number[] = [];
    for (let t = 24; t + 24 <= r.length; t += 24) {
      past.push(r.slice(t - 24, t).reduce((s, x) => s + x, 0));
      next.push(r.slice(t, t + 24).reduce((s, x) => s + x, 0));
    }
    expect(correlation(past, next)).toBeGreaterThan(0.3);
  });

  it.each([12, 24, 48])("delayed cue (%i bars): the move `delay` bars after a volume spike has the cue bar's sign", (delay) => {
    const c = plantedMarket({ kind: "delayed_cue", bars: 20_000, delay }, 4);
    const r = logReturns(c.close);
    let cues = 0, right = 0, nextBar = 0;
    for (let t = 1; t + delay + 12 < c.length; t++) {
      if (c.volume[t]! < 4 * 100) continue;
      cues++;
      const cueSign = Math.sign(Math.log(c.close[t]! / c.open[t]!));
      const move = r.slice(t + delay - 1, t + delay + 11).reduce((s, x) => s + x, 0);
      if (Math.sign(move) === cueSign) right++;
      // Right after the cue, nothing: the next `delay` bars are noise.
      if (Math.sign(r.slice(t, t + Math.min(delay - 1, 10)).reduce((s, x) => s + x, 0)) === cueSign) nextBar++;
    }
    expect(cues).toBeGreaterThan(100);
    expect(right / cues).toBeGreaterThan(0.95);
    expect(Math.abs(nextBar / cues - 0.5)).toBeLessThan(0.12);
  });

  it("volatility: calm bars drift up, turbulent bars drift down (split by the last day's realised volatility)", () => {
    const r = logReturns(plantedMarket({ kind: "volatility", bars: 30_000 }, 5).close);
    let calm = 0, calmN = 0, storm = 0, stormN = 0;
    for (let t = 24; t + 1 < r.length; t++) {
      const vol = Math.sqrt(r.slice(t - 24, t).reduce((s, x) => s + x * x, 0) / 24);
      if (vol < 0.006) {
        calm += r[t]!;
        calmN++;
      } else if (vol > 0.012) {
        storm += r[t]!;
        stormN++;
      }
    }
    expect(calm / calmN).toBeGreaterThan(0.0003);
    expect(storm / stormN).toBeLessThan(-0.0005);
  });
});
