import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sliceCandles } from "../../data/candles.js";
import { writeCandlesCsv } from "../../data/csv.js";
import { loadEmbeddedMarket } from "../../data/embedded.js";
import { runTrial } from "./trial.js";
import { expandSweep, formatPath, parseSweepFile, readSweepFile, setPath, SweepSpecError, variedPoints, type SweepFileInput } from "./spec.js";

const dir = mkdtempSync(join(tmpdir(), "sweep-spec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE: SweepFileInput = {
  name: "t",
  base: { preset: "default", envPreset: "exposure" },
  grid: { "agent.ppo.learningRate": [0.001, 0.0003], "env.reward.base.kind": ["log_return", "differential_sharpe"] },
  seeds: { count: 2 },
  windows: { split: { trainStart: "2022-01-01", trainEnd: "2022-07-01" } },
  budget: { steps: 1000 },
};

function where(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof SweepSpecError) return `${e.where}: ${e.detail}`;
    throw e;
  }
  return "no error";
}

describe("sweep files", () => {
  it("name the field that is wrong", () => {
    expect(where(() => parseSweepFile({ ...BASE, budget: {} }, "s.json"))).toBe("s.json: budget.steps: Invalid input: expected number, received undefined");
    expect(where(() => parseSweepFile({ ...BASE, grid: { "agent.ppo.learningRate": [] } }, "s.json"))).toBe('s.json: grid["agent.ppo.learningRate"]: expected at least one value');
    expect(where(() => parseSweepFile({ ...BASE, grid: { "agent..x": [1] } }, "s.json"))).toMatch(/^s\.json: grid\["agent\.\.x"\]: expected a dot path/);
    expect(where(() => parseSweepFile({ ...BASE, base: { seed: 3 } }, "s.json"))).toMatch(/^s\.json: base\.seed: set by the sweep/);
    expect(where(() => parseSweepFile({ ...BASE, grid: { seed: [1, 2] } }, "s.json"))).toMatch(/"seed": set by the sweep/);
    expect(where(() => parseSweepFile({ ...BASE, random: { trials: 2, fields: { "agent.ppo.learningRate": { uniform: [0, 1] } } } }, "s.json"))).toMatch(/random\.fields\["agent\.ppo\.learningRate"\]: varied by the grid already/);
    expect(where(() => parseSweepFile({ ...BASE, random: { trials: 2, fields: { "agent.ppo.gamma": { uniform: [1, 0] } } } }, "s.json"))).toMatch(/expected lo ≤ hi/);
    expect(where(() => parseSweepFile({ ...BASE, typo: 1 } as never, "s.json"))).toMatch(/^s\.json: \(root\): Unrecognized key/);
    expect(formatPath(["windows", "split", "trainEnd"])).toBe("windows.split.trainEnd");
  });

  it("name the trial and the config field that its resolved config breaks", () => {
    const f = parseSweepFile({ ...BASE, grid: { "agent.ppo.learningRat": [0.1] } }, "s.json");
    expect(where(() => expandSweep(f, { where: "s.json" }))).toMatch(/^s\.json: trial 0 \(agent\.ppo\.learningRat=0\.1\): agent\.ppo: Unrecognized key: "learningRat"/);
    const g = parseSweepFile({ ...BASE, grid: { "agent.ppo.gamma": [0.9, 2] } }, "s.json");
    expect(where(() => expandSweep(g, { where: "s.json" }))).toMatch(/^s\.json: trial 1 \(agent\.ppo\.gamma=2\): agent\.ppo\.gamma:/);
    const p = parseSweepFile({ ...BASE, kind: "portfolio", base: {}, grid: { "env.actions": [{ kind: "weight_levels", levels: [0, 2] }] } }, "s.json");
    expect(where(() => expandSweep(p, { where: "s.json" }))).toMatch(/^s\.json: trial 0 .*: env\.actions\.levels\.1:/);
  });

  it("reads YAML as JSON", () => {
    const path = join(dir, "s.yaml");
    writeFileSync(path, "name: y\ngrid:\n  agent.ppo.learningRate: [0.001]\nwindows:\n  split: { trainEnd: '2022-07-01' }\nbudget: { steps: 10 }\n");
    const f = readSweepFile(path);
    expect(f.grid).toEqual({ "agent.ppo.learningRate": [0.001] });
    writeFileSync(path, "name: [");
    expect(where(() => readSweepFile(path))).toMatch(/s\.yaml: not valid YAML/);
  });

  it("expands the grid in the file's order, then seeded random draws per grid point", () => {
    const f = parseSweepFile(BASE);
    expect(variedPoints(f)).toEqual([
      { "agent.ppo.learningRate": 0.001, "env.reward.base.kind": "log_return" },
      { "agent.ppo.learningRate": 0.001, "env.reward.base.kind": "differential_sharpe" },
      { "agent.ppo.learningRate": 0.0003, "env.reward.base.kind": "log_return" },
      { "agent.ppo.learningRate": 0.0003, "env.reward.base.kind": "differential_sharpe" },
    ]);
    const r = parseSweepFile({ ...BASE, grid: { "agent.ppo.learningRate": [0.001] }, random: { trials: 3, seed: 4, fields: { "agent.ppo.entropyCoef": { logUniform: [1e-4, 1e-1] }, "agent.network.lstmUnits": { choice: [8, 16] }, "agent.ppo.updateEpochs": { int: [1, 4] } } } });
    const a = variedPoints(r);
    expect(a).toHaveLength(3);
    expect(variedPoints(r)).toEqual(a);
    for (const p of a) {
      expect(p["agent.ppo.entropyCoef"]).toBeGreaterThanOrEqual(1e-4);
      expect(p["agent.ppo.entropyCoef"]).toBeLessThanOrEqual(1e-1);
      expect([8, 16]).toContain(p["agent.network.lstmUnits"]);
      expect(Number.isInteger(p["agent.ppo.updateEpochs"])).toBe(true);
    }
    expect(variedPoints(parseSweepFile({ ...r, random: { ...r.random!, seed: 5 } }))).not.toEqual(a);
  });

  it("gives each trial an id of its content: same trial, same id, in any sweep", () => {
    const a = expandSweep(parseSweepFile(BASE));
    expect(a.trials.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(a.trials.every((t) => /^t-[0-9a-f]{16}$/.test(t.id))).toBe(true);
    const renamed = expandSweep(parseSweepFile({ ...BASE, name: "other", grid: { "env.reward.base.kind": ["differential_sharpe"], "agent.ppo.learningRate": [0.001] } }));
    expect(renamed.trials[0]!.id).toBe(a.trials[1]!.id);
    expect(renamed.hash).not.toBe(a.hash);
    const moreSteps = expandSweep(parseSweepFile({ ...BASE, budget: { steps: 2000 } }));
    expect(moreSteps.trials[0]!.id).not.toBe(a.trials[0]!.id);
    expect(a.trials[0]!.config).toEqual({ preset: "default", envPreset: "exposure", agent: { ppo: { learningRate: 0.001 } }, env: { reward: { base: { kind: "log_return" } } } });
    expect(a.trials[0]!.seeds).toEqual([0, 1]);
  });

  it("includes the data's content in the id, and a worker with other data refuses the trial", async () => {
    const csv = join(dir, "m.csv");
    const market = loadEmbeddedMarket();
    writeCandlesCsv(csv, sliceCandles(market, 0, 3000));
    const file = { ...BASE, base: { ...BASE.base, data: csv }, windows: { split: { trainEnd: "2021-03-01" } } };
    const before = expandSweep(parseSweepFile(file)).trials[0]!;
    writeCandlesCsv(csv, sliceCandles(market, 1, 3000)); // same path, other rows: a re-download
    const after = expandSweep(parseSweepFile(file)).trials[0]!;
    expect(after.id).not.toBe(before.id);
    expect(after.dataSha256).not.toBe(before.dataSha256);
    await expect(runTrial(before, { resultsDir: join(dir, "r") })).rejects.toThrow(/this worker's data .*m\.csv\) has SHA-256 .*, the sweep was submitted for/);
    expect(where(() => expandSweep(parseSweepFile({ ...file, base: { ...BASE.base, data: join(dir, "missing.csv") } }), { where: "s.json" }))).toMatch(/^s\.json: trial 0: data: /);
  });

  it("cuts walk-forward folds from the data, keeping the last maxFolds", () => {
    const f = parseSweepFile({ ...BASE, windows: { walkForward: { trainDays: 180, testDays: 90, maxFolds: 2 } } });
    const folds = expandSweep(f).trials[0]!.folds;
    expect(folds).toHaveLength(2);
    // Test windows tile: each fold moves on by its 90-day test window, and the last one ends inside the data.
    expect(Date.parse(folds[1]!.trainEnd) - Date.parse(folds[0]!.trainEnd)).toBe(90 * 86_400_000);
    expect(folds[0]!.testEnd).toBe(folds[1]!.trainEnd);
    expect(Date.parse(folds[1]!.testEnd!)).toBeLessThanOrEqual(Date.parse("2023-01-01"));
    expect(Date.parse(folds[1]!.trainEnd) - Date.parse(folds[1]!.trainStart!)).toBe(180 * 86_400_000);
  });

  it("the sweep files that ship (sweeps/) are valid and expand", () => {
    const folder = fileURLToPath(new URL("../../../sweeps/", import.meta.url));
    const files = readdirSync(folder).filter((f) => /\.(json|ya?ml)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(["example.json", "portfolio.yaml"]));
    for (const f of files) expect(expandSweep(readSweepFile(join(folder, f)), { where: f }).trials.length).toBeGreaterThan(0);
  });

  it("setPath creates objects and refuses to go through a value", () => {
    expect(setPath({ a: { b: 1 } }, "a.c.d", 2)).toEqual({ a: { b: 1, c: { d: 2 } } });
    expect(where(() => setPath({ a: 3 }, "a.b", 1))).toMatch(/a is 3 in the base config, not an object/);
  });
});
