import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { loadCheckpoint } from "./checkpoint.js";
import { AgentError } from "./errors.js";
import { loadPolicy } from "./load-policy.js";
import { train, type TrainConfigInput } from "./train.js";

const root = mkdtempSync(join(tmpdir(), "agent-train-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TINY_DEFAULT: TrainConfigInput = {
  preset: "default",
  agent: { ppo: { numEnvs: 2, rolloutSteps: 16, sequenceLength: 8, numMinibatches: 2, updateEpochs: 2 } },
  steps: 128,
  seed: 3,
  progress: "none",
};

function expectAgentError(f: () => unknown, code: string): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(code);
    return;
  }
  throw new Error(`expected AgentError ${code}`);
}

async function expectAgentErrorAsync(p: Promise<unknown>, code: string): Promise<void> {
  await p.then(
    () => {
      throw new Error(`expected AgentError ${code}`);
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(AgentError);
      expect((err as AgentError).code).toBe(code);
    },
  );
}

describe("train() on the embedded market", () => {
  it("same seed, same engine and backend → byte-identical metrics.jsonl (seed preset, fused)", async () => {
    const a = await train({ preset: "seed", episodes: 3, seed: 7, out: join(root, "a"), progress: "none" });
    const b = await train({ preset: "seed", episodes: 3, seed: 7, out: join(root, "b"), progress: "none" });
    const ma = readFileSync(join(root, "a", "metrics.jsonl"));
    const mb = readFileSync(join(root, "b", "metrics.jsonl"));
    expect(ma.length).toBeGreaterThan(0);
    expect(ma.equals(mb)).toBe(true);
    expect(readFileSync(join(root, "a", "weights.bin")).equals(readFileSync(join(root, "b", "weights.bin")))).toBe(true);
    expect(a.metrics.length).toBe(3);
    expect(a.engine).toBe("fused");
    expect(b.manifest.training.backend?.name).toBe(a.backend.name);
    // A different seed gives a different run.
    const c = await train({ preset: "seed", episodes: 3, seed: 8, progress: "none" });
    expect(c.metrics[0]!.policy_loss).not.toBe(a.metrics[0]!.policy_loss);
  });

  it("same seed → byte-identical metrics with the tfjs engine too", async () => {
    const a = await train({ ...TINY_DEFAULT, engine: "tfjs", out: join(root, "ta") });
    const b = await train({ ...TINY_DEFAULT, engine: "tfjs", out: join(root, "tb") });
    expect(a.engine).toBe("tfjs");
    expect(readFileSync(join(root, "ta", "metrics.jsonl")).equals(readFileSync(join(root, "tb", "metrics.jsonl")))).toBe(true);
  });

  it("the manifest records config, data, versions, engine and backend; the loaded policy acts exactly like the trained one", async () => {
    const dir = join(root, "p");
    const result = await train({ ...TINY_DEFAULT, out: dir });
    const cp = loadCheckpoint(dir);
    const m = cp.manifest;
    expect(m.agent.preset).toBe("default");
    expect(m.agent.ppo.numEnvs).toBe(2);
    expect(m.env.preset).toBe("seed");
    expect(m.data.source).toBe("embedded");
    expect(m.data.fileSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.data.rows).toBeGreaterThan(1000);
    // The default preset's own observation (agent.observation) on the article's env.
    const O = m.observation.labels.length;
    expect(m.observation.labels.slice(0, 5)).toEqual(["close_ret_1", "close_ret_4", "close_ret_12", "close_ret_24", "close_ret_48"]);
    expect(m.observation.labels.slice(-6)).toEqual(["flow_12_lag0", "flow_12_lag12", "flow_12_lag24", "flow_12_lag36", "flow_12_lag48", "coin_share"]);
    expect(O).toBe(22);
    expect(m.observation.normalization?.mean.length).toBe(O);
    expect(m.training.engine).toBe("fused");
    expect(m.training.envSteps).toBe(128);
    expect(m.training.updates).toBe(4);
    expect(m.versions.node).toBe(process.version);
    expect(m.versions.tfjs).toBe("4.22.0");
    expect(m.metrics?.update).toBe(4);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(4);

    const loaded = await loadPolicy(dir);
    const rng = new Rng(1);
    result.policy.reset();
    loaded.reset();
    for (let t = 0; t < 50; t++) {
      const obs = Array.from({ length: O }, () => rng.normal() * 3);
      const x = result.policy.act(obs);
      const y = loaded.act(obs);
      expect(y.action).toBe(x.action);
      expect(y.probabilities).toEqual(x.probabilities);
      expect(y.value).toBe(x.value);
    }
    // Sampling with the same stream gives the same actions too.
    const r1 = new Rng(5);
    const r2 = new Rng(5);
    result.policy.reset();
    loaded.reset();
    for (let t = 0; t < 20; t++) {
      const obs = Array.from({ length: O }, (_, j) => (j === 0 ? 0.1 * t : 0.3 - 0.05 * j));
      expect(loaded.act(obs, { mode: "sample", rng: r2 }).action).toBe(result.policy.act(obs, { mode: "sample", rng: r1 }).action);
    }
    expectAgentError(() => loaded.act([1, 2, 3]), "invalid_observation");
    expectAgentError(() => loaded.act([...new Array<number>(O - 1).fill(1), Number.NaN]), "invalid_observation");
  });

  it("replaces an existing checkpoint atomically and leaves no temporary folders", async () => {
    const dir = join(root, "replace");
    await train({ ...TINY_DEFAULT, seed: 1, out: dir });
    const first = readFileSync(join(dir, "weights.bin"));
    // Replacing needs `force`, refused before any training otherwise.
    await expect(train({ ...TINY_DEFAULT, seed: 2, out: dir })).rejects.toThrow(/output_exists at out: .* already holds a checkpoint/);
    expect(readFileSync(join(dir, "weights.bin")).equals(first)).toBe(true);
    const replaced = await train({ ...TINY_DEFAULT, seed: 2, out: dir, force: true });
    expect(replaced.replaced).toMatch(/^a checkpoint \(\d+\/\d+ updates, complete, written /);
    expect(readFileSync(join(dir, "weights.bin")).equals(first)).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes(".replace."))).toEqual([]);
  });

  it("refuses incompatible or corrupted checkpoints with named errors", async () => {
    const dir = join(root, "compat");
    await train({ ...TINY_DEFAULT, out: dir });
    const labels = loadCheckpoint(dir).manifest.observation.labels;
    await expectAgentErrorAsync(loadPolicy(dir, { expect: { observationLabels: [...labels.slice(0, 6), "coins_share"] } }), "checkpoint_incompatible");
    await expectAgentErrorAsync(loadPolicy(dir, { expect: { observationLabels: labels.slice(0, 5) } }), "checkpoint_incompatible");
    // Resuming with another env preset changes the observation: refused.
    const bad = join(root, "bad");
    await train({ ...TINY_DEFAULT, out: bad });
    const manifestPath = join(bad, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { observation: { labels: string[] } };
    manifest.observation.labels[6] = "coin_share";
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await expectAgentErrorAsync(train({ resume: bad, progress: "none" }), "checkpoint_incompatible");
    // A truncated weight file.
    const corrupt = join(root, "corrupt");
    await train({ ...TINY_DEFAULT, out: corrupt });
    writeFileSync(join(corrupt, "weights.bin"), readFileSync(join(corrupt, "weights.bin")).subarray(0, 80));
    expectAgentError(() => loadCheckpoint(corrupt), "checkpoint_corrupt");
    expectAgentError(() => loadCheckpoint(join(root, "nothing-here")), "checkpoint_missing");
    expect(existsSync(join(root, "nothing-here"))).toBe(false);
  });

  it("resumes from a checkpoint and continues the schedule (updates, learning rate, optimiser, metrics file)", async () => {
    const dir = join(root, "resume");
    const input: TrainConfigInput = { ...TINY_DEFAULT, steps: 8 * 32, out: dir, maxSeconds: null };
    // Stop after 4 of 8 updates by asking for half the budget… then resume asking for the whole of it.
    await train({ ...input, steps: 4 * 32 });
    const half = loadCheckpoint(dir).manifest;
    expect(half.training.updates).toBe(4);
    const resumed = await train({ resume: dir, steps: 8 * 32, out: dir, progress: "none" });
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { update: number; learning_rate: number; env_steps: number });
    expect(lines.map((l) => l.update)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(lines.map((l) => l.env_steps)).toEqual([32, 64, 96, 128, 160, 192, 224, 256]);
    // The first half ran a 4-update schedule; the resumed half continues a linear decay over 8 updates.
    expect(resumed.metrics.map((m) => m.learning_rate)).toEqual([4, 3, 2, 1].map((k) => 0.003 * (k / 8)));
    const full = loadCheckpoint(dir).manifest;
    expect(full.training.updates).toBe(8);
    expect(full.training.resumedFrom).not.toBeNull();
    expect(full.training.optimizerStep).toBe(half.training.optimizerStep * 2);
  });

  it("an aborted signal stops at the next update: checkpoint marked interrupted, resumable, --checkpoint-every saves are partial", async () => {
    const dir = join(root, "interrupted");
    const controller = new AbortController();
    const partials: string[] = [];
    const r = await train(
      { ...TINY_DEFAULT, steps: 32 * 100, out: dir, checkpointEvery: 1 },
      {
        signal: controller.signal,
        onUpdate: (m) => {
          if (m.update === 2) partials.push(loadCheckpoint(dir).manifest.training.status);
          if (m.update === 3) controller.abort(new InterruptedError("SIGTERM"));
        },
      },
    );
    expect(partials).toEqual(["partial"]);
    expect(r.status).toBe("interrupted");
    expect(r.stopSignal).toBe("SIGTERM");
    const m = loadCheckpoint(dir).manifest;
    expect([m.training.status, m.training.stopSignal, m.training.updates, m.training.numUpdates]).toEqual(["interrupted", "SIGTERM", 3, 100]);
    const resumed = await train({ resume: dir, steps: 32 * 5, progress: "none", out: dir });
    expect(resumed.status).toBe("complete");
    expect(loadCheckpoint(dir).manifest.training.updates).toBe(5);
    // A stopped checkpoint can always be resumed without a budget flag: it goes on to the planned budget.
    await expectAgentErrorAsync(train({ resume: dir, progress: "none", out: dir }), "invalid_config");
  });

  it("validates its config at the edge, naming the field", async () => {
    await expectAgentErrorAsync(train({ preset: "seed", episodes: 0 }), "invalid_config");
    await expectAgentErrorAsync(train({ preset: "seed", agent: { ppo: { gamma: 2 } }, progress: "none" }), "invalid_config");
    await expectAgentErrorAsync(train({ preset: "default", agent: { ppo: { rolloutSteps: 100, sequenceLength: 30 } }, progress: "none" }), "invalid_config");
    try {
      await train({ preset: "seed", agent: { ppo: { gamma: 2 } }, progress: "none" });
    } catch (err) {
      expect((err as AgentError).field).toBe("agent.ppo.gamma");
    }
  });
});
