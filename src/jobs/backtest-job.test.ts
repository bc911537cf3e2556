import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCandlesCsv, writeCandlesCsv } from "../data/csv.js";
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
function fakeLoader(features = ["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct"], extra: (d: string) => Partial<LoadedPolicy> = () => ({})): PolicyLoader {
  return async (d: string): Promise<LoadedPolicy> => ({
    dir: d,
    env: resolveEnvConfig("seed"),
    seed: 0,
    trainedOn: {},
    ...extra(d),
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
    expect(Object.keys(j).sort()).toEqual(["agent", "agentSummary", "baselines", "beatBuyAndHoldShare", "deflation", "notes", "perfectForesight", "report", "sharpeTest", "sharpeTests", "window"]);
    expect(j["agent"]).toBeNull();
    expect((j["window"] as { start: string }).start).toBe("2020-01-03T00:00:00.000Z");
    const bh = (j["baselines"] as Record<string, Record<string, unknown>>)["buy_and_hold"]!;
    for (const f of METRIC_FIELDS) expect(f in bh).toBe(true);
    // The object survives a JSON round trip (null, not NaN or undefined).
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it("--coach: runs the subject again with the coach in the loop; the report shows the timeline and the traces", async () => {
    const out = await runBacktestJob(
      { checkpoint: null, data: csv, sample: false, seeds: 1, runName: "bc", gridSize: 51, command: "test", reportsDir: dir, resamples: 100, coach: { rules: null } },
      null,
    );
    const c = out.json["coach"] as { subject: string; coachOff: { totalReturn: number }; coachOn: { totalReturn: number }; guidance: number };
    expect(c.subject).toBe((out.result.evaluation.baselines.maCrossover).name);
    expect(c.coachOff.totalReturn).toBe((out.json["baselines"] as Record<string, { totalReturn: number }>)[c.subject]!.totalReturn);
    expect(typeof c.coachOn.totalReturn).toBe("number");
    const html = readFileSync(out.reportPath, "utf8");
    expect(html).toContain("Guidance timeline");
    expect(html).toContain("Decision traces");
    expect(Array.isArray(JSON.parse(readFileSync(join(dir, "bc", "decisions.json"), "utf8")))).toBe(true);
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
    // Each run is paired with buy-and-hold in its own Sharpe test, and the summary says so.
    expect(b.result.evaluation.sharpeTests).toHaveLength(2);
    expect(b.summary).toContain("Sharpe agent − B&H, each of the 2 runs paired with buy-and-hold on the same bars");
    // Hidden folders (a checkpoint being written) are never seeds; asking for more seeds than exist is an error.
    mkdirSync(join(multi, ".seed-3.tmp-1"), { recursive: true });
    writeFileSync(join(multi, ".seed-3.tmp-1", "manifest.json"), "{}");
    expect(checkpointDirs(multi)).toHaveLength(3);
    await expect(
      runBacktestJob({ checkpoint: multi, data: csv, sample: false, seeds: 4, runName: "m4", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, fakeLoader()),
    ).rejects.toThrow(/invalid_options at --seeds: .*multi holds 3 checkpoints \(seed-1, seed-2, seed-10\); --seeds 4 asks for more/);
    // Checkpoints that are not seeds of one run are refused, naming the differing field.
    const mixed = fakeLoader(undefined, (d) => ({ identity: { agent: { preset: "default", ppo: { gamma: d.endsWith("seed-2") ? 0.9 : 0.99 } }, budget: 100 } }));
    await expect(
      runBacktestJob({ checkpoint: multi, data: csv, sample: false, seeds: 3, runName: "m3", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, mixed),
    ).rejects.toThrow(/checkpoint_mismatch at .*seed-2\/manifest.json:agent.ppo.gamma: .*seed-2 is not a seed of the same run as .*seed-1: agent.ppo.gamma is 0.9 here, 0.99 there/);
  });

  it("says when the window is in-sample, when the data is not the training data, when a checkpoint is interrupted", async () => {
    const one = join(dir, "prov");
    mkdirSync(one, { recursive: true });
    writeFileSync(join(one, "manifest.json"), "{}");
    const sha = readCandlesCsv(csv).report.sha256;
    const trainedHere = fakeLoader(undefined, () => ({ trainedOn: { source: csv, fileSha256: sha, first: "2020-01-01T00:00:00.000Z", last: "2020-01-05T00:00:00.000Z" }, training: { status: "interrupted", updates: 3, numUpdates: 10 } }));
    const inSample = await runBacktestJob({ checkpoint: one, data: csv, sample: false, seeds: 1, runName: "p1", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, trainedHere);
    expect(inSample.result.window.label).toBe("backtest (greedy, in-sample)");
    expect(inSample.notes[0]).toMatch(/^in-sample: the window 2020-01-01 00:00 → .* overlaps the training range 2020-01-01 00:00 → 2020-01-05 00:00/);
    expect(inSample.notes[1]).toMatch(/prov is an interrupted checkpoint \(3 of 10 updates\): a partly trained agent$/);
    expect(readFileSync(inSample.reportPath, "utf8")).toContain("in-sample: the window");
    const outOfSample = await runBacktestJob({ checkpoint: one, data: csv, start: "2020-01-06", sample: false, seeds: 1, runName: "p2", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, trainedHere);
    expect(outOfSample.result.window.label).toBe("backtest (greedy, out-of-sample)");
    const otherData = fakeLoader(undefined, () => ({ trainedOn: { source: "embedded", fileSha256: "abc", first: "2020-01-01T00:00:00.000Z", last: "2020-01-05T00:00:00.000Z" } }));
    const other = await runBacktestJob({ checkpoint: one, data: csv, sample: false, seeds: 1, runName: "p3", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, otherData);
    expect(other.result.window.label).toBe("backtest (greedy, other data)");
    expect(other.json["notes"]).toEqual([expect.stringMatching(/^not the training data: the checkpoint was trained on embedded/)]);
  });

  it("refuses bad windows before loading anything, naming --start / --end; a report needs --force to be replaced", async () => {
    const run = (start: string | undefined, end: string | undefined) =>
      runBacktestJob({ checkpoint: null, data: csv, ...(start ? { start } : {}), ...(end ? { end } : {}), sample: false, seeds: 1, runName: "w", gridSize: 51, command: "t", reportsDir: dir, resamples: 100 }, null);
    await expect(run("2030-01-01", undefined)).rejects.toThrow(/--start: bad_range: expected a start at or before the data's last bar/);
    await expect(run("2020-01-05", "2020-01-02")).rejects.toThrow(/--end: bad_range: expected an end after --start 2020-01-05T00:00Z, got 2020-01-02T00:00Z/);
    await expect(run(undefined, "2019-01-01")).rejects.toThrow(/--end: bad_range: expected an end after the data's first bar/);
    await expect(run("2020-01-02", "2020-01-02T03:00")).rejects.toThrow(/invalid_window at --start: the window .* holds 3 bars; its statistics need at least 168/);
    await expect(run("2019-02-30", undefined)).rejects.toThrow(/--start: bad_date/);
    await run(undefined, undefined);
    await expect(run(undefined, undefined)).rejects.toThrow(/output_exists at run: .*w already holds a report/);
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
