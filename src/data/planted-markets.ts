import { Rng } from "../util/rng.js";
import { allocCandles, type Candles } from "./candles.js";

/**
 * Markets with a planted structure, generated in code, for the agent's learnability suite (src/jobs/learnability.ts,
 * docs/ppo.md "Learnability"): each hides one kind of structure that a simple rule or a memory can exploit, in
 * hourly candles the article's env trades as it trades real ones.
 *
 *   - "trend": the drift of the log price switches between +μ and −μ per bar, each regime lasting a geometric
 *     number of bars (mean `regimeBars`); noise σ per bar. A moving average sees the regime late; nothing else
 *     predicts the price.
 *   - "delayed_cue": a cue bar (a ±`cueJump` move on `cueVolume` × the usual volume) announces a move of the same
 *     sign that starts `delay` bars later (12–48) and lasts `moveBars` bars; between cues the price is noise. A
 *     policy must remember the cue across the delay, or find it in a return over a long enough horizon.
 *   - "volatility": calm regimes (σ_low, drift +μ_calm) alternate with turbulent ones (σ_high, drift −μ_storm);
 *     a policy that reads the volatility holds in the calm and sits out the storm.
 *
 * Volume is lognormal around 100 (the cue bars excepted), open = the previous close, high/low a small wick around
 * the body. Same seed, same candles.
 */
export const PLANTED_MARKET_KINDS = ["trend", "delayed_cue", "volatility"] as const;
export type PlantedMarketKind = (typeof PLANTED_MARKET_KINDS)[number];

export interface PlantedMarketOptions {
  readonly kind: PlantedMarketKind;
  /** Bars to generate (hourly from 2020-01-01). */
  readonly bars?: number;
  readonly startPrice?: number;
  /** Noise σ of the log return per bar (trend, delayed_cue). */
  readonly noise?: number;
  /** trend: |drift| per bar of a regime. */
  readonly drift?: number;
  /** trend and volatility: mean regime length in bars. */
  readonly regimeBars?: number;
  /** delayed_cue: bars from the cue to the start of the move (12–48 in the suite). */
  readonly delay?: number;
  /** delayed_cue: mean bars between the end of one move and the next cue. */
  readonly cueGap?: number;
  /** delayed_cue: log move of the cue bar. */
  readonly cueJump?: number;
  /** delayed_cue: volume multiple of the cue bar. */
  readonly cueVolume?: number;
  /** delayed_cue: total log move after the delay, spread evenly over `moveBars`. */
  readonly move?: number;
  readonly moveBars?: number;
  /** volatility: σ per bar in the calm and in the storm. */
  readonly calmNoise?: number;
  readonly stormNoise?: number;
  /** volatility: drift per bar in the calm (+) and in the storm (−). */
  readonly calmDrift?: number;
  readonly stormDrift?: number;
}

const HOUR = 3_600_000;

export function plantedMarket(opts: PlantedMarketOptions, seed: number): Candles {
  const bars = opts.bars ?? 8000;
  const rng = new Rng(seed);
  const logReturns = new Float64Array(bars);
  const volumeScale = new Float64Array(bars).fill(1);
  if (opts.kind === "trend") {
    const drift = opts.drift ?? 0.002;
    const sigma = opts.noise ?? 0.008;
    const stay = 1 - 1 / (opts.regimeBars ?? 200);
    let sign = rng.uniform() < 0.5 ? -1 : 1;
    for (let t = 1; t < bars; t++) {
      if (rng.uniform() > stay) sign = -sign;
      logReturns[t] = sign * drift + sigma * rng.normal();
    }
  } else if (opts.kind === "delayed_cue") {
    const sigma = opts.noise ?? 0.006;
    const delay = opts.delay ?? 24;
    const gap = opts.cueGap ?? 60;
    const jump = opts.cueJump ?? 0.015;
    const moveBars = opts.moveBars ?? 12;
    const step = (opts.move ?? 0.06) / moveBars;
    for (let t = 1; t < bars; t++) logReturns[t] = sigma * rng.normal();
    let t = 1 + Math.floor(gap * rng.uniform());
    while (t + delay + moveBars < bars) {
      const sign = rng.uniform() < 0.5 ? -1 : 1;
      logReturns[t] = logReturns[t]! + sign * jump;
      volumeScale[t] = opts.cueVolume ?? 6;
      for (let k = 0; k < moveBars; k++) logReturns[t + delay + k] = logReturns[t + delay + k]! + sign * step;
      // The next cue comes after this move, a geometric gap later.
      t += delay + moveBars + 1 + Math.floor(-gap * Math.log(1 - rng.uniform()));
    }
  } else {
    const stay = 1 - 1 / (opts.regimeBars ?? 250);
    const calm = { sigma: opts.calmNoise ?? 0.003, drift: opts.calmDrift ?? 0.0006 };
    const storm = { sigma: opts.stormNoise ?? 0.02, drift: -(opts.stormDrift ?? 0.0015) };
    let inStorm = rng.uniform() < 0.5;
    for (let t = 1; t < bars; t++) {
      if (rng.uniform() > stay) inStorm = !inStorm;
      const r = inStorm ? storm : calm;
      logReturns[t] = r.drift + r.sigma * rng.normal();
    }
  }
  const c = allocCandles({ symbol: `PLANTED-${opts.kind.toUpperCase()}/USD`, exchange: "planted", timeframe: "1h", source: `plantedMarket(${opts.kind}, seed=${seed})` }, bars);
  let close = opts.startPrice ?? 10_000;
  for (let t = 0; t < bars; t++) {
    const open = close;
    close = open * Math.exp(logReturns[t]!);
    const wick = 0.001 * Math.abs(rng.normal());
    c.timestamp[t] = Date.UTC(2020, 0, 1) + t * HOUR;
    c.open[t] = open;
    c.close[t] = close;
    c.high[t] = Math.max(open, close) * (1 + wick);
    c.low[t] = Math.min(open, close) * (1 - wick);
    c.volume[t] = 100 * volumeScale[t]! * Math.exp(0.3 * rng.normal());
  }
  return c;
}
