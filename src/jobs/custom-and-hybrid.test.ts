import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadPolicy, train, type TrainConfigInput } from "../agent/index.js";
import type { Candles } from "../data/candles.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { decodeSideSize, type HybridSpace, type RewardInput, type RewardScheme } from "../env/index.js";
import type { CustomFeature } from "../features/custom.js";
import { loadAgentPolicy } from "../eval/agent-policy.js";
import { backtestModel, runBacktest } from "../eval/backtest.js";
import { trainSeeds } from "./multi-seed.js";

/**
 * train() and the multi-seed API with a reward scheme and features of the user's own (recorded in the
 * manifest, needed again to backtest), and the hybrid and continuous action spaces end to end: train,
 * checkpoint, load, act with a decoded side and size, backtest.
 */
const root = mkdtempSync(join(tmpdir(), "custom-hybrid-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TINY: TrainConfigInput = {
  preset: "default",
  agent: { network: { denseUnits: 8, lstmUnits: 6 }, ppo: { numEnvs: 2, rolloutSteps: 16, sequenceLength: 8, numMinibatches: 2, updateEpochs: 1 } },
  trainEnd: "2021-06-01",
  steps: 256,
  seed: 2,
  progress: "none",
};

/** A reward with memory: the log return minus an exponential moving average of past log returns (memory: [ema]). */
class ExcessOverEma implements RewardScheme {
  readonly name = "excess_over_ema";
  readonly stateSize = 1;
  start(memory: Float64Array, offset: number): void {
    memory[offset] = 0;
  }
  reward(s: RewardInput, memory: Float64Array, offset: number): number {
    const r = Math.log(s.value / s.prevValue);
    const ema = memory[offset]!;
    memory[offset] = 0.9 * ema + 0.1 * r;
    return r - ema;
  }
}

/** Sign of the close's 3-bar change, a causal feature of one column. */
const momentumSign: CustomFeature = {
  name: "momentum_sign_3",
  columns: ["mom_sign_3"],
  compute(c: Candles) {
    const out = new Float64Array(c.length);
    for (let t = 3; t < c.length; t++) out[t] = Math.sign(c.close[t]! - c.close[t - 3]!);
    return [out];
  },
};

describe("train() with a custom reward scheme and custom features", () => {
  it("trains with finite rewards, records both in the manifest, and the backtest needs the features again", async () => {
    const out = join(root, "custom");
    const r = await train({ ...TINY, reward: new ExcessOverEma(), features: [momentumSign], out }, { write: () => {} });
    expect(r.metrics.every((m) => Number.isFinite(m.policy_loss) && Number.isFinite(m.value_loss))).toBe(true);
    const rewards = r.metrics.map((m) => m.episode_reward_mean).filter((x) => x !== null);
    expect(rewards.every((x) => Number.isFinite(x))).toBe(true);
    const m = loadCheckpoint(out).manifest;
    expect(m.custom.reward).toEqual({ name: "excess_over_ema", stateSize: 1 });
    expect(m.custom.features).toEqual([{ name: "momentum_sign_3", columns: ["mom_sign_3"] }]);
    expect(m.observation.labels).toContain("mom_sign_3");
    await expect(loadAgentPolicy(out)).rejects.toThrow(/checkpoint_mismatch at .*custom\.features/);
    const loaded = await loadAgentPolicy(out, { features: [momentumSign] });
    const market = loadEmbeddedMarket();
    const model = backtestModel(market, loaded.env, { start: "2021-06-01", end: "2021-07-01" }, loaded.featuresFor(market) ?? undefined);
    loaded.checkCompatible(model);
    expect(runBacktest(model, loaded.makePolicy("greedy")).steps).toBeGreaterThan(600);
  });

  it("refuses a feature that reads the future, naming it", async () => {
    const peek: CustomFeature = {
      name: "peek",
      columns: ["next_close"],
      compute: (c) => [Float64Array.from(c.close, (_, t) => (t + 1 < c.length ? c.close[t + 1]! / c.close[t]! : 1))],
    };
    await expect(train({ ...TINY, features: [peek] }, { write: () => {} })).rejects.toThrow(/invalid_config at features\.next_close\[\d+\].*look_ahead/);
  });

  it("trainSeeds takes them too", async () => {
    const r = await trainSeeds({ config: { ...TINY, reward: new ExcessOverEma(), features: [momentumSign], out: join(root, "seeds") }, seeds: 2, resamples: 50 });
    expect(r.checkpoints).toHaveLength(2);
    expect(loadCheckpoint(r.checkpoints[1]!).manifest.custom.reward?.name).toBe("excess_over_ema");
    expect(r.summary).toContain("in-sample");
  });
});

describe("hybrid and continuous action spaces end to end", () => {
  it("the hybrid preset trains, checkpoints, and the loaded policy acts with a decoded side and size", async () => {
    const out = join(root, "hybrid");
    const r = await train({ ...TINY, preset: "hybrid", out }, { write: () => {} });
    expect(r.env.actions.kind).toBe("side_and_size");
    const m = loadCheckpoint(out).manifest;
    expect(m.network.head.kind).toBe("hybrid");
    expect(m.actions.labels).toEqual(["hold", "buy", "sell"]);
    const policy = await loadPolicy(out);
    const obs = new Array<number>(policy.observationSize).fill(0.1);
    const d = policy.act(obs);
    const again = r.policy.act(obs);
    expect(d).toEqual(again);
    expect(d.side).not.toBeNull();
    expect(d.probabilities).toHaveLength(3);
    const space = { sides: ["hold", "buy", "sell"], sideSigns: [0, 1, -1] } as unknown as HybridSpace;
    expect(decodeSideSize(space, d.action).side).toBe(d.action === 0 ? 0 : d.side);
    // The trader's loop: a per-tick step with a carried LSTM state that can be saved and restored.
    const state = policy.getState();
    const next = policy.act(obs, { mode: "sample", rng: new (await import("../util/rng.js")).Rng(3) });
    expect(Math.abs(next.action)).toBeLessThanOrEqual(1);
    policy.setState(state);
    const loaded = await loadAgentPolicy(out);
    const market = loadEmbeddedMarket();
    const model = backtestModel(market, loaded.env, { start: "2021-06-01", end: "2021-07-01" });
    loaded.checkCompatible(model);
    const trace = runBacktest(model, loaded.makePolicy("sample"), { seed: 4 });
    expect(trace.steps).toBeGreaterThan(600);
    expect(trace.action.every((a) => a >= -1 && a <= 1)).toBe(true);
  });

  it("the continuous env preset (target exposure) trains with the Gaussian head (it was refused before)", async () => {
    const r = await train({ ...TINY, envPreset: "continuous" }, { write: () => {} });
    expect(r.manifest.network.head).toEqual({ kind: "gaussian", low: 0, high: 1 });
    const d = r.policy.act(new Array<number>(r.policy.observationSize).fill(0));
    expect(d.side).toBeNull();
    expect(d.size).toBe(d.action);
    expect(d.action).toBeGreaterThan(0);
    expect(d.action).toBeLessThan(1);
  });
});
