import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { Rng } from "../util/rng.js";
import { formatCandlesCsv, parseCandlesCsv } from "./csv.js";
import { marketStats, pearson } from "./market-stats.js";
import { validateCandles } from "./rules.js";
import {
  REGIMES,
  generateSyntheticMarket,
  resolveSyntheticMarketConfig,
  simulateSyntheticMarket,
  type SyntheticMarketConfigInput,
} from "./synthetic.js";

const HOUR = 3_600_000;

/** Bit-for-bit equality of two Float64Arrays (fast enough for tens of thousands of values). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe("synthetic market config", () => {
  it("defaults every field and resolves the start to ms", () => {
    const cfg = resolveSyntheticMarketConfig();
    expect(cfg.hours).toBe(17_520);
    expect(cfg.start).toBe(Date.UTC(2021, 0, 1));
    expect(cfg.startPrice).toBe(30_000);
    expect(cfg.regimes.crash.driftPerHour).toBeLessThan(0);
    expect(cfg.regimes.rally.driftPerHour).toBeGreaterThan(0);
    // A partial nested override keeps the other defaults.
    const partial = resolveSyntheticMarketConfig({ regimes: { crash: { volMultiplier: 2 } } });
    expect(partial.regimes.crash.volMultiplier).toBe(2);
    expect(partial.regimes.crash.meanHours).toBe(cfg.regimes.crash.meanHours);
    expect(partial.regimes.rally).toEqual(cfg.regimes.rally);
  });

  it("rejects non-stationary GARCH, misaligned starts and unknown fields", () => {
    expect(() => resolveSyntheticMarketConfig({ garch: { alpha: 0.2, beta: 0.8 } })).toThrow(ZodError);
    expect(() => resolveSyntheticMarketConfig({ start: "2021-01-01T00:30:00Z" })).toThrow(/whole UTC hour/);
    expect(() => resolveSyntheticMarketConfig({ tailDof: 2 })).toThrow(ZodError);
    expect(() => resolveSyntheticMarketConfig({ hourz: 5 } as unknown as SyntheticMarketConfigInput)).toThrow(ZodError);
  });
});

describe("generateSyntheticMarket", () => {
  it("is deterministic: same seed or Rng state → same series; other seeds differ", () => {
    const a = generateSyntheticMarket({ hours: 3000 }, 7);
    const b = generateSyntheticMarket({ hours: 3000 }, new Rng(7));
    const c = generateSyntheticMarket({ hours: 3000 }, 8);
    for (const col of ["timestamp", "open", "high", "low", "close", "volume"] as const) {
      expect(b[col]).toEqual(a[col]);
    }
    expect(c.close).not.toEqual(a.close);
    expect(c.volume).not.toEqual(a.volume);
    // A shorter run is a prefix of a longer one with the same seed (one stream, fixed draw order).
    const short = generateSyntheticMarket({ hours: 1000 }, 7);
    expect(short.close).toEqual(a.close.subarray(0, 1000));
  });

  it("is structurally valid and round-trips through the CSV exactly, on many seeds and configs", () => {
    const configs: SyntheticMarketConfigInput[] = [
      { hours: 1500 },
      { hours: 1500, openGap: 0.5, start: "2019-03-10T05:00:00Z", startPrice: 50 },
      { hours: 1500, garch: { hourlyVol: 0.05, alpha: 0.2, beta: 0.75 }, tailDof: 3, wickScale: 2 },
      { hours: 1500, wickScale: 0, diurnal: { amplitude: 0 }, volume: { noiseVol: 0 } },
    ];
    for (const [k, cfg] of configs.entries()) {
      for (let seed = 0; seed < 12; seed++) {
        const c = generateSyntheticMarket(cfg, 1000 * k + seed);
        expect(() => validateCandles(c)).not.toThrow();
        const start = resolveSyntheticMarketConfig(cfg).start;
        const gapless = (cfg.openGap ?? 0) === 0;
        // Count broken rows instead of one expect per row (thousands of rows per series).
        const broken = { timestamp: 0, positive: 0, high: 0, low: 0, cents: 0, open: 0 };
        for (let t = 0; t < c.length; t++) {
          if (c.timestamp[t] !== start + t * HOUR) broken.timestamp++;
          if (!(c.low[t]! > 0 && c.volume[t]! >= 0)) broken.positive++;
          if (c.high[t]! < Math.max(c.open[t]!, c.close[t]!)) broken.high++;
          if (c.low[t]! > Math.min(c.open[t]!, c.close[t]!)) broken.low++;
          if (Math.abs(c.close[t]! * 100 - Math.round(c.close[t]! * 100)) > 1e-6) broken.cents++;
          if (gapless && t > 0 && c.open[t] !== c.close[t - 1]) broken.open++;
        }
        expect(broken).toEqual({ timestamp: 0, positive: 0, high: 0, low: 0, cents: 0, open: 0 });
        const back = parseCandlesCsv(formatCandlesCsv(c), "memory", { symbol: "BTC/USD", exchange: "synthetic" });
        for (const col of ["timestamp", "open", "high", "low", "close", "volume"] as const) {
          expect(sameBits(back.candles[col], c[col]), col).toBe(true);
        }
      }
    }
  });

  it("open gaps move the open away from the previous close when asked", () => {
    const c = generateSyntheticMarket({ hours: 500, openGap: 1 }, 3);
    let moved = 0;
    for (let t = 1; t < c.length; t++) if (c.open[t] !== c.close[t - 1]) moved++;
    expect(moved).toBeGreaterThan(400);
  });

  it("has BTC-like statistics on a long run: fat tails, volatility clustering, switching regimes, volume", () => {
    const hours = 150_000;
    const { candles, regime } = simulateSyntheticMarket({ hours }, 11);
    const s = marketStats(candles);
    // Fat tails: kurtosis > 3 (excess > 0), by a wide margin, and more 3σ moves than a normal's 0.27 %.
    expect(s.excessKurtosis).toBeGreaterThan(3);
    expect(s.tailShare3Sigma).toBeGreaterThan(0.008);
    // Clustering: |r| is clearly autocorrelated, the signed returns hardly.
    expect(s.acfAbsReturnLag1).toBeGreaterThan(0.15);
    expect(s.acfAbsReturnLag1).toBeGreaterThan(Math.abs(s.acfReturnLag1) + 0.1);
    expect(s.acfAbsReturnLag24).toBeGreaterThan(0.05);
    expect(Math.abs(s.acfReturnLag1)).toBeLessThan(0.1);
    // Hourly volatility in the range of real BTC (0.5 % … 1.3 %).
    expect(s.stdLogReturn).toBeGreaterThan(0.005);
    expect(s.stdLogReturn).toBeLessThan(0.013);
    // Volume rises with the move.
    expect(s.volumeAbsReturnCorr).toBeGreaterThan(0.3);

    // Regimes switch, stay for days to weeks, and share time as the chain's stationary distribution says.
    const cfg = resolveSyntheticMarketConfig();
    const P = REGIMES.map((from) => {
      const p = cfg.regimes[from];
      const w = REGIMES.map((to) => (to === from ? 0 : p.next[to]));
      const total = w.reduce((x, y) => x + y, 0);
      return REGIMES.map((to, j) => (to === from ? 1 - 1 / p.meanHours : w[j]! / p.meanHours / total));
    });
    let pi = [1 / 3, 1 / 3, 1 / 3];
    for (let it = 0; it < 20_000; it++) pi = pi.map((_, j) => pi.reduce((acc, pk, k) => acc + pk * P[k]![j]!, 0));
    const share = [0, 0, 0];
    let switches = 0;
    const stays: number[][] = [[], [], []];
    let stayStart = 0;
    for (let t = 0; t < hours; t++) {
      share[regime[t]!]! += 1 / hours;
      if (t > 0 && regime[t] !== regime[t - 1]) {
        switches++;
        stays[regime[t - 1]!]!.push(t - stayStart);
        stayStart = t;
      }
    }
    expect(switches).toBeGreaterThan(300);
    REGIMES.forEach((name, i) => {
      expect(Math.abs(share[i]! - pi[i]!)).toBeLessThan(0.06);
      const meanStay = stays[i]!.reduce((x, y) => x + y, 0) / stays[i]!.length;
      expect(meanStay / cfg.regimes[name].meanHours).toBeGreaterThan(0.8);
      expect(meanStay / cfg.regimes[name].meanHours).toBeLessThan(1.2);
    });

    // The crash regime is the volatile one and trends down; the rally trends up.
    const byRegime = REGIMES.map(() => ({ sum: 0, sq: 0, n: 0 }));
    for (let t = 1; t < hours; t++) {
      const r = Math.log(candles.close[t]! / candles.close[t - 1]!);
      const acc = byRegime[regime[t]!]!;
      acc.sum += r;
      acc.sq += r * r;
      acc.n++;
    }
    const [sideways, rally, crash] = byRegime.map((a) => ({ mean: a.sum / a.n, rms: Math.sqrt(a.sq / a.n) }));
    expect(crash!.mean).toBeLessThan(0);
    expect(rally!.mean).toBeGreaterThan(0);
    expect(crash!.rms).toBeGreaterThan(sideways!.rms);
  });

  it("volume correlates with |r| within each seed of a short run too", () => {
    const c = generateSyntheticMarket({ hours: 5000 }, 99);
    const absR = new Float64Array(c.length - 1);
    for (let t = 1; t < c.length; t++) absR[t - 1] = Math.abs(Math.log(c.close[t]! / c.close[t - 1]!));
    expect(pearson(c.volume.subarray(1), absR)).toBeGreaterThan(0.3);
  });
});
