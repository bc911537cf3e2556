import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { selectBackend } from "./backend.js";
import { resolveAgentConfig, rolloutSizes } from "./config.js";
import { createEngine } from "./create-engine.js";
import type { EngineKind } from "./engine.js";
import { networkSpec } from "./network-spec.js";
import { ppoUpdate } from "./ppo.js";
import { allocRolloutBuffer } from "./rollout-buffer.js";

/**
 * One whole PPO update of the `seed` preset against PyTorch: the article's network and train_net (two LSTM bias
 * vectors, each moved by Adam; 3 epochs over a 500-step episode; article-mode targets), run in float64 by
 * testdata/seed-update-golden.py on a rollout that the PyTorch policy collected. The fixture holds the start
 * parameters, the rollout and the parameters after the update, without a gradient clip (the article) and with
 * one that binds at every step (max norm 0.02).
 */
interface Golden {
  readonly steps: number;
  readonly observationSize: number;
  readonly actions: number;
  readonly hidden: number;
  readonly parameters: number[];
  readonly observations: number[];
  readonly finalObservation: number[];
  readonly actionsTaken: number[];
  readonly rewards: number[];
  readonly logProbs: number[];
  readonly after: Readonly<Record<"no_clip" | "clip_0.02", number[]>>;
}

const golden = JSON.parse(readFileSync(new URL("./testdata/seed-update-golden.json", import.meta.url), "utf8")) as Golden;

beforeAll(async () => {
  await selectBackend("auto");
});

async function updated(kind: EngineKind, maxGradNorm: number | null, lstmBias: "pair" | "single" = "pair"): Promise<{ after: Float64Array; before: Float64Array }> {
  const config = resolveAgentConfig({ preset: "seed", network: { lstmBias }, ppo: { maxGradNorm } });
  const O = golden.observationSize;
  const T = golden.steps;
  const spec = networkSpec(O, golden.actions, config.network);
  let start = golden.parameters;
  if (lstmBias === "single") {
    // b_ih + b_hh as one block: drop b_hh and add it into b_ih.
    const G = 4 * golden.hidden;
    const at = (O + 1) * golden.hidden + 2 * golden.hidden * G;
    start = [...start.slice(0, at), ...start.slice(at, at + G).map((b, j) => b + start[at + G + j]!), ...start.slice(at + 2 * G)];
  }
  expect(spec.parameterCount).toBe(start.length);
  const engine = await createEngine(kind, spec, start, { beta1: config.ppo.adamBeta1, beta2: config.ppo.adamBeta2, epsilon: config.ppo.adamEpsilon });
  const sizes = rolloutSizes(config.ppo);
  const buf = allocRolloutBuffer(sizes, O, spec.stateSize, true);
  buf.observations.set(golden.observations);
  buf.nextObservations.set(golden.observations.slice(O), 0);
  buf.nextObservations.set(golden.finalObservation, (T - 1) * O);
  buf.actions.set(golden.actionsTaken);
  buf.logProbs.set(golden.logProbs);
  // The article's rollout stores the raw reward / 10; the fixture's rewards are already scaled.
  buf.rewards.set(golden.rewards);
  buf.episodeStarts[0] = 1;
  buf.truncated[T - 1] = 1; // done at the episode's end: mask 0, no bootstrap (the article)
  const before = engine.getParameters();
  ppoUpdate({
    buf,
    engine,
    config,
    order: Int32Array.of(0),
    minibatchRng: new Rng(1),
    learningRate: config.ppo.learningRate,
    scratch: { values: new Float64Array(T), nextValues: new Float64Array(T) },
  });
  const after = engine.getParameters();
  engine.dispose();
  return { after, before };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("seed preset: one whole update equals PyTorch's (fixture from testdata/seed-update-golden.py)", () => {
  for (const [name, clip] of [["no_clip", null], ["clip_0.02", 0.02]] as const) {
    it(`fused engine, ${name}: every parameter within 1e-14 (measured 6e-17 and 8e-17)`, async () => {
      const { after, before } = await updated("fused", clip);
      const want = golden.after[name];
      // The update moves parameters by ~1e-3; matching to 1e-14 leaves no room for a missing bias or clip.
      expect(maxAbsDiff(before, want)).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(after, want)).toBeLessThan(1e-14);
    });

    it(`tfjs engine (float32), ${name}: every parameter within 3e-7 (measured 4e-8 and 5e-8)`, async () => {
      const { after } = await updated("tfjs", clip);
      expect(maxAbsDiff(after, golden.after[name])).toBeLessThan(3e-7);
    });
  }

  it("is a test that can fail: one LSTM bias (the sum b_ih + b_hh) moves half as far and misses by > 1e-5", async () => {
    const { after } = await updated("fused", null, "single");
    const want = golden.after.no_clip;
    // The fixture's summed bias after the update, against the single bias trained here.
    const G = 4 * golden.hidden;
    const O = golden.observationSize;
    const at = (O + 1) * golden.hidden + 2 * golden.hidden * G; // b_ih: after the dense layer and both LSTM kernels
    let worst = 0;
    for (let j = 0; j < G; j++) worst = Math.max(worst, Math.abs(after[at + j]! - (want[at + j]! + want[at + G + j]!)));
    expect(worst).toBeGreaterThan(1e-5);
  });
});
