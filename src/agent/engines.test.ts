import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { selectBackend, type BackendInfo } from "./backend.js";
import { resolveAgentConfig } from "./config.js";
import { chooseEngineKind, createEngine } from "./create-engine.js";
import type { Engine, EngineKind, LossCoefficients } from "./engine.js";
import { FusedEngine } from "./fused-engine.js";
import { initParameters } from "./init.js";
import { networkSpec, type NetworkSpec } from "./network-spec.js";
import type { PolicyHead } from "./policy-head.js";
import { allSequences, randomBuffer } from "./test-helpers.js";

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

interface Case {
  readonly name: string;
  readonly sharedTrunk: boolean;
  readonly lstmBias: "pair" | "single";
  readonly head: PolicyHead;
  readonly coefs: LossCoefficients;
}

// Every size distinct (observations 5, dense 7, LSTM 6, gates 24, policy outputs 2, 1 or 4), so that a transposed
// or mis-indexed weight cannot pass.
const CASES: Case[] = [
  {
    name: "shared trunk, bias pair, 2 actions, huber, entropy bonus",
    sharedTrunk: true,
    lstmBias: "pair",
    head: { kind: "categorical", actions: 2 },
    coefs: { clipCoef: 0.1, valueClip: null, valueLoss: "huber", valueCoef: 1, entropyCoef: 0.05 },
  },
  {
    name: "separate trunks, one bias, 2 actions, clipped mse",
    sharedTrunk: false,
    lstmBias: "single",
    head: { kind: "categorical", actions: 2 },
    coefs: { clipCoef: 0.2, valueClip: 0.3, valueLoss: "mse", valueCoef: 0.5, entropyCoef: 0.01 },
  },
  {
    name: "shared trunk, squashed Gaussian head, entropy bonus",
    sharedTrunk: true,
    lstmBias: "single",
    head: { kind: "gaussian", low: 0, high: 1 },
    coefs: { clipCoef: 0.2, valueClip: null, valueLoss: "mse", valueCoef: 0.5, entropyCoef: 0.03 },
  },
  {
    name: "separate trunks, hybrid head (3 sides, 2 sized), bias pair",
    sharedTrunk: false,
    lstmBias: "pair",
    head: { kind: "hybrid", sides: 3, sized: [false, true, true], sideSigns: [0, 1, -1] },
    coefs: { clipCoef: 0.2, valueClip: 0.3, valueLoss: "huber", valueCoef: 0.5, entropyCoef: 0.04 },
  },
];

function tinySpec(c: Pick<Case, "sharedTrunk" | "lstmBias" | "head">): NetworkSpec {
  const cfg = resolveAgentConfig({ network: { denseUnits: 7, lstmUnits: 6, sharedTrunk: c.sharedTrunk, lstmBias: c.lstmBias } });
  return networkSpec(5, c.head, cfg.network);
}

async function makeEngine(kind: EngineKind, spec: NetworkSpec, seed: number): Promise<Engine> {
  // Larger-than-default weights so that gates saturate unevenly and every path carries gradient.
  const p = initParameters(spec, "torch", new Rng(seed)).map((x) => x * 2);
  return createEngine(kind, spec, p, ADAM);
}

/** Central differences of the loss, parameter by parameter (a subset when `every` > 1). */
function finiteDifferences(engine: Engine, lossAt: () => number, h: number, every: number): { index: number[]; fd: number[] } {
  const p0 = engine.getParameters();
  const index: number[] = [];
  const fd: number[] = [];
  for (let i = 0; i < p0.length; i += every) {
    const p = p0.slice();
    p[i] = p0[i]! + h;
    engine.setParameters(p);
    const up = lossAt();
    p[i] = p0[i]! - h;
    engine.setParameters(p);
    const down = lossAt();
    index.push(i);
    fd.push((up - down) / (2 * h));
  }
  engine.setParameters(p0);
  return { index, fd };
}

beforeAll(async () => {
  await selectBackend("auto");
});

describe.each(CASES)("loss gradients ($name)", (c) => {
  it("fused engine: analytic gradient = central finite differences (float64, tight)", async () => {
    const spec = tinySpec(c);
    const engine = await makeEngine("fused", spec, 1);
    const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 11 });
    const seqs = allSequences(buf);
    const stats = engine.lossAndGradients(buf, seqs, c.coefs);
    expect(stats.clipFraction).toBeGreaterThan(0); // the clipped branch is exercised
    expect(stats.clipFraction).toBeLessThan(1);
    const grad = engine.getGradients();
    const { index, fd } = finiteDifferences(engine, () => engine.lossAndGradients(buf, seqs, c.coefs).loss, 1e-6, 1);
    let maxErr = 0;
    index.forEach((i, n) => {
      const err = Math.abs(grad[i]! - fd[n]!) / (1e-6 + Math.abs(fd[n]!));
      maxErr = Math.max(maxErr, Math.min(err, Math.abs(grad[i]! - fd[n]!) * 1e4));
    });
    expect(maxErr).toBeLessThan(1e-4);
    // Every parameter block receives gradient (no path silently cut).
    for (const b of spec.blocks) {
      let sum = 0;
      for (let i = b.offset; i < b.offset + b.size; i++) sum += Math.abs(grad[i]!);
      expect(sum, b.name).toBeGreaterThan(0);
    }
  });

  it("generated and loop kernels give bit-identical forward passes, losses, gradients and updates", async () => {
    const spec = tinySpec(c);
    const p = initParameters(spec, "torch", new Rng(6)).map((x) => x * 2);
    const gen = new FusedEngine(spec, p, ADAM, { kernels: "generated" });
    const loops = new FusedEngine(spec, p, ADAM, { kernels: "loops" });
    expect(gen.kernelKind).toBe("generated");
    expect(loops.kernelKind).toBe("loops");
    const buf = randomBuffer(gen, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 13 });
    const seqs = allSequences(buf);
    const n = buf.actions.length;
    for (const source of ["observations", "next"] as const) {
      const [va, vb, la, lb] = [0, 1, 2, 3].map(() => new Float64Array(n)) as [Float64Array, Float64Array, Float64Array, Float64Array];
      gen.evaluate(buf, seqs, source, va, la);
      loops.evaluate(buf, seqs, source, vb, lb);
      expect(Array.from(vb)).toEqual(Array.from(va));
      expect(Array.from(lb)).toEqual(Array.from(la));
    }
    for (let round = 0; round < 2; round++) {
      expect(loops.lossAndGradients(buf, seqs, c.coefs)).toEqual(gen.lossAndGradients(buf, seqs, c.coefs));
      expect(Array.from(loops.getGradients())).toEqual(Array.from(gen.getGradients()));
      expect(loops.applyGradients(0.01, 0.1)).toBe(gen.applyGradients(0.01, 0.1));
    }
    expect(Array.from(loops.getParameters())).toEqual(Array.from(gen.getParameters()));
    const state = new Float64Array(2 * spec.stateSize).fill(0.1);
    const s2 = state.slice();
    const [la, lb, va, vb] = [new Float64Array(2 * spec.policyParams), new Float64Array(2 * spec.policyParams), new Float64Array(2), new Float64Array(2)];
    gen.step(buf.observations, 2, state, la, va);
    loops.step(buf.observations, 2, s2, lb, vb);
    expect(Array.from(s2)).toEqual(Array.from(state));
    expect(Array.from(lb)).toEqual(Array.from(la));
  });

  it("fused engine with loop kernels: analytic gradient = central finite differences", async () => {
    const spec = tinySpec(c);
    const engine = new FusedEngine(spec, initParameters(spec, "torch", new Rng(1)).map((x) => x * 2), ADAM, { kernels: "loops" });
    const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 11 });
    const seqs = allSequences(buf);
    engine.lossAndGradients(buf, seqs, c.coefs);
    const grad = engine.getGradients();
    const { index, fd } = finiteDifferences(engine, () => engine.lossAndGradients(buf, seqs, c.coefs).loss, 1e-6, 1);
    index.forEach((i, n) => expect(Math.min(Math.abs(grad[i]! - fd[n]!) / (1e-6 + Math.abs(fd[n]!)), Math.abs(grad[i]! - fd[n]!) * 1e4)).toBeLessThan(1e-4));
  });

  it("tfjs engine: analytic gradient ≈ central finite differences (float32, loose)", async () => {
    const spec = tinySpec(c);
    const engine = await makeEngine("tfjs", spec, 1);
    const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 11 });
    const seqs = allSequences(buf);
    engine.lossAndGradients(buf, seqs, c.coefs);
    const grad = engine.getGradients();
    const { index, fd } = finiteDifferences(engine, () => engine.lossAndGradients(buf, seqs, c.coefs).loss, 1e-2, 3);
    index.forEach((i, n) => {
      expect(Math.abs(grad[i]! - fd[n]!), `parameter ${i}`).toBeLessThan(3e-3 + 0.03 * Math.abs(fd[n]!));
    });
    engine.dispose();
  });

  it("fused and tfjs agree: forward, loss statistics, gradients, optimiser step", async () => {
    const spec = tinySpec(c);
    const fused = await makeEngine("fused", spec, 2);
    const tfe = await makeEngine("tfjs", spec, 2);
    const buf = randomBuffer(fused, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 12 });
    const seqs = allSequences(buf);
    const n = buf.actions.length;

    for (const source of ["observations", "next"] as const) {
      const vf = new Float64Array(n);
      const vt = new Float64Array(n);
      const lf = new Float64Array(n);
      const lt = new Float64Array(n);
      fused.evaluate(buf, seqs, source, vf, lf);
      tfe.evaluate(buf, seqs, source, vt, lt);
      for (let k = 0; k < n; k++) {
        expect(vt[k]).toBeCloseTo(vf[k]!, 4);
        expect(lt[k]).toBeCloseTo(lf[k]!, 4);
      }
    }

    const sf = fused.lossAndGradients(buf, seqs, c.coefs);
    const st = tfe.lossAndGradients(buf, seqs, c.coefs);
    for (const key of ["loss", "policyLoss", "valueLoss", "entropy", "approxKl", "oldApproxKl", "clipFraction"] as const) {
      expect(st[key], key).toBeCloseTo(sf[key], 4);
    }
    const gf = fused.getGradients();
    const gt = tfe.getGradients();
    for (let i = 0; i < gf.length; i++) expect(Math.abs(gt[i]! - gf[i]!), `gradient ${i}`).toBeLessThan(1e-5 + 1e-3 * Math.abs(gf[i]!));

    // One clipped Adam step, then a second one (bias correction and moments carried).
    const normF = fused.applyGradients(0.01, 0.05);
    const normT = tfe.applyGradients(0.01, 0.05);
    expect(normT).toBeCloseTo(normF, 4);
    fused.lossAndGradients(buf, seqs, c.coefs);
    tfe.lossAndGradients(buf, seqs, c.coefs);
    fused.applyGradients(0.01, null);
    tfe.applyGradients(0.01, null);
    const pf = fused.getParameters();
    const pt = tfe.getParameters();
    for (let i = 0; i < pf.length; i++) expect(Math.abs(pt[i]! - pf[i]!), `parameter ${i}`).toBeLessThan(2e-5);
    const of = fused.getOptimizerState();
    const ot = tfe.getOptimizerState();
    expect(ot.step).toBe(2);
    expect(of.step).toBe(2);
    for (let i = 0; i < pf.length; i++) expect(Math.abs(ot.m[i]! - of.m[i]!)).toBeLessThan(1e-5 + 1e-3 * Math.abs(of.m[i]!));

    // Rollout step: same log-probabilities, values and new state.
    const rows = 3;
    const obs = new Float32Array(rows * spec.observationSize).map((_, i) => Math.sin(i + 1));
    const stateF = new Float64Array(rows * spec.stateSize).map((_, i) => 0.3 * Math.cos(i));
    const stateT = stateF.slice();
    const lpF = new Float64Array(rows * spec.policyParams);
    const lpT = new Float64Array(rows * spec.policyParams);
    const vF = new Float64Array(rows);
    const vT = new Float64Array(rows);
    tfe.setParameters(pf);
    const v1f = fused.valueOf(obs, 1, stateF, 2);
    const v1t = tfe.valueOf(obs, 1, stateT, 2);
    expect(v1t).toBeCloseTo(v1f, 4);
    fused.step(obs, rows, stateF, lpF, vF);
    tfe.step(obs, rows, stateT, lpT, vT);
    for (let i = 0; i < lpF.length; i++) expect(lpT[i]).toBeCloseTo(lpF[i]!, 4);
    for (let i = 0; i < rows; i++) expect(vT[i]).toBeCloseTo(vF[i]!, 4);
    for (let i = 0; i < stateF.length; i++) expect(stateT[i]).toBeCloseTo(stateF[i]!, 4);
    tfe.dispose();
  });
});

describe("diagonal Gaussian head (3 values, the portfolio's softmax logits)", () => {
  const c = { sharedTrunk: false, lstmBias: "single", head: { kind: "diagonal_gaussian", dims: 3 } } as const;
  const coefs: LossCoefficients = { clipCoef: 0.2, valueClip: null, valueLoss: "mse", valueCoef: 0.5, entropyCoef: 0.03 };

  it("fused engine: analytic gradient = central finite differences; every block (the 3 log stds included) gets gradient", async () => {
    const spec = tinySpec(c);
    expect(spec.blocks.find((b) => b.name === "pi.log_std")?.shape).toEqual([3]);
    expect(spec.policyOutputs).toBe(3);
    const engine = await makeEngine("fused", spec, 2);
    // Log stds away from 0, each different, so a mix-up of dimensions shows.
    const p = engine.getParameters();
    p.set([-0.3, 0.2, -0.6], spec.piLogStd);
    engine.setParameters(p);
    const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 13 });
    const seqs = allSequences(buf);
    const stats = engine.lossAndGradients(buf, seqs, coefs);
    expect(stats.clipFraction).toBeGreaterThan(0);
    expect(stats.clipFraction).toBeLessThan(1);
    const grad = engine.getGradients();
    const { index, fd } = finiteDifferences(engine, () => engine.lossAndGradients(buf, seqs, coefs).loss, 1e-6, 1);
    let maxErr = 0;
    index.forEach((i, n) => {
      const err = Math.abs(grad[i]! - fd[n]!) / (1e-6 + Math.abs(fd[n]!));
      maxErr = Math.max(maxErr, Math.min(err, Math.abs(grad[i]! - fd[n]!) * 1e4));
    });
    expect(maxErr).toBeLessThan(1e-4);
    for (const b of spec.blocks) {
      let sum = 0;
      for (let i = b.offset; i < b.offset + b.size; i++) sum += Math.abs(grad[i]!);
      expect(sum, b.name).toBeGreaterThan(0);
    }
  });

  it("the tfjs engine refuses it with one clear line; auto picks the fused engine (LSTM) or the simd engine (MLP)", async () => {
    const spec = tinySpec(c);
    await expect(makeEngine("tfjs", spec, 1)).rejects.toThrow(/tfjs engine has no diagonal Gaussian head .*use engine "fused"/);
    const gpu = { kind: "webgl", name: "x", package: "x", gpu: true, tfjsVersion: "x", notes: [] } as unknown as BackendInfo;
    expect(chooseEngineKind("auto", spec, gpu)).toBe("fused");
    // Never tfjs for this head, whatever the size or the backend: a big LSTM stays fused, an MLP trunk goes to simd.
    expect(chooseEngineKind("auto", { ...spec, parameterCount: 1_000_000 }, null)).toBe("fused");
    expect(chooseEngineKind("auto", { ...spec, trunk: "mlp" }, gpu)).toBe("simd");
  });
});

describe("engine state", () => {
  it("valueOf leaves the recurrent state untouched and equals the value of a step", async () => {
    const spec = tinySpec(CASES[1]!);
    const e = await makeEngine("fused", spec, 3);
    const obs = new Float32Array(spec.observationSize).fill(0.7);
    const state = new Float64Array(spec.stateSize).fill(0.2);
    const before = state.slice();
    const v = e.valueOf(obs, 0, state, 0);
    expect(Array.from(state)).toEqual(Array.from(before));
    const lp = new Float64Array(spec.policyParams);
    const vs = new Float64Array(1);
    e.step(obs, 1, state, lp, vs);
    expect(vs[0]).toBe(v);
    expect(Math.abs(lp.reduce((a, x) => a + Math.exp(x), 0) - 1)).toBeLessThan(1e-12);
  });

  it("tfjs engine: tensor count does not grow across steps, evaluations and updates", async () => {
    const spec = tinySpec(CASES[3]!);
    const e = await makeEngine("tfjs", spec, 4);
    const buf = randomBuffer(e, { numEnvs: 2, rolloutSteps: 4, sequenceLength: 2, seed: 5 });
    const seqs = allSequences(buf);
    const coefs = CASES[0]!.coefs;
    const round = (): void => {
      const lp = new Float64Array(2 * spec.policyParams);
      const v = new Float64Array(2);
      const state = new Float64Array(2 * spec.stateSize);
      e.step(buf.observations, 2, state, lp, v);
      e.valueOf(buf.observations, 0, state, 0);
      e.evaluate(buf, seqs, "observations", new Float64Array(8), new Float64Array(8));
      e.evaluate(buf, seqs, "next", new Float64Array(8));
      e.lossAndGradients(buf, seqs, coefs);
      e.applyGradients(1e-3, 0.5);
      e.getParameters();
      e.getOptimizerState();
    };
    round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) round();
    expect(tf.memory().numTensors).toBe(before);
    e.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});

describe("MLP trunk (tfjs engine): the second seed system's policy and value MLPs, scaled down", () => {
  const coefs: LossCoefficients = { clipCoef: 0.2, valueClip: null, valueLoss: "mse", valueCoef: 0.5, entropyCoef: 0.02 };
  for (const head of [{ kind: "categorical", actions: 3 }, { kind: "hybrid", sides: 3, sized: [false, true, true], sideSigns: [0, 1, -1] }] as PolicyHead[]) {
    it(`${head.kind} head: analytic gradient ≈ central finite differences; no recurrent state`, async () => {
      const cfg = resolveAgentConfig({ network: { trunk: "mlp", mlpUnits: [9, 7], sharedTrunk: false } });
      const spec = networkSpec(5, head, cfg.network);
      expect(spec.stateSize).toBe(0);
      expect(spec.blocks.map((b) => b.name).slice(0, 4)).toEqual(["pi_trunk.mlp0.kernel", "pi_trunk.mlp0.bias", "pi_trunk.mlp1.kernel", "pi_trunk.mlp1.bias"]);
      expect(chooseEngineKind("auto", spec, null)).toBe("simd");
      await expect(createEngine("fused", spec, new Float64Array(spec.parameterCount), ADAM)).rejects.toThrow(/invalid_config/);
      const engine = await makeEngine("tfjs", spec, 8);
      const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 21 });
      const seqs = allSequences(buf);
      engine.lossAndGradients(buf, seqs, coefs);
      const grad = engine.getGradients();
      // A small step: ReLU kinks are closer than in the LSTM cases (float32 noise ~1e-7 / 2e-3 stays small).
      const { index, fd } = finiteDifferences(engine, () => engine.lossAndGradients(buf, seqs, coefs).loss, 2e-3, 2);
      // ReLU and clip kinks: a difference quotient that straddles one misses; at most 5% of them may.
      const misses = index.filter((i, n) => !(Math.abs(grad[i]! - fd[n]!) < 3e-3 + 0.03 * Math.abs(fd[n]!)));
      expect(misses.length).toBeLessThanOrEqual(Math.ceil(0.05 * index.length));
      // A step is the same for any state (there is none): rows are independent.
      const obs = new Float32Array(2 * 5).map((_, i) => Math.cos(i));
      const out = new Float64Array(2 * spec.policyParams);
      engine.step(obs, 2, new Float64Array(0), out, new Float64Array(2));
      const one = new Float64Array(spec.policyParams);
      engine.step(obs.subarray(5), 1, new Float64Array(0), one, new Float64Array(1));
      for (let j = 0; j < spec.policyParams; j++) expect(one[j]).toBeCloseTo(out[spec.policyParams + j]!, 6);
      engine.dispose();
    });
  }
});
