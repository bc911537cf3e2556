import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCandlesCsv } from "../data/csv.js";
import { resolveEnvConfig, type EnvModel } from "../env/index.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { randomPolicy } from "../eval/baselines.js";
import { checkpointDirs, runBacktestJob, type LoadedPolicy, type PolicyLoader } from "./backtest-job.js";
import { EvalError } from "../eval/errors.js";
import { METRIC_FIELDS } from "../eval/metrics.js";

const dir = mkdtempSync(join(tmpdir(), "backtest-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, "candles.csv");
writeCandlesCsv(csv, syntheticCandles(400, 2));

/** A loader whose "checkpoints" are random policies; `features` decides whether it matches the data. */
function fakeLoader(features = ["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct"]): PolicyLoader {
  return async (d: string): Promise<LoadedPolicy> => ({
    dir: d,
    env: resolveEnvConfig("seed"),
    seed: 0,
    trainedOn: {},
    trainingLogPath: null,
    featuresFor: () => null,
    checkCompatible(model: EnvModel) {
      if (model.market.featureNames.join() !== features.join()) throw new EvalError("checkpoint_mismatch", "features differ", `${d}/manifest.json:features`);
    },
    makePolicy: () => ({ ...randomPolicy({ actions: { space: { kind: "discrete", n: 3, labels: [] } } } as unknown as EnvModel), name: "agent" }),
  });
}

describe("runBacktestJob", () => {
  it("prints every documented JSON field and writes a report (baselines only)", async () => {
    const out = await runBacktestJob(
      { checkpoint: null, data: csv, start: "2020-01-03", sample: false, seeds: 1, runName: "b", gridSize: 51, command: "test", reportsDir: dir, resamples: 100 },
      null,
    );
    const j = out.json;
    expect(Object.keys(j).sort()).toEqual(["agent", "agentSummary", "baselines", "beatBuyAndHoldShare", "deflation", "perfectForesight", "report", "sharpeTest", "window"]);
    expect(j["agent"]).toBeNull();
    expect((j["window"] as { start: string }).start).toBe("2020-01-03T00:00:00.000Z");
    const bh = (j["baselines"] as Record<string, Record<string, unknown>>)["buy_and_hold"]!;
    for (const f of METRIC_FIELDS) expect(f in bh).toBe(true);
    // The object survives a JSON round trip (null, not NaN or undefined).
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it("runs K sampled runs of one checkpoint, and one run per checkpoint of a multi-seed folder", async () => {
    const one = join(dir, "ck");
    mkdirSync(one, { recursive: true });
    writeFileSync(join(one, "manifest.json"), "{}");
    const a = await runBacktestJob({ checkpoint: one, data: csv, sample: false, seeds: 3, runName: "k", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, fakeLoader());
    expect(a.result.evaluation.agentRuns).toHaveLength(3);
    // The first run's steps as CSV next to the report: a header and one line per step.
    const csvText = readFileSync(join(dir, "k", "trace.csv"), "utf8").trim().split("\n");
    expect(csvText[0]).toBe("timestamp,price,action,actionLabel,executed,holdReason,fillPrice,fee,cash,coins,value,exposure");
    expect(csvText).toHaveLength(a.result.evaluation.agentRuns[0]!.steps + 1);
    expect(a.json["agentSummary"]).not.toBeNull();
    const multi = join(dir, "multi");
    for (const s of ["seed-10", "seed-2", "seed-1"]) {
      mkdirSync(join(multi, s), { recursive: true });
      writeFileSync(join(multi, s, "manifest.json"), "{}");
    }
    expect(checkpointDirs(multi).map((p) => p.split("/").pop())).toEqual(["seed-1", "seed-2", "seed-10"]);
    const b = await runBacktestJob({ checkpoint: multi, data: csv, sample: false, seeds: 2, runName: "m", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, fakeLoader());
    expect(b.result.evaluation.agentRuns).toHaveLength(2);
  });

  it("refuses a checkpoint whose features do not match the data", async () => {
    const one = join(dir, "ck2");
    mkdirSync(one, { recursive: true });
    writeFileSync(join(one, "manifest.json"), "{}");
    await expect(
      runBacktestJob({ checkpoint: one, data: csv, sample: false, seeds: 1, runName: "x", gridSize: 51, command: "t", reportsDir: dir }, fakeLoader(["close_z"])),
    ).rejects.toThrow(/checkpoint_mismatch/);
    expect(() => checkpointDirs(join(dir, "nothing"))).toThrow(/checkpoint_unreadable/);
  });
});
