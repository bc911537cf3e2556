import { allocCandles, type Candles } from "./candles.js";
import { simulateSyntheticMarket, type SyntheticMarketConfigInput } from "./synthetic.js";

/**
 * The embedded two-asset market: synthetic hourly BTC/USD and ETH/USD that move together as the real pair
 * does (hourly log-return correlation about 0.8, ETH about 1.25 times as volatile), so that the multi-asset
 * env, its notebook and the default portfolio run work offline. Real data (../shared/data) is for research only.
 *
 * Recipe (docs/portfolio.md), from the single-asset generator (src/data/synthetic.ts), which is not changed:
 * 1. A = the single-asset model with the BTC parameters below, seed `seeds.btc`: the BTC series.
 * 2. C = the same model with calmer parameters, seed `seeds.idiosyncratic`: ETH's own moves (its own regimes,
 *    volatility clusters and volume).
 * 3. ETH's hourly log return r_E(t) = β·r_A(t) + c·r_C(t), with r = ln(close_t / close_{t−1}) and c such that
 *    c·r_C's realised volatility is 0.75 × r_A's (so the correlation is 0.8 and ETH 1.25 × as volatile); open = previous
 *    close; the wicks are C's wicks (high / max(open, close) and low / min(open, close) of C's bar) and the
 *    volume is C's volume × `ethVolumeScale`. Prices are rounded to cents, as in the single-asset series.
 * 4. A few hours are removed from each series (`outages`), as exchange outages remove bars from real files:
 *    the env's alignment must deal with them, and says what it did (src/portfolio/align.ts).
 * Every parameter the model uses is given explicitly, so that a change of the single-asset defaults (a
 * recalibration of the embedded BTC market) does not silently change this pair.
 */

const HOUR_MS = 3_600_000;

/** Every field of the single-asset model, pinned (its calibrated defaults as of the recalibration): the BTC-like leg. */
/** Bars of the embedded pair: two 365-day years. */
const PAIR_HOURS = 17_520;

const BTC_PARAMS: SyntheticMarketConfigInput = {
  hours: PAIR_HOURS,
  start: "2021-01-01T00:00:00Z",
  startPrice: 30_000,
  symbol: "BTC/USD",
  initialRegime: "calm",
  regimes: {
    calm: { driftPerHour: 0, volMultiplier: 0.6, meanHours: 24 * 45, next: { calm: 0, bull: 0.5, bear: 0.5 } },
    bull: { driftPerHour: 0.00014, volMultiplier: 1, meanHours: 24 * 90, next: { calm: 0.7, bull: 0, bear: 0.3 } },
    bear: { driftPerHour: -0.00016, volMultiplier: 1.4, meanHours: 24 * 75, next: { calm: 0.7, bull: 0.3, bear: 0 } },
  },
  garch: { hourlyVol: 0.0082, alpha: 0.075, beta: 0.915 },
  tailDof: 5,
  autoregression: [
    { lag: 1, coefficient: -0.012 },
    { lag: 2, coefficient: -0.035 },
    { lag: 24, coefficient: -0.035 },
    { lag: 25, coefficient: -0.03 },
  ],
  trend: { strength: 0.065, persistence: 0.972 },
  diurnal: { amplitude: 0.06, peakHourUtc: 15 },
  openGap: 0,
  wickScale: 0.38,
  volume: { level: 150, absReturnGain: 1.3, noiseVol: 0.55, noisePersistence: 0.85 },
};

/**
 * ETH's own moves: their own regimes, volatility clusters, trends and volume; a little more drift of their own
 * in bulls (ETH outran BTC in bull markets). Their scale is set by generateSyntheticPair (0.75 × BTC's
 * realised volatility).
 */
const IDIOSYNCRATIC_PARAMS: SyntheticMarketConfigInput = {
  ...BTC_PARAMS,
  startPrice: 1_000,
  symbol: "ETH/USD",
  regimes: {
    calm: { driftPerHour: 0, volMultiplier: 0.7, meanHours: 24 * 30, next: { calm: 0, bull: 0.5, bear: 0.5 } },
    bull: { driftPerHour: 0.00006, volMultiplier: 1, meanHours: 24 * 60, next: { calm: 0.7, bull: 0, bear: 0.3 } },
    bear: { driftPerHour: -0.00004, volMultiplier: 1.3, meanHours: 24 * 45, next: { calm: 0.7, bull: 0.3, bear: 0 } },
  },
  garch: { hourlyVol: 0.0082, alpha: 0.06, beta: 0.93 },
  volume: { level: 300, absReturnGain: 1.1, noiseVol: 0.6, noisePersistence: 0.85 },
};

export interface SyntheticPairOptions {
  /** Seeds of the BTC leg and of ETH's own moves. */
  readonly seeds?: { readonly btc: number; readonly idiosyncratic: number };
  /** β: ETH's exposure to BTC's hourly log return. */
  readonly beta?: number;
  /** v: realised volatility of ETH's own moves over BTC's (0.75: correlation 0.8, ETH 1.25 × as volatile). */
  readonly idiosyncraticVol?: number;
  /** Multiplies C's volume into ETH volume. */
  readonly ethVolumeScale?: number;
  /** Hours removed from each series: [symbol, first removed bar (row of the generated series), bars removed]. */
  readonly outages?: readonly (readonly [string, number, number])[];
  /** Bars to generate (default: two 365-day years). */
  readonly hours?: number;
}

/** The seeds of the embedded pair. */
export const DEFAULT_PAIR_SEEDS = { btc: 20210301, idiosyncratic: 20210302 } as const;

/** Sample standard deviation of a series' hourly log returns (close to close). */
function realisedVol(c: Candles): number {
  let s = 0;
  let ss = 0;
  const n = c.length - 1;
  for (let t = 1; t <= n; t++) {
    const r = Math.log(c.close[t]! / c.close[t - 1]!);
    s += r;
    ss += r * r;
  }
  return Math.sqrt((ss - (s * s) / n) / (n - 1));
}

/** The outages of the embedded pair: 4 holes in ETH (10 bars) and 2 in BTC (4 bars). */
export const DEFAULT_PAIR_OUTAGES: readonly (readonly [string, number, number])[] = [
  ["ETH/USD", 1_234, 1],
  ["ETH/USD", 5_000, 5],
  ["ETH/USD", 9_876, 2],
  ["ETH/USD", 15_000, 2],
  ["BTC/USD", 7_777, 3],
  ["BTC/USD", 12_345, 1],
];

const roundCents = (x: number): number => Math.max(0.01, Math.round(x * 100) / 100);

/**
 * The two series, in the order [BTC/USD, ETH/USD], each with its outages removed. Same options, same series,
 * bit for bit.
 */
export function generateSyntheticPair(opts: SyntheticPairOptions = {}): readonly [Candles, Candles] {
  const seeds = opts.seeds ?? DEFAULT_PAIR_SEEDS;
  const beta = opts.beta ?? 1;
  const volumeScale = opts.ethVolumeScale ?? 1;
  const idioVol = opts.idiosyncraticVol ?? 0.75;
  const hours = opts.hours ?? PAIR_HOURS;
  const a = simulateSyntheticMarket({ ...BTC_PARAMS, hours }, seeds.btc).candles;
  const c = simulateSyntheticMarket({ ...IDIOSYNCRATIC_PARAMS, hours }, seeds.idiosyncratic).candles;
  const source = `generateSyntheticPair seeds ${seeds.btc}/${seeds.idiosyncratic} beta ${beta}`;
  const btc = allocCandles({ symbol: "BTC/USD", exchange: "synthetic", timeframe: "1h", source }, hours);
  const eth = allocCandles({ symbol: "ETH/USD", exchange: "synthetic", timeframe: "1h", source }, hours);
  // C's log returns are scaled so that their realised volatility is `idiosyncraticVol` × A's over the whole
  // series: then (A and C independent) corr = 1/√(1 + v²) and ETH's volatility is √(1 + v²) × BTC's, whatever
  // the volatility the two seeded paths happen to realise.
  const scale = (idioVol * realisedVol(a)) / realisedVol(c);
  let prevA = a.open[0]!;
  let prevC = c.open[0]!;
  let prevE = roundCents(IDIOSYNCRATIC_PARAMS.startPrice ?? 1_000);
  for (let t = 0; t < hours; t++) {
    btc.timestamp[t] = a.timestamp[t]!;
    btc.open[t] = a.open[t]!;
    btc.high[t] = a.high[t]!;
    btc.low[t] = a.low[t]!;
    btc.close[t] = a.close[t]!;
    btc.volume[t] = a.volume[t]!;

    const rA = Math.log(a.close[t]! / prevA);
    const rC = scale * Math.log(c.close[t]! / prevC);
    const open = prevE;
    const close = roundCents(open * Math.exp(beta * rA + rC));
    const cTop = Math.max(c.open[t]!, c.close[t]!);
    const cBottom = Math.min(c.open[t]!, c.close[t]!);
    eth.timestamp[t] = a.timestamp[t]!;
    eth.open[t] = open;
    eth.close[t] = close;
    // Rounding is monotone, so high ≥ max(open, close) and low ≤ min(open, close) survive it.
    eth.high[t] = roundCents(Math.max(open, close) * (c.high[t]! / cTop));
    eth.low[t] = roundCents(Math.min(open, close) * (c.low[t]! / cBottom));
    eth.volume[t] = Math.round(c.volume[t]! * volumeScale * 10_000) / 10_000;
    prevA = a.close[t]!;
    prevC = c.close[t]!;
    prevE = close;
  }
  const outages = opts.outages ?? (hours === PAIR_HOURS ? DEFAULT_PAIR_OUTAGES : []);
  return [withoutOutages(btc, outages), withoutOutages(eth, outages)];
}

/** The series minus the rows its outages name (a new series; rows keep their timestamps). */
function withoutOutages(c: Candles, outages: readonly (readonly [string, number, number])[]): Candles {
  const drop = new Uint8Array(c.length);
  for (const [symbol, from, bars] of outages) {
    if (symbol !== c.meta.symbol) continue;
    for (let t = from; t < from + bars && t < c.length; t++) drop[t] = 1;
  }
  let kept = 0;
  for (let t = 0; t < c.length; t++) kept += drop[t]! ^ 1;
  const out = allocCandles(c.meta, kept);
  let k = 0;
  for (let t = 0; t < c.length; t++) {
    if (drop[t] === 1) continue;
    out.timestamp[k] = c.timestamp[t]!;
    out.open[k] = c.open[t]!;
    out.high[k] = c.high[t]!;
    out.low[k] = c.low[t]!;
    out.close[k] = c.close[t]!;
    out.volume[k] = c.volume[t]!;
    k++;
  }
  return out;
}

/** Bar length of the embedded pair. */
export const PAIR_TIMEFRAME_MS = HOUR_MS;
