import { z } from "zod";
import { Rng } from "../util/rng.js";
import { allocCandles, type Candles } from "./candles.js";

/**
 * The embedded synthetic market: an hourly OHLCV series that behaves like BTC (fat tails, volatility
 * clustering, bull and bear phases, volume that spikes with the moves) so that the project runs, trains and
 * tests without any download. The model, its equations and its calibration against real Bitfinex BTC/USD are
 * in docs/market.md; the committed series is data/synthetic-btc-1h.csv (`npm run gen:market`).
 *
 * Per hour t (one Rng stream, drawn in a fixed order so the same seed gives the same series bit for bit):
 * 1. regime s_t: a Markov chain over sideways / rally / crash; leaves regime s with probability
 *    1 / meanHours(s), then picks the next regime by the `next` weights (geometric durations).
 * 2. GARCH(1,1) variance: h_t = ω + α·h_{t−1}·z²_{t−1} + β·h_{t−1}, with ω = σ̄²(1 − α − β) so that σ̄ is
 *    the unconditional hourly volatility of the GARCH part.
 * 3. the hour's volatility σ_t = √h_t · volMultiplier(s_t) · (1 + a·cos(2π(hourUtc − peakHour)/24)).
 * 4. log return r_t = drift(s_t) + φ·r_{t−1} + σ_t·z_t, z_t Student-t with `tailDof` degrees of freedom,
 *    scaled to unit variance.
 * 5. open_t = close_{t−1}·exp(g·σ_t·N(0,1)) (g = 0 by default: open = previous close), close_t =
 *    open_t·exp(r_t); wicks: high = max(open, close)·exp(w·σ_t·E₁), low = min(open, close)·exp(−w·σ_t·E₂),
 *    E ~ Exp(1).
 * 6. volume_t = level·(1 + k·|r_t| / σ̄)·exp(u_t), u_t = ρ·u_{t−1} + √(1 − ρ²)·η·N(0,1).
 * Prices are rounded to cents and volumes to 4 decimals (rounding is monotone, so high ≥ max(open, close) ≥
 * min(open, close) ≥ low survives it), and the rounded close is the next hour's price state: the CSV holds
 * exactly the series the model produced.
 */

export const REGIMES = ["sideways", "rally", "crash"] as const;
export type Regime = (typeof REGIMES)[number];

/** Weights over the regimes a regime can switch to (its own weight is ignored). */
const nextWeightsSchema = z
  .object({
    sideways: z.number().min(0).default(0),
    rally: z.number().min(0).default(0),
    crash: z.number().min(0).default(0),
  })
  .strict();

interface RegimeDefaults {
  driftPerHour: number;
  volMultiplier: number;
  meanHours: number;
  next: { sideways: number; rally: number; crash: number };
}

function regimeSchema(d: RegimeDefaults) {
  return z
    .object({
      /** Mean log return per hour while in the regime (before the AR(1) term). */
      driftPerHour: z.number().gt(-0.05).lt(0.05).default(d.driftPerHour),
      /** Multiplies the GARCH volatility while in the regime. */
      volMultiplier: z.number().positive().max(20).default(d.volMultiplier),
      /** Expected length of a stay in hours (geometric): the chance of leaving each hour is 1 / meanHours. */
      meanHours: z.number().min(1).default(d.meanHours),
      /** Relative chances of the regime entered on leaving; the regime's own weight is ignored. */
      next: nextWeightsSchema.prefault(d.next),
    })
    .strict()
    .prefault({});
}

/** ISO-8601 instant on a whole UTC hour, resolved to ms. */
const hourInstantSchema = z.string().transform((v, ctx) => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms) || ms % 3_600_000 !== 0) {
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 instant on a whole UTC hour, got "${v}"` });
    return z.NEVER;
  }
  return ms;
});

export const syntheticMarketConfigSchema = z
  .object({
    /** Number of hourly bars (default two years of 365 days: 17,520). */
    hours: z.number().int().min(2).max(2_000_000).default(17_520),
    /** Open time of the first bar, ISO-8601 on a whole UTC hour; resolved to ms. */
    start: hourInstantSchema.prefault("2021-01-01T00:00:00Z"),
    /** Open (and previous close) of the first bar, USD. */
    startPrice: z.number().min(1).max(1e9).default(30_000),
    /** Symbol written into the series' meta. */
    symbol: z.string().min(1).default("BTC/USD"),
    /** Regime of the first hour. */
    initialRegime: z.enum(REGIMES).default("sideways"),
    /** The three regimes of the Markov chain (drift, volatility multiplier, mean duration, next-regime weights). */
    regimes: z
      .object({
        /** Range-bound market: no drift, calmer than average; long stays. */
        sideways: regimeSchema({
          driftPerHour: 0,
          volMultiplier: 0.8,
          meanHours: 24 * 12,
          next: { sideways: 0, rally: 0.55, crash: 0.45 },
        }),
        /** Bull run: about +0.9 % a day, normal volatility; stays of ~10 days. */
        rally: regimeSchema({
          driftPerHour: 0.0004,
          volMultiplier: 1.05,
          meanHours: 24 * 10,
          next: { sideways: 0.75, rally: 0, crash: 0.25 },
        }),
        /** Sell-off: about −1.7 % a day, volatile; stays of ~5 days. */
        crash: regimeSchema({
          driftPerHour: -0.0007,
          volMultiplier: 1.6,
          meanHours: 24 * 5,
          next: { sideways: 0.7, rally: 0.3, crash: 0 },
        }),
      })
      .strict()
      .prefault({}),
    /** GARCH(1,1) variance recursion of the standardised shocks. */
    garch: z
      .object({
        /** σ̄: unconditional hourly volatility of the GARCH part (before regime and time-of-day multipliers). */
        hourlyVol: z.number().positive().max(0.2).default(0.0085),
        /** α: weight of last hour's squared shock (reaction to news). */
        alpha: z.number().min(0).max(1).default(0.07),
        /** β: weight of last hour's variance (persistence); α + β < 1 keeps the variance stationary. */
        beta: z.number().min(0).max(1).default(0.925),
      })
      .strict()
      .refine((g) => g.alpha + g.beta < 1, { message: "garch.alpha + garch.beta must be < 1 (stationary variance)" })
      .prefault({}),
    /** Degrees of freedom of the Student-t innovations (integer > 2; lower = fatter tails). */
    tailDof: z.number().int().min(3).max(1000).default(5),
    /** φ: AR(1) coefficient of the hourly returns (real hourly BTC shows a small negative lag-1 autocorrelation). */
    returnAr1: z.number().gt(-0.5).lt(0.5).default(-0.03),
    /** Time-of-day volatility pattern: σ_t × (1 + amplitude·cos(2π(hourUtc − peakHourUtc)/24)). */
    diurnal: z
      .object({
        /** a: relative swing of volatility over the day (0 = flat). */
        amplitude: z.number().min(0).max(0.9).default(0.12),
        /** UTC hour of the most volatile bar (US session open). */
        peakHourUtc: z.number().min(0).max(23).default(15),
      })
      .strict()
      .prefault({}),
    /** g: std of the open's jump from the previous close, in units of σ_t (0 = open equals previous close). */
    openGap: z.number().min(0).max(5).default(0),
    /** w: mean wick length beyond the body, in units of σ_t (each wick is w·σ_t·Exp(1)). */
    wickScale: z.number().min(0).max(10).default(0.38),
    /** Volume model: level × (1 + k·|r|/σ̄) × exp(AR(1) log-normal noise). */
    volume: z
      .object({
        /** Typical hourly volume in coins when nothing moves. */
        level: z.number().positive().default(150),
        /** k: extra volume per σ̄ of absolute return. */
        absReturnGain: z.number().min(0).default(1.3),
        /** η: std of the log-volume noise. */
        noiseVol: z.number().min(0).max(5).default(0.55),
        /** ρ: hour-to-hour persistence of the log-volume noise (0 = independent). */
        noisePersistence: z.number().min(0).lt(1).default(0.85),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SyntheticMarketConfigInput = z.input<typeof syntheticMarketConfigSchema>;
export type SyntheticMarketConfig = z.output<typeof syntheticMarketConfigSchema>;

/**
 * The seed of the committed data/synthetic-btc-1h.csv (with the default config). Picked among seeds
 * 20210101…20210160 as the path whose figures sit closest to real hourly BTC (docs/market.md).
 */
export const DEFAULT_MARKET_SEED = 20210142;

/** Validates a config once at the edge; throws a ZodError naming the bad field. */
export function resolveSyntheticMarketConfig(input: SyntheticMarketConfigInput = {}): SyntheticMarketConfig {
  return syntheticMarketConfigSchema.parse(input);
}

/** The series plus the hidden state that produced it (for plots and tests; not part of the CSV). */
export interface SyntheticMarket {
  readonly candles: Candles;
  /** Regime of each hour as an index into {@link REGIMES}. */
  readonly regime: Uint8Array;
  /** σ_t, the hour's volatility (std of the log return's shock). */
  readonly sigma: Float64Array;
}

const HOUR_MS = 3_600_000;
const PRICE_SCALE = 100;
const VOLUME_SCALE = 10_000;
const MIN_PRICE = 1 / PRICE_SCALE;

function roundPrice(x: number): number {
  // k / 100 with an exact integer k is the double nearest to the decimal, so the CSV round-trips exactly.
  return Math.max(MIN_PRICE, Math.round(x * PRICE_SCALE) / PRICE_SCALE);
}

function roundVolume(x: number): number {
  return Math.round(x * VOLUME_SCALE) / VOLUME_SCALE;
}

function expOne(rng: Rng): number {
  return -Math.log(1 - rng.uniform());
}

/** Generates the series and keeps the regimes and volatilities it was drawn with. */
export function simulateSyntheticMarket(input: SyntheticMarketConfigInput, rngOrSeed: Rng | number): SyntheticMarket {
  const cfg = resolveSyntheticMarketConfig(input);
  const rng = typeof rngOrSeed === "number" ? new Rng(rngOrSeed) : rngOrSeed;
  const seedNote = typeof rngOrSeed === "number" ? ` seed ${rngOrSeed}` : "";
  const n = cfg.hours;
  const candles = allocCandles(
    { symbol: cfg.symbol, exchange: "synthetic", timeframe: "1h", source: `generateSyntheticMarket${seedNote}` },
    n,
  );
  const regime = new Uint8Array(n);
  const sigma = new Float64Array(n);

  const regimeParams = REGIMES.map((name) => cfg.regimes[name]);
  const leaveProb = regimeParams.map((p) => 1 / p.meanHours);
  const nextWeights = REGIMES.map((name, i) =>
    Float64Array.from(REGIMES, (other) => (other === name ? 0 : regimeParams[i]!.next[other])),
  );
  const { hourlyVol, alpha, beta } = cfg.garch;
  const omega = hourlyVol * hourlyVol * (1 - alpha - beta);
  const { amplitude, peakHourUtc } = cfg.diurnal;
  const vol = cfg.volume;
  const noiseInnovation = Math.sqrt(1 - vol.noisePersistence * vol.noisePersistence) * vol.noiseVol;

  let s = REGIMES.indexOf(cfg.initialRegime);
  let h = hourlyVol * hourlyVol;
  let zPrev = 0;
  let rPrev = 0;
  let prevClose = roundPrice(cfg.startPrice);
  let u = vol.noiseVol * rng.normal();

  for (let t = 0; t < n; t++) {
    if (t > 0) {
      if (rng.uniform() < leaveProb[s]!) s = rng.categorical(nextWeights[s]!);
      h = omega + alpha * h * zPrev * zPrev + beta * h;
    }
    const p = regimeParams[s]!;
    const ts = cfg.start + t * HOUR_MS;
    const hourUtc = Math.floor(ts / HOUR_MS) % 24;
    const diurnal = 1 + amplitude * Math.cos((2 * Math.PI * (hourUtc - peakHourUtc)) / 24);
    const sig = Math.sqrt(h) * p.volMultiplier * diurnal;

    const z = rng.studentT(cfg.tailDof);
    const r = p.driftPerHour + cfg.returnAr1 * rPrev + sig * z;
    const gap = cfg.openGap > 0 ? cfg.openGap * sig * rng.normal() : 0;
    const open = gap === 0 ? prevClose : roundPrice(prevClose * Math.exp(gap));
    const close = roundPrice(open * Math.exp(r));
    const high = roundPrice(Math.max(open, close) * Math.exp(cfg.wickScale * sig * expOne(rng)));
    const low = roundPrice(Math.min(open, close) * Math.exp(-cfg.wickScale * sig * expOne(rng)));
    if (t > 0) u = vol.noisePersistence * u + noiseInnovation * rng.normal();
    const volume = roundVolume(vol.level * (1 + (vol.absReturnGain * Math.abs(r)) / hourlyVol) * Math.exp(u));

    candles.timestamp[t] = ts;
    candles.open[t] = open;
    candles.high[t] = high;
    candles.low[t] = low;
    candles.close[t] = close;
    candles.volume[t] = volume;
    regime[t] = s;
    sigma[t] = sig;
    zPrev = z;
    rPrev = r;
    prevClose = close;
  }
  return { candles, regime, sigma };
}

/**
 * The embedded market's generator: `generateSyntheticMarket({}, DEFAULT_MARKET_SEED)` is exactly the committed
 * data/synthetic-btc-1h.csv. Same config and seed (or Rng state), same series, bit for bit.
 */
export function generateSyntheticMarket(input: SyntheticMarketConfigInput, rngOrSeed: Rng | number): Candles {
  return simulateSyntheticMarket(input, rngOrSeed).candles;
}
