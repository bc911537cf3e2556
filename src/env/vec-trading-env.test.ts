import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Candles } from "../data/candles.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { EnvError } from "./errors.js";
import { createTradingEnv, createVecEnv, ENV_PRESET_NAMES, type EnvConfigRequest } from "./index.js";
import { sampleActions } from "./sample-action.js";
import { syntheticCandles } from "./synthetic-market.js";

/** A market falling 2% an hour: random exposures are ruined (value < 10% of the start) within an episode. */
function fallingMarket(rows: number): Candles {
  const c = syntheticCandles(rows, 5);
  for (let t = 0; t < rows; t++) {
    const p = 10_000 * 0.98 ** t;
    c.open[t] = t === 0 ? p : c.close[t - 1]!;
    c.close[t] = p;
    c.high[t] = Math.max(c.open[t]!, p) * 1.001;
    c.low[t] = Math.min(c.open[t]!, p) * 0.999;
  }
  return c;
}

interface Counts {
  truncations: number;
  terminations: number;
}

/**
 * Steps a vec env of `numEnvs` and `numEnvs` single envs seeded with deriveSeed(seed, i) on the same random
 * actions, resetting a single env whenever its episode ends, and demands identical numbers bit for bit.
 */
function compareWithSingles(candles: Candles, config: EnvConfigRequest, numEnvs: number, steps: number, seed: number): Counts {
  const vec = createVecEnv({ candles, config, numEnvs });
  const singles = Array.from({ length: numEnvs }, () => createTradingEnv({ candles, config }));
  const size = vec.observationSize;
  const obs = vec.reset(seed);
  const singleStarts = singles.map((env, i) => env.reset({ seed: deriveSeed(seed, i) }));
  singleStarts.forEach((r, i) => expect(obs.subarray(i * size, (i + 1) * size)).toEqual(r.observation));
  // The start value PPO reads for rewards per start value: the single env's, episode by episode.
  expect(Array.from(vec.episodeStartValues)).toEqual(singleStarts.map((r) => r.info.startValue));
  const returns = new Float64Array(numEnvs);
  const rng = new Rng(seed + 1);
  const counts: Counts = { truncations: 0, terminations: 0 };
  for (let k = 0; k < steps; k++) {
    const actions = sampleActions(vec.actionSpace, rng, numEnvs);
    const r = vec.step(actions);
    for (let i = 0; i < numEnvs; i++) {
      const s = singles[i]!.step(actions[i]!);
      returns[i]! += s.reward;
      const where = `step ${k} env ${i}`;
      expect([where, r.rewards[i], r.terminated[i], r.truncated[i]]).toEqual([where, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0]);
      const row = (buf: Float32Array): Float32Array => buf.subarray(i * size, (i + 1) * size);
      if (s.terminated || s.truncated) {
        if (s.terminated) counts.terminations++;
        else counts.truncations++;
        expect(row(r.finalObservations)).toEqual(s.observation);
        const f = r.finishedEpisodes;
        expect([f.length[i], f.returnSum[i], f.profit[i], f.totalReturn[i]]).toEqual([
          s.info.step,
          returns[i],
          s.info.value - s.info.holdValue,
          s.info.value / s.info.startValue - 1,
        ]);
        returns[i] = 0;
        const next = singles[i]!.reset();
        expect(row(r.observations)).toEqual(next.observation);
        expect(vec.episodeStartValues[i]).toBe(next.info.startValue);
      } else {
        expect(row(r.observations)).toEqual(s.observation);
        expect(vec.episodeStartValues[i]).toBe(s.info.startValue);
      }
    }
  }
  return counts;
}

describe("vec env = N single envs, bit for bit", () => {
  const market = syntheticCandles(700, 11);

  it.each(ENV_PRESET_NAMES)("preset %s with short episodes (many auto-resets)", (preset) => {
    const counts = compareWithSingles(market, { preset, episode: { mode: "random_window", length: 37 } }, 6, 300, 99);
    expect(counts.truncations).toBeGreaterThan(6 * 6);
  });

  it("seed preset as configured (500-step windows)", () => {
    const counts = compareWithSingles(market, "seed", 4, 1_100, 3);
    expect(counts.truncations).toBeGreaterThanOrEqual(8);
  });

  it("full-series episodes", () => {
    compareWithSingles(syntheticCandles(120, 4), { preset: "exposure", episode: { mode: "full" } }, 3, 300, 5);
  });

  it("terminations (ruin) on a falling market", () => {
    const counts = compareWithSingles(fallingMarket(1_000), { preset: "exposure", episode: { mode: "random_window", length: 300 } }, 8, 800, 8);
    expect(counts.terminations).toBeGreaterThan(5);
  });
});

describe("vec env contract", () => {
  const market = syntheticCandles(700, 12);

  it("throws named errors before reset and on a wrong number of actions", () => {
    const vec = createVecEnv({ candles: market, config: "seed", numEnvs: 4 });
    expect(() => vec.step(new Int32Array(4))).toThrow(EnvError);
    vec.reset(1);
    expect(() => vec.step(new Int32Array(3))).toThrow(/invalid_action/);
    expect(() => createVecEnv({ candles: market, config: "seed", numEnvs: 0 })).toThrow(/invalid_config/);
  });

  it("reuses its buffers (the caller copies what it keeps)", () => {
    const vec = createVecEnv({ candles: market, config: "seed", numEnvs: 4 });
    const obs = vec.reset(1);
    const a = vec.step(new Int32Array(4));
    const b = vec.step(new Int32Array(4));
    expect(a).toBe(b);
    expect(a.observations).toBe(obs);
  });

  it("describes its spaces", () => {
    const vec = createVecEnv({ candles: market, config: "continuous", numEnvs: 2 });
    expect(vec.actionSpace).toMatchObject({ kind: "box", shape: [1] });
    expect(vec.observationSpace.shape).toEqual([vec.observationSize]);
    const { window, portfolio } = vec.config.observation;
    expect(vec.observationSize).toBe(window * vec.model.market.featureCols + portfolio.length);
  });
});

describe("vec env allocates nothing per step", () => {
  // A fresh process per preset: a training process steps one config, so its call sites stay monomorphic.
  it.each(ENV_PRESET_NAMES)("%s: no scavenge over 2M env steps", (preset) => {
    const probe = fileURLToPath(new URL("./testdata/no-alloc-probe.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", probe, preset], { encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").pop()!) as { envSteps: number; gcs: number };
    expect(result).toEqual({ preset, envSteps: 2_000_000, gcs: 0 });
  });
});
