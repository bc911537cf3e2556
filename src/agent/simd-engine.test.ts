import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { selectBackend } from "./backend.js";
import { resolveAgentConfig } from "./config.js";
import { chooseEngineKind, createEngine } from "./create-engine.js";
import type { Engine, LossCoefficients } from "./engine.js";
import { initParameters } from "./init.js";
import { networkSpec, type NetworkSpec } from "./network-spec.js";
import type { PolicyHead } from "./policy-head.js";
import { SimdEngine } from "./simd-engine.js";
import { createSimdKernels, GEMM_ACCUMULATE, GEMM_BIAS, GEMM_RELU } from "./simd-kernels.js";
import { allSequences, randomBuffer } from "./test-helpers.js";

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

describe("simd kernels against naive loops", () => {
  it("gemm: A·B, Aᵀ·B (strides swapped), bias, ReLU and accumulation; every block shape (8-wide, 4-wide remainder)", async () => {
    const k = await createSimdKernels(64);
    const f = new Float32Array(k.memory.buffer);
    const rng = new Rng(3);
    for (const [M, N, K, transposed, flags] of [
      [4, 4, 1, false, 0],
      [8, 12, 5, false, GEMM_BIAS | GEMM_RELU],
      [12, 20, 33, true, 0],
      [16, 36, 7, true, GEMM_ACCUMULATE],
      [20, 8, 9, false, GEMM_ACCUMULATE | GEMM_RELU],
    ] as const) {
      const A = 0;
      const B = 4 * M * K;
      const C = B + 4 * K * N;
      const bias = C + 4 * M * N;
      for (let i = 0; i < M * K; i++) f[A / 4 + i] = rng.normal();
      for (let i = 0; i < K * N; i++) f[B / 4 + i] = rng.normal();
      for (let i = 0; i < M * N; i++) f[C / 4 + i] = rng.normal();
      for (let j = 0; j < N; j++) f[bias / 4 + j] = rng.normal();
      const before = f.slice(C / 4, C / 4 + M * N);
      // Transposed: A is stored [K, M] and read as its transpose.
      const sar = transposed ? 1 : K;
      const sak = transposed ? M : 1;
      k.gemm(M, N, K, A, sar, sak, B, N, C, N, bias, flags);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = flags & GEMM_ACCUMULATE ? before[i * N + j]! : flags & GEMM_BIAS ? f[bias / 4 + j]! : 0;
          for (let q = 0; q < K; q++) s += f[A / 4 + i * sar + q * sak]! * f[B / 4 + q * N + j]!;
          if (flags & GEMM_RELU) s = Math.max(s, 0);
          expect(Math.abs(f[C / 4 + i * N + j]! - s), `${M}×${N}×${K} (${i}, ${j})`).toBeLessThan(1e-5 * (1 + Math.abs(s)) * Math.sqrt(K));
        }
      }
    }
  });

  it("reluBackward zeroes the gradient where the output is not positive; columnSums sums columns", async () => {
    const k = await createSimdKernels(1);
    const f = new Float32Array(k.memory.buffer);
    const h = [1, 0, -2, 3, 0.5, -0.1, 0, 4];
    const d = [1, 2, 3, 4, 5, 6, 7, 8];
    f.set(d, 0);
    f.set(h, 16);
    k.reluBackward(8, 0, 64);
    expect(Array.from(f.subarray(0, 8))).toEqual([1, 0, 0, 4, 5, 0, 0, 8]);
    // X [3, 8] with ldx 8: sums of the first 4 columns.
    f.set([1, 2, 3, 4, 9, 9, 9, 9, 10, 20, 30, 40, 9, 9, 9, 9, 100, 200, 300, 400, 9, 9, 9, 9], 32);
    k.columnSums(3, 4, 128, 8, 256);
    expect(Array.from(f.subarray(64, 68))).toEqual([111, 222, 333, 444]);
  });
});

interface Case {
  readonly name: string;
  readonly units: number[];
  readonly sharedTrunk: boolean;
  readonly head: PolicyHead;
  readonly coefs: LossCoefficients;
}

// Sizes not multiples of 4 or 8 (observations 5, layers 9 and 7 or 13 and 6), so that padding and the kernels'
// remainder blocks are exercised and a transposed or mis-indexed weight cannot pass.
const CASES: Case[] = [
  { name: "separate trunks [9, 7], 3 actions, mse", units: [9, 7], sharedTrunk: false, head: { kind: "categorical", actions: 3 }, coefs: { clipCoef: 0.2, valueClip: null, valueLoss: "mse", valueCoef: 0.5, entropyCoef: 0.02 } },
  {
    name: "shared trunk [13, 6], hybrid head, clipped huber",
    units: [13, 6],
    sharedTrunk: true,
    head: { kind: "hybrid", sides: 3, sized: [false, true, true], sideSigns: [0, 1, -1] },
    coefs: { clipCoef: 0.2, valueClip: 0.3, valueLoss: "huber", valueCoef: 0.5, entropyCoef: 0.04 },
  },
  { name: "separate trunks [16], squashed Gaussian head", units: [16], sharedTrunk: false, head: { kind: "gaussian", low: 0, high: 1 }, coefs: { clipCoef: 0.1, valueClip: null, valueLoss: "mse", valueCoef: 1, entropyCoef: 0.03 } },
];

function mlpSpec(c: Pick<Case, "units" | "sharedTrunk" | "head">): NetworkSpec {
  const cfg = resolveAgentConfig({ network: { trunk: "mlp", mlpUnits: c.units, sharedTrunk: c.sharedTrunk } });
  return networkSpec(5, c.head, cfg.network);
}

async function pair(spec: NetworkSpec, seed: number): Promise<[Engine, Engine]> {
  const p = initParameters(spec, "torch", new Rng(seed)).map((x) => x * 2);
  return [await createEngine("simd", spec, p, ADAM), await createEngine("tfjs", spec, p, ADAM)];
}

/** |a − b| ≤ tol·(1 + max |b|) element-wise: float32 arithmetic in a different order. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst, `${what}: worst |simd − tfjs| ${worst} (scale ${scale})`).toBeLessThanOrEqual(tol * (1 + scale));
}

beforeAll(async () => {
  await selectBackend("auto");
});

describe.each(CASES)("simd engine against the tfjs engine ($name)", (c) => {
  it("forward passes, losses, gradients and two Adam steps agree within float32 tolerance", async () => {
    const spec = mlpSpec(c);
    const [simd, ref] = await pair(spec, 4);
    expect(simd.kind).toBe("simd");
    const buf = randomBuffer(ref, { numEnvs: 3, rolloutSteps: 9, sequenceLength: 3, seed: 17 });
    const seqs = allSequences(buf);
    const n = buf.actions.length;
    for (const source of ["observations", "next"] as const) {
      const [va, vb, la, lb] = [0, 1, 2, 3].map(() => new Float64Array(n)) as [Float64Array, Float64Array, Float64Array, Float64Array];
      simd.evaluate(buf, seqs, source, va, la);
      ref.evaluate(buf, seqs, source, vb, lb);
      expectClose(va, vb, 1e-5, `values (${source})`);
      expectClose(la, lb, 1e-5, `log-probabilities (${source})`);
    }
    const obs = buf.observations.subarray(0, 6 * 5);
    const [pa, pb] = [new Float64Array(6 * spec.policyParams), new Float64Array(6 * spec.policyParams)];
    const [sa, sb] = [new Float64Array(6), new Float64Array(6)];
    simd.step(obs, 6, new Float64Array(0), pa, sa);
    ref.step(obs, 6, new Float64Array(0), pb, sb);
    expectClose(pa, pb, 1e-5, "step head parameters");
    expectClose(sa, sb, 1e-5, "step values");
    expect(simd.valueOf(obs, 4, new Float64Array(0), 0)).toBeCloseTo(sb[4]!, 5);
    for (let round = 0; round < 2; round++) {
      const a = simd.lossAndGradients(buf, seqs, c.coefs);
      const b = ref.lossAndGradients(buf, seqs, c.coefs);
      expect(a.clipFraction).toBeCloseTo(b.clipFraction, 6);
      expect(a.clipFraction).toBeGreaterThan(0);
      expectClose([a.loss, a.policyLoss, a.valueLoss, a.entropy, a.approxKl, a.oldApproxKl], [b.loss, b.policyLoss, b.valueLoss, b.entropy, b.approxKl, b.oldApproxKl], 1e-5, "loss terms");
      const ga = simd.getGradients();
      expectClose(ga, ref.getGradients(), 2e-5, `gradients, round ${round}`);
      for (const blk of spec.blocks) expect(ga.subarray(blk.offset, blk.offset + blk.size).some((x) => x !== 0), blk.name).toBe(true);
      expect(simd.applyGradients(0.01, 0.1)).toBeCloseTo(ref.applyGradients(0.01, 0.1), 4);
      expectClose(simd.getParameters(), ref.getParameters(), 1e-5, `parameters after step ${round + 1}`);
    }
    expectClose(simd.getOptimizerState().v, ref.getOptimizerState().v, 1e-5, "Adam second moments");
    ref.dispose();
  });
});

describe("simd engine", () => {
  it("a minibatch longer than one chunk (4,096 rows) gives tfjs's gradient; same parameters, same bits", async () => {
    const spec = mlpSpec(CASES[0]!);
    const [simd, ref] = await pair(spec, 5);
    const buf = randomBuffer(ref, { numEnvs: 2, rolloutSteps: 2101, sequenceLength: 1, seed: 23 });
    const seqs = allSequences(buf);
    simd.lossAndGradients(buf, seqs, CASES[0]!.coefs);
    ref.lossAndGradients(buf, seqs, CASES[0]!.coefs);
    expectClose(simd.getGradients(), ref.getGradients(), 2e-5, "gradients over 4,202 rows");
    ref.dispose();
    // Determinism: a second engine from the same parameters repeats every bit over three updates.
    const twin = await createEngine("simd", spec, initParameters(spec, "torch", new Rng(5)).map((x) => x * 2), ADAM);
    const again = await createEngine("simd", spec, initParameters(spec, "torch", new Rng(5)).map((x) => x * 2), ADAM);
    for (let i = 0; i < 3; i++) {
      expect(twin.lossAndGradients(buf, seqs, CASES[0]!.coefs)).toEqual(again.lossAndGradients(buf, seqs, CASES[0]!.coefs));
      expect(twin.applyGradients(3e-4, 0.5)).toBe(again.applyGradients(3e-4, 0.5));
    }
    expect(Array.from(twin.getParameters())).toEqual(Array.from(again.getParameters()));
  });

  it("diagonal Gaussian head (no tfjs reference): gradient ≈ central finite differences of its own loss", async () => {
    const cfg = resolveAgentConfig({ network: { trunk: "mlp", mlpUnits: [9, 7], sharedTrunk: false } });
    const spec = networkSpec(5, { kind: "diagonal_gaussian", dims: 3 }, cfg.network);
    const engine = await createEngine("simd", spec, initParameters(spec, "torch", new Rng(8)).map((x) => x * 2), ADAM);
    const buf = randomBuffer(engine, { numEnvs: 2, rolloutSteps: 8, sequenceLength: 4, seed: 31 });
    const seqs = allSequences(buf);
    const coefs = CASES[0]!.coefs;
    engine.lossAndGradients(buf, seqs, coefs);
    const grad = engine.getGradients();
    const p0 = engine.getParameters();
    const h = 2e-3;
    let checked = 0;
    let misses = 0;
    for (let i = 0; i < p0.length; i += 2) {
      const p = p0.slice();
      p[i] = p0[i]! + h;
      engine.setParameters(p);
      const up = engine.lossAndGradients(buf, seqs, coefs).loss;
      p[i] = p0[i]! - h;
      engine.setParameters(p);
      const fd = (up - engine.lossAndGradients(buf, seqs, coefs).loss) / (2 * h);
      checked++;
      // float32 forward passes and ReLU/clip kinks: a quotient that straddles a kink misses (at most 5%).
      if (!(Math.abs(grad[i]! - fd) < 3e-3 + 0.03 * Math.abs(fd))) misses++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(misses).toBeLessThanOrEqual(Math.ceil(0.05 * checked));
    // The log stds (the last policy block) receive gradient.
    expect(Array.from(grad.subarray(spec.piLogStd, spec.piLogStd + 3)).every((x) => x !== 0)).toBe(true);
  });

  it("two threads give the same bits as one (row blocks shared out; the second seed system's MLP, 512 rows)", async () => {
    const cfg = resolveAgentConfig({ network: { trunk: "mlp", mlpUnits: [256, 128], sharedTrunk: false } });
    const spec = networkSpec(7, 3, cfg.network);
    const p = initParameters(spec, "orthogonal", new Rng(9));
    const one = await SimdEngine.create(spec, p, ADAM, { threads: 1 });
    const two = await SimdEngine.create(spec, p, ADAM, { threads: 2 });
    const buf = randomBuffer(one, { numEnvs: 4, rolloutSteps: 128, sequenceLength: 1, seed: 29 });
    const seqs = allSequences(buf);
    for (let i = 0; i < 2; i++) {
      expect(two.lossAndGradients(buf, seqs, CASES[0]!.coefs)).toEqual(one.lossAndGradients(buf, seqs, CASES[0]!.coefs));
      expect(Array.from(two.getGradients())).toEqual(Array.from(one.getGradients()));
      expect(two.applyGradients(3e-4, 0.5)).toBe(one.applyGradients(3e-4, 0.5));
    }
    expect(Array.from(two.getParameters())).toEqual(Array.from(one.getParameters()));
    one.dispose();
    two.dispose();
  });

  it("auto picks it for MLP trunks without a GPU, tfjs with one; it refuses an LSTM trunk", async () => {
    const spec = mlpSpec(CASES[0]!);
    expect(chooseEngineKind("auto", spec, null)).toBe("simd");
    expect(chooseEngineKind("auto", spec, { name: "tensorflow", package: "@tensorflow/tfjs-node-gpu", gpu: true } as never)).toBe("tfjs");
    const lstm = networkSpec(5, 3, resolveAgentConfig({ preset: "seed" }).network);
    await expect(createEngine("simd", lstm, new Float64Array(lstm.parameterCount), ADAM)).rejects.toThrow(/MLP trunks/);
  });
});
