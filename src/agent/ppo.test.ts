import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { VecEnv, VecStepResult } from "../env/vec-env.js";
import { Rng } from "../util/rng.js";
import { selectBackend } from "./backend.js";
import { resolveAgentConfig, type AgentConfig, type AgentConfigInput } from "./config.js";
import { createEngine } from "./create-engine.js";
import type { Engine, EngineKind, LossCoefficients, LossStats, OptimizerState } from "./engine.js";
import { FusedEngine } from "./fused-engine.js";
import { initParameters } from "./init.js";
import { jsonLine, type UpdateMetrics } from "./metrics.js";
import { networkSpec } from "./network-spec.js";
import { createPolicy, type Policy } from "./policy.js";
import { runPpo } from "./ppo.js";
import { headForSpace } from "./policy-head.js";
import type { RolloutBuffer } from "./rollout-buffer.js";
import { CueMemoryEnv, PatternMarketEnv } from "./toy-envs.js";

beforeAll(async () => {
  await selectBackend("auto");
});

async function setup(env: VecEnv, input: AgentConfigInput, kind: EngineKind, seed: number): Promise<{ config: AgentConfig; engine: Engine }> {
  const config = resolveAgentConfig({ ...input, ppo: { rewardUnit: "env", ...input.ppo } }) // toy envs report no start values;
  const spec = networkSpec(env.observationSize, headForSpace(env.actionSpace), config.network);
  const adam = { beta1: config.ppo.adamBeta1, beta2: config.ppo.adamBeta2, epsilon: config.ppo.adamEpsilon };
  const engine = await createEngine(kind, spec, initParameters(spec, config.network.init, new Rng(seed)), adam);
  return { config, engine };
}

async function train(env: VecEnv, config: AgentConfig, engine: Engine, steps: number, seed: number): Promise<{ policy: Policy<null>; metrics: UpdateMetrics[] }> {
  const metrics: UpdateMetrics[] = [];
  const result = await runPpo({ env, engine, config, totalSteps: steps, seed, envSeed: seed + 1000, onUpdate: (m) => void metrics.push(m) });
  const norm = result.state.observationNorm ? { stats: result.state.observationNorm, clip: config.ppo.observationClip } : null;
  return { policy: createPolicy(engine, norm, null), metrics };
}

/** Wraps an engine and lets a test look at every call. */
class SpyEngine implements Engine {
  readonly kind: EngineKind;
  readonly backend: string;
  constructor(
    readonly inner: Engine,
    readonly hooks: {
      step?: (state: Float64Array, rows: number, record?: { buf: RolloutBuffer; t: number }) => void;
      evaluate?: (buf: RolloutBuffer, source: "observations" | "next", values: Float64Array) => void;
      loss?: (buf: RolloutBuffer, seqs: ArrayLike<number>, stats: LossStats) => void;
    },
  ) {
    this.kind = inner.kind;
    this.backend = inner.backend;
  }
  get spec() {
    return this.inner.spec;
  }
  getParameters(): Float64Array {
    return this.inner.getParameters();
  }
  setParameters(p: ArrayLike<number>): void {
    this.inner.setParameters(p);
  }
  getOptimizerState(): OptimizerState {
    return this.inner.getOptimizerState();
  }
  setOptimizerState(s: OptimizerState): void {
    this.inner.setOptimizerState(s);
  }
  getGradients(): Float64Array {
    return this.inner.getGradients();
  }
  step(o: Float32Array, rows: number, state: Float64Array, lp: Float64Array, v: Float64Array, record?: { readonly buf: RolloutBuffer; readonly t: number }): void {
    this.hooks.step?.(state, rows, record);
    this.inner.step(o, rows, state, lp, v, record);
  }
  valueOf(o: Float32Array, row: number, state: Float64Array, stateRow: number): number {
    return this.inner.valueOf(o, row, state, stateRow);
  }
  evaluate(buf: RolloutBuffer, seqs: ArrayLike<number>, source: "observations" | "next", values: Float64Array, lp?: Float64Array): void {
    this.inner.evaluate(buf, seqs, source, values, lp);
    this.hooks.evaluate?.(buf, source, values);
  }
  lossAndGradients(buf: RolloutBuffer, seqs: ArrayLike<number>, coefs: LossCoefficients): LossStats {
    const stats = this.inner.lossAndGradients(buf, seqs, coefs);
    this.hooks.loss?.(buf, seqs, stats);
    return stats;
  }
  applyGradients(lr: number, maxGradNorm: number | null): number {
    return this.inner.applyGradients(lr, maxGradNorm);
  }
  dispose(): void {
    this.inner.dispose();
  }
}

describe("recurrent state", () => {
  it("is zero at every episode start, carried otherwise, and the replay reproduces the rollout exactly (ratio = 1)", async () => {
    const env = new CueMemoryEnv({ numEnvs: 2, delay: 3 });
    const { config, engine } = await setup(env, { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 20, sequenceLength: 10, numMinibatches: 2 } }, "fused", 1);
    let resets = 0;
    let carried = 0;
    let firstLossChecked = false;
    const spy = new SpyEngine(engine, {
      step: (state, rows, record) => {
        if (!record) return;
        for (let i = 0; i < rows; i++) {
          const row = Array.from(state.subarray(i * engine.spec.stateSize, (i + 1) * engine.spec.stateSize));
          const k = i * record.buf.sizes.rolloutSteps + record.t;
          if (record.buf.episodeStarts[k]) {
            expect(row.every((x) => x === 0)).toBe(true);
            resets++;
          } else {
            expect(row.some((x) => x !== 0)).toBe(true);
            carried++;
          }
        }
      },
      loss: (buf, _seqs, stats) => {
        if (firstLossChecked) return;
        firstLossChecked = true;
        // The first minibatch of the first epoch runs at the rollout's parameters (no gradient step applied yet).
        expect(stats.approxKl).toBe(0);
        expect(stats.clipFraction).toBe(0);
        // An engine that never saw the rollout replays every sequence from its stored initial state: same bits.
        const all = Array.from({ length: buf.sizes.numSequences }, (_, s) => s);
        const values = new Float64Array(buf.actions.length);
        const logProbs = new Float64Array(buf.actions.length);
        const fresh = new FusedEngine(engine.spec, engine.getParameters(), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
        fresh.evaluate(buf, all, "observations", values, logProbs);
        expect(Array.from(logProbs)).toEqual(Array.from(buf.logProbs));
        expect(Array.from(values)).toEqual(Array.from(buf.values));
      },
    });
    await runPpo({ env, engine: spy, config, totalSteps: 20 * 2 * 3, seed: 3, envSeed: 4 });
    expect(resets).toBeGreaterThan(4);
    expect(carried).toBeGreaterThan(20);
    expect(firstLossChecked).toBe(true);
  });

  it("article mode: the first epoch's replayed values equal the rollout's values exactly", async () => {
    const env = new PatternMarketEnv({ numEnvs: 1, episodeLength: 50 });
    const { config, engine } = await setup(env, { preset: "seed", ppo: { rolloutSteps: 50 } }, "fused", 2);
    let checked = 0;
    const spy = new SpyEngine(engine, {
      evaluate: (buf, source, values) => {
        if (source !== "observations" || checked > 0) return;
        expect(Array.from(values)).toEqual(Array.from(buf.values));
        checked++;
      },
    });
    await runPpo({ env, engine: spy, config, totalSteps: 100, seed: 1, envSeed: 2 });
    expect(checked).toBe(1);
  });

  it("tfjs engine: replayed log-probabilities match the rollout's to float32 precision", async () => {
    const env = new CueMemoryEnv({ numEnvs: 2, delay: 2 });
    const { config, engine } = await setup(env, { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, numMinibatches: 1, updateEpochs: 1 } }, "tfjs", 1);
    let checked = false;
    const spy = new SpyEngine(engine, {
      loss: (_buf, _seqs, stats) => {
        if (checked) return;
        checked = true;
        expect(Math.abs(stats.approxKl)).toBeLessThan(1e-6);
        expect(stats.clipFraction).toBe(0);
      },
    });
    await runPpo({ env, engine: spy, config, totalSteps: 16, seed: 1, envSeed: 2 });
    expect(checked).toBe(true);
    engine.dispose();
  });
});

/**
 * A toy env that reports a start value for each episode (a new one per env and episode), and optionally pays
 * its rewards already × scale ÷ that start value: the reference for PPO's rewardUnit "start_value".
 */
class StartValueEnv implements VecEnv {
  readonly episodeStartValues: Float64Array;
  private next = 1.5;
  constructor(
    private readonly inner: VecEnv,
    private readonly payPerStartValue: number | null,
  ) {
    this.episodeStartValues = new Float64Array(inner.numEnvs);
  }
  get numEnvs(): number {
    return this.inner.numEnvs;
  }
  get observationSpace(): VecEnv["observationSpace"] {
    return this.inner.observationSpace;
  }
  get actionSpace(): VecEnv["actionSpace"] {
    return this.inner.actionSpace;
  }
  get observationSize(): number {
    return this.inner.observationSize;
  }
  private startValue(): number {
    this.next = (this.next * 1.7) % 9 + 0.5;
    return this.next;
  }
  reset(seed?: number): Float32Array {
    const obs = this.inner.reset(seed);
    for (let i = 0; i < this.numEnvs; i++) this.episodeStartValues[i] = this.startValue();
    return obs;
  }
  step(actions: Int32Array | Float32Array): VecStepResult {
    const r = this.inner.step(actions);
    for (let i = 0; i < this.numEnvs; i++) {
      if (this.payPerStartValue !== null) r.rewards[i] = r.rewards[i]! * (this.payPerStartValue / this.episodeStartValues[i]!);
      if (r.terminated[i] === 1 || r.truncated[i] === 1) this.episodeStartValues[i] = this.startValue();
    }
    return r;
  }
}

describe("rewardUnit", () => {
  const trainedParameters = async (env: VecEnv, ppo: AgentConfigInput["ppo"]): Promise<Float64Array> => {
    const { config, engine } = await setup(env, { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, numMinibatches: 1, updateEpochs: 2, ...ppo } }, "fused", 3);
    await runPpo({ env, engine, config, totalSteps: 96, seed: 4, envSeed: 5 });
    return engine.getParameters();
  };

  it('"start_value" pays each episode\'s rewards × rewardScale ÷ that episode\'s start value (the env paying them so is bit-identical)', async () => {
    const perStart = await trainedParameters(new StartValueEnv(new CueMemoryEnv({ numEnvs: 2, delay: 1 }), null), { rewardUnit: "start_value", rewardScale: 7 });
    const reference = await trainedParameters(new StartValueEnv(new CueMemoryEnv({ numEnvs: 2, delay: 1 }), 7), { rewardUnit: "env", rewardScale: 1 });
    const plain = await trainedParameters(new StartValueEnv(new CueMemoryEnv({ numEnvs: 2, delay: 1 }), null), { rewardUnit: "env", rewardScale: 7 });
    expect(Array.from(perStart)).toEqual(Array.from(reference));
    expect(Array.from(plain)).not.toEqual(Array.from(reference));
  });

  it('"start_value" on an env without start values is refused, naming the field', async () => {
    const env = new CueMemoryEnv({ numEnvs: 2, delay: 1 });
    const { config, engine } = await setup(env, { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, numMinibatches: 1, rewardUnit: "start_value" } }, "fused", 3);
    await expect(runPpo({ env, engine, config, totalSteps: 16, seed: 4, envSeed: 5 })).rejects.toMatchObject({ code: "invalid_config", field: "ppo.rewardUnit" });
  });
});

describe("determinism and bookkeeping", () => {
  it("same seed → byte-identical metrics lines (fused and tfjs engines; the simd engine with an MLP)", async () => {
    for (const kind of ["fused", "tfjs", "simd"] as const) {
      const lines: string[][] = [];
      for (let run = 0; run < 2; run++) {
        const env = new PatternMarketEnv({ numEnvs: 2, episodeLength: 12 });
        const network = kind === "simd" ? { network: { trunk: "mlp" as const, mlpUnits: [12, 9], sharedTrunk: false } } : {};
        const { config, engine } = await setup(env, { preset: "default", ...network, ppo: { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, numMinibatches: 2, updateEpochs: 2 } }, kind, 5);
        const out: string[] = [];
        await runPpo({ env, engine, config, totalSteps: 64, seed: 9, envSeed: 10, onUpdate: (m) => void out.push(jsonLine(m)) });
        lines.push(out);
        engine.dispose();
      }
      expect(lines[0]!.length).toBe(4);
      expect(lines[1]).toEqual(lines[0]);
    }
  });

  it("tfjs engine: tensor count stays flat across updates", async () => {
    const env = new CueMemoryEnv({ numEnvs: 2, delay: 1 });
    const { config, engine } = await setup(env, { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 6, sequenceLength: 3, numMinibatches: 2 } }, "tfjs", 1);
    const counts: number[] = [];
    await runPpo({ env, engine, config, totalSteps: 6 * 2 * 5, seed: 1, envSeed: 2, onUpdate: () => void counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(5);
    expect(new Set(counts).size).toBe(1);
    engine.dispose();
  });

  it("linear learning-rate decay, KL early stop, step and episode counters", async () => {
    const env = new CueMemoryEnv({ numEnvs: 2, delay: 0 });
    const { config, engine } = await setup(
      env,
      { preset: "default", ppo: { numEnvs: 2, rolloutSteps: 4, sequenceLength: 2, numMinibatches: 2, updateEpochs: 8, targetKl: 1e-12, learningRate: 0.01 } },
      "fused",
      1,
    );
    const { metrics } = await train(env, config, engine, 4 * 2 * 4, 1);
    expect(metrics.map((m) => m.learning_rate)).toEqual([0.01, 0.0075, 0.005, 0.0025]);
    expect(metrics.map((m) => m.env_steps)).toEqual([8, 16, 24, 32]);
    // Episodes of 2 steps, 2 envs, 4 steps per env per update: 4 episodes per update.
    expect(metrics.map((m) => m.episodes)).toEqual([4, 8, 12, 16]);
    // The first epoch moves the policy past a 1e-12 KL: every update stops after one epoch.
    expect(metrics.every((m) => m.epochs === 1)).toBe(true);
  });

  it("refuses an unbounded box of one value, and a network made for another head (a box of two values needs the diagonal head), with named errors", async () => {
    const env = new PatternMarketEnv({ numEnvs: 1, episodeLength: 10 });
    const { config, engine } = await setup(env, { preset: "seed", ppo: { rolloutSteps: 10 } }, "fused", 1);
    const withSpace = (actionSpace: VecEnv["actionSpace"]): VecEnv => ({ ...env, reset: env.reset.bind(env), step: env.step.bind(env), observationSize: 2, numEnvs: 1, observationSpace: env.observationSpace, actionSpace });
    const box2 = withSpace({ kind: "box", shape: [2], low: new Float64Array([0, 0]), high: new Float64Array([1, 1]), labels: ["a", "b"] });
    await expect(runPpo({ env: box2, engine, config, totalSteps: 10, seed: 1, envSeed: 1 })).rejects.toThrow(/invalid_config at network: .*"diagonal_gaussian","dims":2/);
    const unbounded = withSpace({ kind: "box", shape: [1], low: new Float64Array([-Infinity]), high: new Float64Array([Infinity]), labels: ["x"] });
    await expect(runPpo({ env: unbounded, engine, config, totalSteps: 10, seed: 1, envSeed: 1 })).rejects.toThrow(/unsupported_action_space/);
    const box1 = withSpace({ kind: "box", shape: [1], low: new Float64Array([0]), high: new Float64Array([1]), labels: ["exposure"] });
    await expect(runPpo({ env: box1, engine, config, totalSteps: 10, seed: 1, envSeed: 1 })).rejects.toThrow(/invalid_config at network/);
  });
});

/** Greedy run of `policy` over one long episode; profit captured over perfect foresight. */
function patternShare(policy: Policy<null>): number {
  const env = new PatternMarketEnv({ numEnvs: 1, episodeLength: 3000 });
  let obs = env.reset(4242);
  policy.reset();
  const a = new Int32Array(1);
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

describe("learning", () => {
  // Long-or-flat on a market whose up/down regime persists with probability 0.9: following the last return
  // captures ≈ 79% of the perfect-foresight profit (the switches cost the rest); a random policy ≈ 0%.
  it("captures ≥ 60% of the perfect-foresight profit on an exploitable market (default-style, 50k steps)", async () => {
    const env = new PatternMarketEnv({ numEnvs: 8, episodeLength: 128 });
    const { config, engine } = await setup(
      env,
      { preset: "default", network: { denseUnits: 16, lstmUnits: 16 }, ppo: { rewardScale: 100, rolloutSteps: 32, sequenceLength: 16, numMinibatches: 2, updateEpochs: 4 } },
      "fused",
      1,
    );
    const { policy } = await train(env, config, engine, 50_000, 1);
    expect(patternShare(policy)).toBeGreaterThan(0.6);
  }, 240_000);

  it("captures ≥ 60% of the perfect-foresight profit with the seed preset (the article's update, 100k steps)", async () => {
    const env = new PatternMarketEnv({ numEnvs: 1, episodeLength: 500 });
    const { config, engine } = await setup(env, { preset: "seed", ppo: { rewardScale: 100 } }, "fused", 2);
    const { policy } = await train(env, config, engine, 100_000, 2);
    expect(patternShare(policy)).toBeGreaterThan(0.6);
  }, 240_000);

  it("solves a cue-memory task with its LSTM state, and cannot with the state forced to zero", async () => {
    const delay = 4;
    const env = new CueMemoryEnv({ numEnvs: 8, delay });
    const { config, engine } = await setup(
      env,
      {
        preset: "default",
        network: { denseUnits: 16, lstmUnits: 16 },
        ppo: { rolloutSteps: 6 * 8, sequenceLength: 12, numMinibatches: 4, updateEpochs: 4, rewardScale: 1, observationNorm: "none", gamma: 0.99 },
      },
      "fused",
      1,
    );
    const { policy } = await train(env, config, engine, 30_000, 1);
    const score = (forceZero: boolean): number => {
      const ev = new CueMemoryEnv({ numEnvs: 1, delay });
      let obs = ev.reset(77);
      policy.reset();
      const a = new Int32Array(1);
      let correct = 0;
      let episodes = 0;
      const zero = new Float64Array(policy.getState().length);
      while (episodes < 200) {
        if (forceZero) policy.setState(zero);
        a[0] = policy.act(obs).action;
        const r = ev.step(a);
        if (r.terminated[0]) {
          episodes++;
          if (r.rewards[0]! > 0) correct++;
          policy.reset();
        }
        obs = r.observations;
      }
      return correct / episodes;
    };
    expect(score(false)).toBeGreaterThan(0.95);
    // Without memory the query step carries no information about the cue: chance level.
    expect(score(true)).toBeLessThan(0.65);
  }, 240_000);
});
