import { describe, expect, it } from "vitest";
import { checkEnv, checkVecEnv } from "./check-env.js";
import { createTradingEnv, createVecEnv, ENV_PRESET_NAMES, type TradingEnv } from "./index.js";
import { syntheticCandles } from "./synthetic-market.js";

const market = syntheticCandles(1_500, 21);

describe("every preset passes the env checker", () => {
  it.each(ENV_PRESET_NAMES)("%s (training windows)", (preset) => {
    const result = checkEnv(() => createTradingEnv({ candles: market, config: preset }));
    expect(result.problems).toEqual([]);
    expect(result.steps).toBeGreaterThanOrEqual(3 * 400);
  });

  it.each(ENV_PRESET_NAMES)("%s (full series)", (preset) => {
    const candles = syntheticCandles(400, 22);
    const result = checkEnv(() => createTradingEnv({ candles, config: { preset, episode: { mode: "full" } } }), { episodes: 2 });
    expect(result.problems).toEqual([]);
  });

  it.each(ENV_PRESET_NAMES)("%s (vec env)", (preset) => {
    const result = checkVecEnv(() => createVecEnv({ candles: market, config: preset, numEnvs: 5 }), { vecSteps: 700 });
    expect(result.problems).toEqual([]);
  });
});

/** A real env with one thing broken, to show the checker can fail. */
function broken(patch: (env: TradingEnv) => Partial<Pick<TradingEnv, "reset" | "step">>): () => TradingEnv {
  return () => {
    const env = createTradingEnv({ candles: market, config: "seed" });
    const p = patch(env);
    return {
      config: env.config,
      candles: env.candles,
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      model: env.model,
      reset: p.reset ?? ((args) => env.reset(args)),
      step: p.step ?? ((a) => env.step(a)),
    };
  };
}

describe("the checker catches broken envs", () => {
  const checks = (factory: () => TradingEnv): string[] => checkEnv(factory, { episodes: 1 }).problems.map((p) => p.check);

  it("an info whose value does not add up", () => {
    const f = broken((env) => ({
      step: (a) => {
        const r = env.step(a);
        return { ...r, info: { ...r.info, value: (r.info.value + 1) as typeof r.info.value } };
      },
    }));
    expect(checks(f)).toContain("info_value");
  });

  it("a reset that ignores the seed", () => {
    let k = 0;
    const f = broken((env) => ({ reset: () => env.reset({ seed: k++ }) }));
    expect(checks(f)).toContain("reset_determinism");
  });

  it("observations outside the space, and steps after the end that do not throw", () => {
    const f = broken((env) => ({
      step: (a) => {
        let r;
        try {
          r = env.step(a);
        } catch {
          r = env.reset() && env.step(a);
        }
        const observation = r.observation.slice();
        observation[5] = -1; // cash/10000 below 0
        return { ...r, observation };
      },
    }));
    expect(checks(f)).toEqual(expect.arrayContaining(["observation_in_space", "step_after_end"]));
  });

  it("a fee that is not the commission on the notional", () => {
    const f = broken((env) => ({
      step: (a) => {
        const r = env.step(a);
        return r.info.executed ? { ...r, info: { ...r.info, fee: (r.info.fee * 2) as typeof r.info.fee } } : r;
      },
    }));
    expect(checks(f)).toEqual(expect.arrayContaining(["info_trade"]));
  });
});
