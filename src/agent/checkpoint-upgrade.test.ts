import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "./checkpoint.js";
import { loadPolicy } from "./load-policy.js";
import { train } from "./train.js";

const root = mkdtempSync(join(tmpdir(), "ck-upgrade-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("checkpoint format 1 (one LSTM bias, a categorical head, no custom section)", () => {
  it("is read as format 2 (one bias, categorical head) and acts exactly as before", async () => {
    const dir = join(root, "v1");
    const r = await train({ preset: "default", agent: { ppo: { numEnvs: 2, rolloutSteps: 16, sequenceLength: 16, numMinibatches: 1, updateEpochs: 1 } }, steps: 64, seed: 1, out: dir, progress: "none" }, { write: () => {} });
    // Write the manifest as version 1 wrote it.
    const path = join(dir, "manifest.json");
    const m = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown> & { network: Record<string, unknown>; agent: { network: Record<string, unknown> } };
    m["formatVersion"] = 1;
    delete m.network["head"];
    delete m.agent.network["lstmBias"];
    delete m.agent.network["trunk"];
    delete m.agent.network["mlpUnits"];
    delete m["custom"];
    writeFileSync(path, JSON.stringify(m));
    const cp = loadCheckpoint(dir);
    expect(cp.manifest.formatVersion).toBe(2);
    expect(cp.manifest.network.head).toEqual({ kind: "categorical", actions: 3 });
    expect(cp.manifest.agent.network.lstmBias).toBe("single");
    const p = await loadPolicy(dir);
    const obs = new Array<number>(p.observationSize).fill(0.2);
    r.policy.reset();
    expect(p.act(obs)).toEqual(r.policy.act(obs));
  });
});
