/**
 * Small real checkpoints for the trader's tests: a few PPO updates of the default agent on the embedded market
 * (seconds), enough for a policy whose greedy actions vary with the market, not for a good one.
 */
import { join } from "node:path";
import { train } from "../../agent/index.js";
import type { EnvPresetName } from "../../env/index.js";

/** Trains and saves a checkpoint under `dir`; returns its folder. */
export async function trainTestCheckpoint(dir: string, envPreset: EnvPresetName = "seed", seed = 3, steps = 2048): Promise<string> {
  const out = join(dir, `ck-${envPreset}-${seed}`);
  await train({ preset: "default", envPreset, data: null, trainEnd: "2021-03-01", steps, seed, out, progress: "none" }, { write: () => {} });
  return out;
}
