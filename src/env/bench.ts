import { performance } from "node:perf_hooks";
import type { Candles } from "../data/candles.js";
import { Rng } from "../util/rng.js";
import type { EnvConfigRequest } from "./presets.js";
import { sampleActions } from "./sample-action.js";
import { syntheticCandles } from "./synthetic-market.js";
import { createTradingEnv } from "./trading-env.js";
import { createVecEnv } from "./vec-trading-env.js";

export interface EnvBenchOptions {
  /** The market; default: the embedded market if src/data/embedded.ts exists, else a seeded synthetic one. */
  readonly candles?: Candles;
  /** Env config (default: the `seed` preset). */
  readonly config?: EnvConfigRequest;
  /** Envs stepped together in the vectorised bench. */
  readonly numEnvs?: number;
  /** Timed runs per figure; the median is reported. */
  readonly runs?: number;
  /** Approximate seconds per timed run. */
  readonly secondsPerRun?: number;
  readonly seed?: number;
}

export interface EnvBenchResult {
  /** Median env steps per second of the vec env (numEnvs × vec steps / s). */
  readonly env_steps_per_s_vec: number;
  /** Median steps per second of the single env (resets included). */
  readonly env_steps_per_s_single: number;
  /** Every run's figure, in order. */
  readonly env_vec_runs: readonly number[];
  readonly env_single_runs: readonly number[];
  readonly env_num_envs: number;
  readonly env_market: string;
  readonly env_market_rows: number;
}

/** Pre-generated random action blocks (one Int32Array/Float32Array per vec step), cycled through. */
const ACTION_BLOCKS = 1024;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Loads `loadEmbeddedMarket()` from src/data/embedded.ts when a sibling module provides it. */
export async function loadBenchMarket(): Promise<Candles> {
  const specifier = "../data/embedded.js";
  try {
    const mod = (await import(specifier)) as { loadEmbeddedMarket?: () => Candles | Promise<Candles> };
    if (typeof mod.loadEmbeddedMarket === "function") {
      const c = await mod.loadEmbeddedMarket();
      if (c.close instanceof Float64Array && c.length > 1_000) return c;
    }
  } catch {
    // No embedded market yet: fall through to the synthetic one.
  }
  return syntheticCandles(20_000, 7);
}

/**
 * Env-only throughput: random actions, no agent. The vec figure is what PPO rollouts pay per env step;
 * the single figure includes the per-step observation and info objects the single env hands out.
 */
export async function benchEnv(options: EnvBenchOptions = {}): Promise<EnvBenchResult> {
  const candles = options.candles ?? (await loadBenchMarket());
  const config = options.config ?? "seed";
  const numEnvs = options.numEnvs ?? 64;
  const runs = options.runs ?? 5;
  const seconds = options.secondsPerRun ?? 0.5;
  const rng = new Rng(options.seed ?? 1);

  const vec = createVecEnv({ candles, config, numEnvs });
  const blocks = Array.from({ length: ACTION_BLOCKS }, () => sampleActions(vec.actionSpace, rng, numEnvs));
  vec.reset(options.seed ?? 1);
  const vecRun = (): number => {
    let steps = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < seconds * 1000) {
      for (let k = 0; k < ACTION_BLOCKS; k++) vec.step(blocks[k]!);
      steps += ACTION_BLOCKS * numEnvs;
      elapsed = performance.now() - t0;
    }
    return steps / (elapsed / 1000);
  };

  const single = createTradingEnv({ candles, config });
  const flat = sampleActions(single.actionSpace, rng, ACTION_BLOCKS * 16);
  single.reset({ seed: options.seed ?? 1 });
  const singleRun = (): number => {
    let steps = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < seconds * 1000) {
      for (let k = 0; k < flat.length; k++) {
        const r = single.step(flat[k]!);
        if (r.terminated || r.truncated) single.reset();
      }
      steps += flat.length;
      elapsed = performance.now() - t0;
    }
    return steps / (elapsed / 1000);
  };

  // One untimed run each lets the JIT settle before the timed ones.
  vecRun();
  singleRun();
  const vecRuns: number[] = [];
  const singleRuns: number[] = [];
  for (let r = 0; r < runs; r++) {
    vecRuns.push(vecRun());
    singleRuns.push(singleRun());
  }
  return {
    env_steps_per_s_vec: Math.round(median(vecRuns)),
    env_steps_per_s_single: Math.round(median(singleRuns)),
    env_vec_runs: vecRuns.map(Math.round),
    env_single_runs: singleRuns.map(Math.round),
    env_num_envs: numEnvs,
    env_market: candles.meta.source ?? `${candles.meta.exchange} ${candles.meta.symbol}`,
    env_market_rows: candles.length,
  };
}
