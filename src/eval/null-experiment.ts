/**
 * The null experiment: does the evaluation machinery find edges that are not there? Many markets with no
 * drift and no structure (the `random_walk` generator preset), several "agents" per market whose true edge
 * over holding is zero by construction, each market evaluated exactly as a report evaluates a window
 * (`evaluateWindow`: the Sharpe-difference test of the first run, the deflated information ratio of the best
 * run). The share of markets on which a report would call an edge real is the false-discovery rate of that
 * rule; it must not exceed the rule's nominal level by more than sampling noise. Results in docs/evaluation.md.
 *
 * The null is made sharp: prices are martingales (a log drift of −σ²/2 cancels the convexity of exp, so simple
 * returns have mean 0) and fees are off, so any non-anticipating policy's expected active return is exactly 0.
 * With fees every trader is worse than holding and the rates are lower still.
 */
import type { Candles } from "../data/candles.js";
import { MA_PAIRS } from "../data/trading-stats.js";
import { SYNTHETIC_MARKET_PRESETS, generateSyntheticMarket, resolveSyntheticMarketConfig, type SyntheticMarketConfigInput } from "../data/synthetic.js";
import type { EnvConfigRequest, EnvModel } from "../env/index.js";
import { throttledYield, throwIfStopped } from "../util/abort.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { backtestModel, type BacktestPolicy } from "./backtest.js";
import { directionalActions, maCrossoverPolicy } from "./baselines.js";
import { evaluateWindow, type AgentRunSpec } from "./evaluate.js";

/** A decision rule applied to every market: does it call an edge real? */
export interface DiscoveryRule {
  readonly name: string;
  /** Nominal false-discovery rate of the rule under the null. */
  readonly nominal: number;
}

/** The rules the reports apply. */
export const DISCOVERY_RULES = {
  /** Deflated information ratio of the best run against buy-and-hold ≥ 0.95: the reports' headline. */
  deflatedIr: { name: "deflated information ratio ≥ 0.95", nominal: 0.05 },
  /** Sharpe-difference test of the first run: p < 0.05 with the agent's Sharpe ratio the higher one. */
  sharpeTestBetter: { name: "Sharpe-difference p < 0.05, agent higher", nominal: 0.025 },
  /** The same test, two-sided (either direction). */
  sharpeTestTwoSided: { name: "Sharpe-difference p < 0.05, either direction", nominal: 0.05 },
  /** For contrast, what the deflation corrects: the undeflated PSR (against 0) of the best run's IR ≥ 0.95. */
  undeflatedBestIr: { name: "best run's IR, PSR against 0 ≥ 0.95 (no deflation)", nominal: 0.05 },
} as const satisfies Record<string, DiscoveryRule>;

export type DiscoveryRuleKey = keyof typeof DISCOVERY_RULES;

export interface NullExperimentConfig {
  /** Number of independent markets. */
  readonly markets: number;
  /** Hours per market (the whole market is the evaluation window). */
  readonly hours: number;
  /** Agent runs per market (trials of the deflation; the Sharpe test uses the first). */
  readonly runsPerMarket: number;
  /** "random_timing": long or flat at random, switching after random holding times (no look at prices). */
  /** "ma_rules": MA crossovers with random (fast, slow): they read prices, which hold nothing to find. */
  readonly standIn: "random_timing" | "ma_rules";
  /** Generator input of the markets (default: random_walk, made a martingale). */
  readonly market?: SyntheticMarketConfigInput;
  /** Env the runs trade in (default: the article's env with fees off). */
  readonly env?: EnvConfigRequest;
  /** Bootstrap resamples of the Sharpe-difference test. */
  readonly resamples: number;
  readonly seed: number;
}

export interface NullMarketResult {
  readonly market: number;
  /** Deflated information ratio of the best run, its undeflated PSR against 0, and the Sharpe test of run 1. */
  readonly deflatedIr: number;
  readonly psrBestIr: number;
  readonly pValue: number;
  readonly sharpeDifference: number;
  readonly discovered: Readonly<Record<DiscoveryRuleKey, boolean>>;
}

export interface RateEstimate {
  readonly rule: DiscoveryRule;
  readonly discoveries: number;
  readonly markets: number;
  readonly rate: number;
  /** Wilson 95 % interval of the rate. */
  readonly lo: number;
  readonly hi: number;
  /** nominal + z₀.₉₉ · √(nominal (1 − nominal) / markets): the most a correct rule exceeds in 99 % of experiments. */
  readonly noiseBound: number;
}

export interface NullExperimentResult {
  readonly config: NullExperimentConfig;
  readonly perMarket: readonly NullMarketResult[];
  readonly rates: Readonly<Record<DiscoveryRuleKey, RateEstimate>>;
}

/** The markets' generator input: the random-walk preset with a log drift of −σ²/2 (a martingale price). */
export function nullMarketInput(hours: number, base: SyntheticMarketConfigInput = SYNTHETIC_MARKET_PRESETS.random_walk): SyntheticMarketConfigInput {
  const cfg = resolveSyntheticMarketConfig(base);
  const drift = -(cfg.garch.hourlyVol * cfg.garch.hourlyVol) / 2;
  return {
    ...base,
    hours,
    regimes: {
      calm: { ...cfg.regimes.calm, driftPerHour: drift },
      bull: { ...cfg.regimes.bull, driftPerHour: drift },
      bear: { ...cfg.regimes.bear, driftPerHour: drift },
    },
  };
}

/** Long or flat at random, each stay geometric with a mean drawn log-uniformly in [6, 500] hours. */
export function randomTimingPolicy(model: EnvModel, seed: number): BacktestPolicy {
  const dir = directionalActions(model.config.actions);
  const rng = new Rng(seed);
  let long = false;
  let leave = 0;
  return {
    name: "random_timing",
    reset() {
      rng.setState(new Rng(seed).getState());
      leave = 1 / Math.exp(Math.log(6) + rng.uniform() * (Math.log(500) - Math.log(6)));
      long = rng.uniform() < 0.5;
    },
    act() {
      if (rng.uniform() < leave) long = !long;
      return long ? dir.long : dir.flat;
    },
  };
}

function standIns(model: EnvModel, cfg: NullExperimentConfig, market: number): AgentRunSpec[] {
  const rng = new Rng(deriveSeed(cfg.seed, 1_000_000 + market));
  return Array.from({ length: cfg.runsPerMarket }, (_, k) => {
    if (cfg.standIn === "ma_rules") {
      const [fast, slow] = MA_PAIRS[rng.int(MA_PAIRS.length)]!;
      return { policy: maCrossoverPolicy(model, { fast, slow }), seed: k };
    }
    return { policy: randomTimingPolicy(model, deriveSeed(cfg.seed, market * 1000 + k)), seed: k };
  });
}

function wilson(k: number, n: number): { lo: number; hi: number } {
  const z = 1.959963984540054;
  const p = k / n;
  const den = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** One market of the experiment: its candles (exposed so a trained agent can be run on the same markets). */
export function nullMarket(cfg: Pick<NullExperimentConfig, "hours" | "market" | "seed">, market: number): Candles {
  return generateSyntheticMarket(nullMarketInput(cfg.hours, cfg.market), deriveSeed(cfg.seed, market));
}

/** The default env of the null experiment: the article's actions and fills, fees off. */
export const NULL_ENV = { preset: "seed", commission: 0 } as const satisfies EnvConfigRequest;

/** Scores one evaluated market against every discovery rule. */
export function scoreNullMarket(market: number, ev: ReturnType<typeof evaluateWindow>): NullMarketResult {
  const d = ev.deflation;
  const t = ev.sharpeTest;
  const deflatedIr = d?.informationRatio.dsr ?? Number.NaN;
  const psrBestIr = d?.informationRatio.psrVsZero ?? Number.NaN;
  const pValue = t?.pValue ?? Number.NaN;
  const sharpeDifference = t?.difference ?? Number.NaN;
  return {
    market,
    deflatedIr,
    psrBestIr,
    pValue,
    sharpeDifference,
    discovered: {
      deflatedIr: deflatedIr >= 0.95,
      sharpeTestBetter: pValue < 0.05 && sharpeDifference > 0,
      sharpeTestTwoSided: pValue < 0.05,
      undeflatedBestIr: psrBestIr >= 0.95,
    },
  };
}

/** The rates of every rule over the scored markets. */
export function discoveryRates(perMarket: readonly NullMarketResult[]): Record<DiscoveryRuleKey, RateEstimate> {
  const n = perMarket.length;
  const out = {} as Record<DiscoveryRuleKey, RateEstimate>;
  for (const key of Object.keys(DISCOVERY_RULES) as DiscoveryRuleKey[]) {
    const rule = DISCOVERY_RULES[key];
    const k = perMarket.filter((m) => m.discovered[key]).length;
    const { lo, hi } = wilson(k, n);
    out[key] = { rule, discoveries: k, markets: n, rate: k / n, lo, hi, noiseBound: rule.nominal + 2.326347874040841 * Math.sqrt((rule.nominal * (1 - rule.nominal)) / n) };
  }
  return out;
}

/** Runs the experiment with stand-in agents (cheap: no training). */
export function runNullExperiment(cfg: NullExperimentConfig): NullExperimentResult {
  const perMarket: NullMarketResult[] = [];
  for (let m = 0; m < cfg.markets; m++) perMarket.push(nullMarketResult(cfg, m));
  return { config: cfg, perMarket, rates: discoveryRates(perMarket) };
}

/**
 * The same experiment, yielding to the event loop between markets so that a command's SIGINT/SIGTERM handler
 * runs (a synchronous loop of minutes never sees a signal); throws InterruptedError at the next market after
 * `signal` aborts. Same results as runNullExperiment.
 */
export async function runNullExperimentAsync(cfg: NullExperimentConfig, signal?: AbortSignal): Promise<NullExperimentResult> {
  const perMarket: NullMarketResult[] = [];
  const yieldNow = throttledYield();
  for (let m = 0; m < cfg.markets; m++) {
    await yieldNow();
    throwIfStopped(signal, `stopped after ${m} of ${cfg.markets} markets; nothing was written`);
    perMarket.push(nullMarketResult(cfg, m));
  }
  return { config: cfg, perMarket, rates: discoveryRates(perMarket) };
}

function nullMarketResult(cfg: NullExperimentConfig, m: number): NullMarketResult {
  const model = backtestModel(nullMarket(cfg, m), cfg.env ?? NULL_ENV);
  const ev = evaluateWindow(model, standIns(model, cfg, m), { skipPerfectForesight: true, resamples: cfg.resamples, statsSeed: m, seed: m });
  return scoreNullMarket(m, ev);
}
