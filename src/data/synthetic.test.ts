import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { Rng } from "../util/rng.js";
import { formatCandlesCsv, parseCandlesCsv } from "./csv.js";
import { autocorrelation, marketStats, pearson } from "./market-stats.js";
import { validateCandles } from "./rules.js";
import {
  PLANTED_TRENDS_SEED,
  REGIMES,
  SYNTHETIC_MARKET_PRESETS,
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
    expect(cfg.regimes.bear.driftPerHour).toBeLessThan(0);
    expect(cfg.regimes.bull.driftPerHour).toBeGreaterThan(0);
    // A partial nested override keeps the other defaults.
    const partial = resolveSyntheticMarketConfig({ regimes: { bear: { volMultiplier: 2 } } });
    expect(partial.regimes.bear.volMultiplier).toBe(2);
    expect(partial.regimes.bear.meanHours).toBe(cfg.regimes.bear.meanHours);
    expect(partial.regimes.bull).toEqual(cfg.regimes.bull);
  });

  it("rejects non-stationary GARCH, misaligned starts and unknown fields", () => {
    expect(() => resolveSyntheticMarketConfig({ garch: { alpha: 0.2, beta: 0.8 } })).toThrow(ZodError);
    expect(() => resolveSyntheticMarketConfig({ start: "2021-01-01T00:30:00Z" })).toThrow(/whole UTC hour/);
    expect(() => resolveSyntheticMarketConfig({ tailDof: 2 })).toThrow(ZodError);
    expect(() => resolveSyntheticMarketConfig({ hourz: 5 } as unknown as SyntheticMarketConfigInput)).toThrow(ZodError);
    expect(() => resolveSyntheticMarketConfig({ autoregression: [{ lag: 1, coefficient: 0.4 }, { lag: 2, coefficient: -0.45 }, { lag: 3, coefficient: 0.1 }] })).toThrow(/sum of \|coefficient\|/);
    expect(() => resolveSyntheticMarketConfig({ autoregression: [{ lag: 2, coefficient: 0.1 }, { lag: 2, coefficient: 0.1 }] })).toThrow(/distinct/);
  });

  it("every preset resolves", () => {
    for (const preset of Object.values(SYNTHETIC_MARKET_PRESETS)) expect(() => resolveSyntheticMarketConfig(preset)).not.toThrow();
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

  it("has BTC-like statistics on a long run: fat tails, volatility clustering, small negative autocorrelations", () => {
    const { candles, regime } = simulateSyntheticMarket({ hours: 150_000 }, 11);
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
    // The bear regime is the volatile one.
    const rms = REGIMES.map(() => ({ sq: 0, n: 0 }));
    for (let t = 1; t < candles.length; t++) {
      const acc = rms[regime[t]!]!;
      acc.sq += Math.log(candles.close[t]! / candles.close[t - 1]!) ** 2;
      acc.n++;
    }
    const [calm, , bear] = rms.map((a) => Math.sqrt(a.sq / a.n));
    expect(bear!).toBeGreaterThan(calm! * 1.5);
  });

  it("regimes switch as the Markov chain says: stationary shares, geometric stays, drift signs", () => {
    // The planted-trends preset switches every few days, so one long run holds enough stays to check the chain.
    const hours = 150_000;
    const input = { ...SYNTHETIC_MARKET_PRESETS.planted_trends, hours };
    const { candles, regime } = simulateSyntheticMarket(input, 11);
    const cfg = resolveSyntheticMarketConfig(input);
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

    // The bear regime is the volatile one and trends down; the bull trends up.
    const byRegime = REGIMES.map(() => ({ sum: 0, sq: 0, n: 0 }));
    for (let t = 1; t < hours; t++) {
      const r = Math.log(candles.close[t]! / candles.close[t - 1]!);
      const acc = byRegime[regime[t]!]!;
      acc.sum += r;
      acc.sq += r * r;
      acc.n++;
    }
    const [calm, bull, bear] = byRegime.map((a) => ({ mean: a.sum / a.n, rms: Math.sqrt(a.sq / a.n) }));
    expect(bear!.mean).toBeLessThan(0);
    expect(bull!.mean).toBeGreaterThan(0);
    expect(bear!.rms).toBeGreaterThan(calm!.rms);
  });

  it("autoregression terms give the autocorrelation they ask for (AR at a single lag k: ρ(k) = φ)", () => {
    // A pure AR(k) process r_t = φ r_{t−k} + ε_t has ρ(k) = φ and ρ(j) = 0 for 0 < j < k.
    const c = generateSyntheticMarket({ ...SYNTHETIC_MARKET_PRESETS.random_walk, hours: 80_000, autoregression: [{ lag: 24, coefficient: -0.2 }] }, 5);
    const r = Float64Array.from({ length: c.length - 1 }, (_, t) => Math.log(c.close[t + 1]! / c.close[t]!));
    // Sampling sd of an autocorrelation ≈ 1/√N = 0.0035; the tolerance is about 4 sd.
    expect(autocorrelation(r, 24)).toBeCloseTo(-0.2, 1);
    expect(Math.abs(autocorrelation(r, 24) + 0.2)).toBeLessThan(0.015);
    for (const lag of [1, 2, 12, 23]) expect(Math.abs(autocorrelation(r, lag))).toBeLessThan(0.015);
  });

  it("the wandering drift makes nearby returns positively correlated: ρ(k) = s²·ρᵏ / (1 + s²)", () => {
    // r_t = m_t + σ̄ z_t with m an AR(1) of persistence ρ and stationary std s·σ̄, independent of z:
    // Cov(r_t, r_{t+k}) = s² σ̄² ρᵏ and Var(r) = σ̄² (1 + s²). Worked for s = 0.2, ρ = 0.95:
    // ρ(1) = 0.04 × 0.95 / 1.04 = 0.0365, ρ(10) = 0.04 × 0.5987 / 1.04 = 0.0230, ρ(60) = 0.04 × 0.0461 / 1.04 = 0.0018.
    const c = generateSyntheticMarket({ ...SYNTHETIC_MARKET_PRESETS.random_walk, hours: 200_000, trend: { strength: 0.2, persistence: 0.95 } }, 6);
    const r = Float64Array.from({ length: c.length - 1 }, (_, t) => Math.log(c.close[t + 1]! / c.close[t]!));
    // Sampling sd ≈ 1/√N = 0.0022 (larger for a persistent signal); tolerance ≈ 4 sd.
    expect(Math.abs(autocorrelation(r, 1) - 0.0365)).toBeLessThan(0.009);
    expect(Math.abs(autocorrelation(r, 10) - 0.023)).toBeLessThan(0.009);
    expect(Math.abs(autocorrelation(r, 60) - 0.0018)).toBeLessThan(0.009);
  });

  it("the random-walk preset has no structure: no autocorrelation of r or |r|", () => {
    const c = generateSyntheticMarket({ ...SYNTHETIC_MARKET_PRESETS.random_walk, hours: 60_000 }, 7);
    const r = Float64Array.from({ length: c.length - 1 }, (_, t) => Math.log(c.close[t + 1]! / c.close[t]!));
    const abs = r.map(Math.abs);
    for (const lag of [1, 2, 24, 168]) {
      expect(Math.abs(autocorrelation(r, lag))).toBeLessThan(0.02);
      expect(Math.abs(autocorrelation(abs, lag))).toBeLessThan(0.02);
    }
  });

  it("the planted-trends preset with its seed is the project's first embedded market, byte for byte", () => {
    // The market the project shipped until issue 14 (data/synthetic-btc-1h.csv at that time), whose regimes an
    // MA crossover exploits: kept as a labelled demo of a pattern that is really there.
    const csv = formatCandlesCsv(generateSyntheticMarket(SYNTHETIC_MARKET_PRESETS.planted_trends, PLANTED_TRENDS_SEED));
    expect(createHash("sha256").update(csv).digest("hex")).toBe("539f67aae78bd53a84dfd65bbbcb36c749631f4d233bff1a6692347e06fd8f9c");
  });

  it("volume correlates with |r| within each seed of a short run too", () => {
    const c = generateSyntheticMarket({ hours: 5000 }, 99);
    const absR = new Float64Array(c.length - 1);
    for (let t = 1; t < c.length; t++) absR[t - 1] = Math.abs(Math.log(c.close[t]! / c.close[t - 1]!));
    expect(pearson(c.volume.subarray(1), absR)).toBeGreaterThan(0.3);
  });
});
