import { describe, expect, it } from "vitest";
import type { Candles } from "../data/candles.js";
import { sliceCandles } from "../data/candles.js";
import { Rng } from "../util/rng.js";
import { createTradingEnv, ENV_PRESET_NAMES, type EnvConfigRequest, type EnvPresetName } from "./index.js";
import { sampleAction } from "./sample-action.js";
import { syntheticCandles } from "./synthetic-market.js";

/** A copy of `c` with every row after `t` scrambled (all five columns), timestamps kept. */
function scrambleAfter(c: Candles, t: number, seed: number): Candles {
  const out = sliceCandles(c, 0);
  const rng = new Rng(seed);
  for (let r = t + 1; r < out.length; r++) {
    const f = Math.exp(rng.normal());
    out.open[r] = out.open[r]! * f;
    out.close[r] = out.close[r]! * Math.exp(rng.normal());
    out.high[r] = Math.max(out.open[r]!, out.close[r]!) * 1.01;
    out.low[r] = Math.min(out.open[r]!, out.close[r]!) * 0.99;
    out.volume[r] = out.volume[r]! * 3 * rng.uniform();
  }
  return out;
}

/** Everything the agent or a logger could see up to `cutoff`: observations, rewards, flags, infos. */
function visibleUpTo(candles: Candles, config: EnvConfigRequest, startRow: number, cutoff: number, actions: readonly number[]): unknown[] {
  const env = createTradingEnv({ candles, config });
  const r0 = env.reset({ options: { startRow } });
  const seen: unknown[] = [Array.from(r0.observation), r0.info];
  for (const a of actions) {
    const r = env.step(a);
    if (r.info.row > cutoff) break;
    seen.push(Array.from(r.observation), r.reward, r.terminated, r.truncated, r.info);
    if (r.terminated || r.truncated) break;
  }
  return seen;
}

describe("no look-ahead: rows after t never change what is seen at or before t", () => {
  const candles = syntheticCandles(400, 31);

  it.each(ENV_PRESET_NAMES)("%s", (preset: EnvPresetName) => {
    const rng = new Rng(17);
    for (const episode of [{ mode: "random_window", length: 120 }, { mode: "full" }] as const) {
      const config: EnvConfigRequest = { preset, episode };
      const probe = createTradingEnv({ candles, config });
      for (let trial = 0; trial < 6; trial++) {
        const first = probe.model.market.firstRow; // past the features' warm-up
        const startRow = episode.mode === "full" ? first : first + rng.int(candles.length - 120 - first);
        const cutoff = startRow + rng.int(110);
        const actions = Array.from({ length: 130 }, () => sampleAction(probe.actionSpace, rng));
        const before = visibleUpTo(candles, config, startRow, cutoff, actions);
        const after = visibleUpTo(scrambleAfter(candles, cutoff, trial), config, startRow, cutoff, actions);
        expect(after).toEqual(before);
        expect(before.length).toBeGreaterThan(2 + 5 * (cutoff - startRow) - 1);
      }
    }
  });

  it("is a test that can fail: scrambling row t itself does change what is seen at t", () => {
    const config: EnvConfigRequest = { preset: "seed", episode: { mode: "full" } };
    const actions = Array.from({ length: 50 }, (_, k) => k % 3);
    const before = visibleUpTo(candles, config, 0, 30, actions);
    const after = visibleUpTo(scrambleAfter(candles, 29, 1), config, 0, 30, actions);
    expect(after).not.toEqual(before);
  });
});
