import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InProcessTrialQueue } from "./queue.js";
import { runSweep, type SweepProgressFile } from "./run-sweep.js";
import { expandSweep, parseSweepFile, SweepSpecError, type SweepFileInput } from "./spec.js";
import type { TrialResult } from "./trial.js";

const dir = mkdtempSync(join(tmpdir(), "sweep-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two tiny trials on the embedded market: 2 updates of the default agent each, short windows. */
export const TINY_SWEEP: SweepFileInput = {
  name: "tiny",
  base: { preset: "default", envPreset: "seed", engine: "fused" },
  grid: { "agent.ppo.learningRate": [0.001, 0.003] },
  seeds: [0],
  windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } },
  budget: { steps: 1_024 },
};

describe("runSweep (in-process queue)", () => {
  const sweep = expandSweep(parseSweepFile(TINY_SWEEP));
  const root = join(dir, "tiny");

  it("runs every trial, writes the ranked table, the report and summary.json, and the --json trials", async () => {
    const queue = new InProcessTrialQueue();
    const lines: string[] = [];
    // Polled often with a signal: its abort listeners must not pile up poll after poll.
    const signal = new AbortController().signal;
    let polls = 0;
    let listeners = 0;
    const onProgress = (): void => {
      polls++;
      listeners = Math.max(listeners, getEventListeners(signal, "abort").length);
    };
    const r = await runSweep({ sweep, file: "tiny.json", root, queue, log: (l) => lines.push(l), resamples: 100, progressEveryMs: 0, pollMs: 5, signal, onProgress });
    await queue.close();
    expect(polls).toBeGreaterThan(5);
    expect(listeners).toBeLessThanOrEqual(1);
    expect(r.summary.trials).toHaveLength(2);
    expect(r.summary.trialsTried).toBe(2);
    expect(r.table).toMatch(/agent\.ppo\.learningRate/);
    expect(r.table).toMatch(/deflated Sharpe ratio for N = 2 trial\(s\) tried/);
    for (const p of [r.tablePath, r.reportPath, r.summaryPath, join(root, "sweep.json")]) expect(existsSync(p)).toBe(true);
    const progress = JSON.parse(readFileSync(join(root, "progress.json"), "utf8")) as SweepProgressFile;
    expect(progress).toMatchObject({ format: "drl-trading-lab/sweep-progress", name: "tiny", finished: true, total: 2, completed: 2, failed: 0, waiting: 0, active: [], rankMetric: "sharpe" });
    const trials = r.json["trials"] as { id: string; varied: Record<string, number>; seeds: number[]; outOfSample: { sharpe: { mean: number } } }[];
    // Every trial with its state and rank value, the best so far: the ranked table's (summary.json's) figures.
    expect(progress.trials.map((t) => [t.id, t.index, t.state])).toEqual(sweep.trials.map((t) => [t.id, t.index, "completed"]));
    for (const t of progress.trials) expect(t.value).toBe(trials.find((x) => x.id === t.id)!.outOfSample.sharpe.mean);
    expect(progress.best).toEqual({ id: trials[0]!.id, index: sweep.trials.find((t) => t.id === trials[0]!.id)!.index, value: trials[0]!.outOfSample.sharpe.mean });
    expect(trials.map((t) => t.varied["agent.ppo.learningRate"]).sort()).toEqual([0.001, 0.003]);
    expect(trials[0]!.seeds).toEqual([0]);
    expect(typeof trials[0]!.outOfSample.sharpe.mean).toBe("number");
    for (const t of sweep.trials) expect(existsSync(join(root, "trials", t.id, "result.json"))).toBe(true);
    expect(lines[0]).toMatch(/^sweep tiny: 2 trial\(s\), 0 already done/);
  }, 180_000);

  it("a resubmission finds its runs on disk: the same results, nothing trained again", async () => {
    const queue = new InProcessTrialQueue();
    const first = JSON.parse(readFileSync(join(root, "summary.json"), "utf8")) as { trials: unknown[] };
    const r = await runSweep({ sweep, file: "tiny.json", root, queue, resamples: 100 });
    await queue.close();
    const outcomes = await Promise.all(sweep.trials.map((t) => queue.outcome(t.id)));
    expect(outcomes.map((o) => (o !== null && "result" in o ? o.result.resumedRuns : -1))).toEqual([1, 1]);
    expect((r.json["trials"] as { seconds?: number }[]).map(({ seconds: _s, ...t }) => t)).toEqual(first.trials.map((t) => {
      const { seconds: _s, ...rest } = t as { seconds: number };
      return rest;
    }));
  });

  it("refuses a folder that holds another sweep, and a resume with nothing to resume", async () => {
    const other = expandSweep(parseSweepFile({ ...TINY_SWEEP, budget: { steps: 512 } }));
    await expect(runSweep({ sweep: other, file: "other.json", root, queue: new InProcessTrialQueue() })).rejects.toThrow(SweepSpecError);
    await expect(runSweep({ sweep, file: "tiny.json", root: join(dir, "empty"), queue: new InProcessTrialQueue(), resume: true })).rejects.toThrow(/no sweep to resume/);
  });

  it("never writes into a folder of the user's: refused before anything is queued, the files untouched", async () => {
    const mine = join(dir, "mine");
    mkdirSync(mine);
    writeFileSync(join(mine, "notes.txt"), "my notes");
    writeFileSync(join(mine, "table.txt"), "my table");
    const queue = new InProcessTrialQueue();
    await expect(runSweep({ sweep, file: "tiny.json", root: mine, queue })).rejects.toThrow(/notes\.txt|not a sweep folder|project did not write/);
    expect(await queue.status(sweep.trials.map((t) => t.id))).toEqual(sweep.trials.map((t) => ({ id: t.id, state: "missing", progress: null, worker: null })));
    expect(readdirSync(mine).sort()).toEqual(["notes.txt", "table.txt"]);
    expect(readFileSync(join(mine, "table.txt"), "utf8")).toBe("my table");
  });
  it("a portfolio trial: trained on the embedded pair, backtested in and out of sample against the equal-weight hold", async () => {
    const pf = expandSweep(
      parseSweepFile({
        name: "tiny-pf",
        kind: "portfolio",
        base: { preset: "default", engine: "fused" },
        grid: { "env.actions": [{ kind: "weight_levels", levels: [0, 1] }] },
        seeds: [0],
        windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } },
        budget: { steps: 1_024 },
      }),
    );
    const queue = new InProcessTrialQueue();
    const pfRoot = join(dir, "tiny-pf");
    await runSweep({ sweep: pf, file: "tiny-pf.json", root: pfRoot, queue, log: () => {}, resamples: 100, progressEveryMs: 0, pollMs: 5 });
    await queue.close();
    const trial = JSON.parse(readFileSync(join(pfRoot, "trials", pf.trials[0]!.id, "result.json"), "utf8")) as TrialResult;
    expect(trial.kind).toBe("portfolio");
    const run = trial.runs[0]!;
    expect(run.envSteps).toBeGreaterThanOrEqual(1_024);
    // Hourly bars 2022-11-15 → 2022-12-15: one step return per bar after the first, for the agent and the benchmark alike.
    expect(run.oosReturns.length).toBeGreaterThan(700);
    expect(run.oosBenchmarkReturns).toHaveLength(run.oosReturns.length);
    // The benchmark's out-of-sample path is the equal-weight hold: its total return is the compounded step returns.
    const compounded = run.oosBenchmarkReturns.reduce((v, r) => v * (1 + r), 1) - 1;
    expect(run.outOfSample.benchmark.totalReturn).toBeCloseTo(compounded, 9);
  }, 180_000);
});
