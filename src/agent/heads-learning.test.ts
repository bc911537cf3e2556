import { beforeAll, describe, expect, it } from "vitest";
import type { VecEnv } from "../env/vec-env.js";
import { Rng } from "../util/rng.js";
import { selectBackend } from "./backend.js";
import { resolveAgentConfig, type AgentConfigInput } from "./config.js";
import { createEngine } from "./create-engine.js";
import { initParameters } from "./init.js";
import { networkSpec } from "./network-spec.js";
import { createPolicy, type Policy } from "./policy.js";
import { headForSpace } from "./policy-head.js";
import { runPpo } from "./ppo.js";
import { CueMemoryEnv, PatternMarketEnv, type ToyActions } from "./toy-envs.js";

/**
 * The Gaussian (continuous exposure) and hybrid (side + size) heads learn the tasks the categorical head learns
 * in ppo.test.ts: the exploitable pattern market and the cue-memory task, with tiny budgets.
 */
beforeAll(async () => {
  await selectBackend("auto");
});

async function trained(env: VecEnv, input: AgentConfigInput, steps: number, seed: number): Promise<Policy<null>> {
  const config = resolveAgentConfig({ ...input, ppo: { rewardUnit: "env", ...input.ppo } }) // toy envs report no start values;
  const spec = networkSpec(env.observationSize, headForSpace(env.actionSpace), config.network);
  const engine = await createEngine("fused", spec, initParameters(spec, config.network.init, new Rng(seed)), { beta1: 0.9, beta2: 0.999, epsilon: config.ppo.adamEpsilon });
  const result = await runPpo({ env, engine, config, totalSteps: steps, seed, envSeed: seed + 1000 });
  const norm = result.state.observationNorm ? { stats: result.state.observationNorm, clip: config.ppo.observationClip } : null;
  return createPolicy(engine, norm, null);
}

function patternShare(policy: Policy<null>, actions: ToyActions): number {
  const env = new PatternMarketEnv({ numEnvs: 1, episodeLength: 3000, actions });
  let obs = env.reset(4242);
  policy.reset();
  const a = new Float32Array(1);
  let profit = 0;
  for (let t = 0; t < 3000; t++) {
    a[0] = policy.act(obs).action;
    const r = env.step(a);
    profit += r.rewards[0]!;
    if (t === 2999) return profit / env.perfectForesightProfit(0);
    obs = r.observations;
  }
  return Number.NaN;
}

function cueScore(policy: Policy<null>, actions: ToyActions, delay: number): number {
  const env = new CueMemoryEnv({ numEnvs: 1, delay, actions });
  let obs = env.reset(77);
  policy.reset();
  const a = new Float32Array(1);
  let correct = 0;
  let episodes = 0;
  while (episodes < 200) {
    a[0] = policy.act(obs).action;
    const r = env.step(a);
    if (r.terminated[0]) {
      episodes++;
      if (r.rewards[0]! > 0) correct++;
      policy.reset();
    }
    obs = r.observations;
  }
  return correct / episodes;
}

describe.each(["exposure", "hybrid"] as const)("%s head", (actions) => {
  it("captures ≥ 50% of the perfect-foresight profit on the pattern market (80k steps)", async () => {
    const env = new PatternMarketEnv({ numEnvs: 8, episodeLength: 128, actions });
    const policy = await trained(
      env,
      { preset: "default", network: { denseUnits: 16, lstmUnits: 16 }, ppo: { rewardScale: 100, rolloutSteps: 32, sequenceLength: 16, numMinibatches: 2, updateEpochs: 4, entropyCoef: 0 } },
      80_000,
      1,
    );
    expect(patternShare(policy, actions)).toBeGreaterThan(0.5);
  }, 240_000);

  it("answers a cue-memory task from its LSTM state (> 90% right, 30k steps)", async () => {
    const delay = 4;
    const env = new CueMemoryEnv({ numEnvs: 8, delay, actions });
    const policy = await trained(
      env,
      {
        preset: "default",
        network: { denseUnits: 16, lstmUnits: 16 },
        ppo: { rolloutSteps: 6 * 8, sequenceLength: 12, numMinibatches: 4, updateEpochs: 4, rewardScale: 1, observationNorm: "none", gamma: 0.99, entropyCoef: 0 },
      },
      30_000,
      1,
    );
    expect(cueScore(policy, actions, delay)).toBeGreaterThan(0.9);
  }, 240_000);
});
