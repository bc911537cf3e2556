import { describe, expect, it } from "vitest";
import { recordEpisode, randomPolicy, scoreTrajectory, scriptedPolicy } from "./episode-record.js";
import { createRewardScheme, createTradingEnv, ENV_PRESET_NAMES } from "./index.js";
import { handCandles, syntheticCandles } from "./synthetic-market.js";

describe("recordEpisode and scoreTrajectory", () => {
  const candles = syntheticCandles(900, 51);

  it.each(ENV_PRESET_NAMES)("%s: scoring a recorded trajectory with the env's own scheme gives its rewards back", (preset) => {
    const env = createTradingEnv({ candles, config: { preset, episode: { mode: "random_window", length: 200 } } });
    const rec = recordEpisode(env, randomPolicy(env), { seed: 3 });
    expect(rec.steps).toBe(200);
    expect(rec.truncated).toBe(true);
    expect(Array.from(scoreTrajectory(createRewardScheme(env.config), rec))).toEqual(Array.from(rec.reward));
  });

  it("records the portfolio column by column", () => {
    const env = createTradingEnv({ candles: handCandles([100, 110, 99, 121, 110, 88]), config: { preset: "seed", episode: { mode: "full" } } });
    const rec = recordEpisode(env, scriptedPolicy([1, 0, 2]));
    expect(rec.steps).toBe(5);
    expect(Array.from(rec.action)).toEqual([1, 0, 2, 0, 0]);
    expect(Array.from(rec.side)).toEqual([1, 0, -1, 0, 0]);
    expect(rec.holdReason).toEqual([null, "hold_action", null, "hold_action", "hold_action"]);
    expect(Array.from(rec.price)).toEqual([100, 110, 99, 121, 110, 88]);
    expect(rec.value[1]).toBeCloseTo(10_605.875, 9);
    rec.value.forEach((v, k) => expect(v).toBeCloseTo(rec.cash[k]! + rec.coins[k]! * rec.price[k]!, 9));
    expect(Array.from(rec.holdValue)).toEqual([10_100, 10_110, 10_099, 10_121, 10_110, 10_088]);
  });
});
