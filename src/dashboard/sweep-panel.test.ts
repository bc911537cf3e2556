import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TrialStatus } from "../jobs/sweep/queue.js";
import { sweepProgressFile, writeSweepProgress, type SweepProgress } from "../jobs/sweep/run-sweep.js";
import { sweepDirProblem, SweepProgressSource } from "./sweep-panel.js";

/**
 * The sweeps panel's model on files written by the sweep's own writer (sweepProgressFile + writeSweepProgress),
 * at hand-picked times: counts, per-trial state, the running trials' share done (hand-worked), the best so far,
 * the stale flag and what an unreadable or older file does.
 */
const dir = mkdtempSync(join(tmpdir(), "dash-sweep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const status = (id: string, state: TrialStatus["state"], progress: TrialStatus["progress"] = null, worker: string | null = null): TrialStatus => ({ id, state, progress, worker });

/** Four trials: a and c completed (c the better), b running on w1 (run 1 of 2, update 3 of 4), d waiting. */
function snapshot(): SweepProgress {
  const trials = [status("t-a", "completed", null, "w0"), status("t-b", "active", { run: 1, runs: 2, update: 3, updates: 4 }, "w1"), status("t-c", "completed", null, "w0"), status("t-d", "waiting")];
  return { total: 4, completed: 2, failed: 0, waiting: 1, active: trials.filter((t) => t.state === "active"), seconds: 12, trials };
}
const values = new Map<string, number | null>([["t-a", 0.25], ["t-c", 1.5]]);
const indexOf = new Map([["t-a", 0], ["t-b", 1], ["t-c", 2], ["t-d", 3]]);

function write(root: string, p: SweepProgress, finished: boolean, at: number): void {
  writeSweepProgress(root, sweepProgressFile("unit", p, finished, "sharpe", values, indexOf, new Date(at)));
}

describe("the sweeps panel's model", () => {
  it("counts, every trial's state and value, the running share done, the best so far and the last update", () => {
    const root = join(dir, "live");
    mkdirSync(root);
    write(root, snapshot(), false, T0);
    const src = new SweepProgressSource(root);
    expect(src.poll()).toBe(true);
    expect(src.poll()).toBe(false); // unchanged file: not parsed again
    const v = src.view(T0 + 2_000, 15_000);
    expect(v).toMatchObject({ name: "unit", status: "running", total: 4, completed: 2, running: 1, failed: 0, queued: 1, rankMetric: "sharpe", best: { id: "t-c", index: 2, value: 1.5 }, updatedAt: T0, ageMs: 2_000, stale: false, problem: null });
    expect(v.detail).toBe("updated 2.0 s ago");
    expect(v.trials.map((t) => [t.index, t.id, t.state, t.worker, t.value, t.done, t.best])).toEqual([
      [0, "t-a", "completed", "w0", 0.25, null, false],
      // (1 run + 3/4 of the next) of 2 runs
      [1, "t-b", "active", "w1", null, 0.875, false],
      [2, "t-c", "completed", "w0", 1.5, null, true],
      [3, "t-d", "waiting", null, null, null, false],
    ]);
  });

  it("stale once the file is older than the bound while unfinished; a finished sweep is never stale", () => {
    const root = join(dir, "stale");
    mkdirSync(root);
    write(root, snapshot(), false, T0);
    const src = new SweepProgressSource(root);
    src.poll();
    expect(src.view(T0 + 15_000, 15_000).stale).toBe(false);
    const late = src.view(T0 + 15_001, 15_000);
    expect(late).toMatchObject({ status: "stale", stale: true });
    expect(late.detail).toMatch(/^no update for 15\.0 s \(bound 15\.0 s\): the submitter stopped or died/);
    const done = snapshot();
    write(root, { ...done, completed: 4, waiting: 0, active: [], trials: done.trials.map((t) => ({ ...t, state: "completed", progress: null })) }, true, T0 + 20_000);
    expect(src.poll()).toBe(true);
    expect(src.view(T0 + 3_600_000, 15_000)).toMatchObject({ status: "finished", stale: false, completed: 4, running: 0 });
  });

  it("no file yet: waiting; a file that does not parse keeps the last good figures and says why; a vanished one says so", () => {
    const root = join(dir, "bad");
    mkdirSync(root);
    const src = new SweepProgressSource(root);
    expect(src.poll()).toBe(false);
    expect(src.view(T0, 15_000)).toMatchObject({ status: "waiting", total: null, trials: [] });
    writeFileSync(join(root, "progress.json"), "{ half");
    src.poll();
    expect(src.view(T0, 15_000)).toMatchObject({ status: "error", detail: "progress.json is not JSON" });
    write(root, snapshot(), false, T0);
    src.poll();
    writeFileSync(join(root, "progress.json"), JSON.stringify({ format: "drl-trading-lab/sweep-progress", name: "unit" }));
    src.poll();
    const kept = src.view(T0 + 1_000, 15_000);
    expect(kept).toMatchObject({ status: "running", completed: 2, problem: "progress.json: updatedAt: Invalid input: expected string, received undefined" });
    rmSync(join(root, "progress.json"));
    expect(src.poll()).toBe(true);
    expect(src.view(T0 + 1_000, 15_000).problem).toMatch(/vanished/);
  });

  it("a progress.json from before per-trial states shows its running trials and the counts", () => {
    const root = join(dir, "old");
    mkdirSync(root);
    write(root, snapshot(), false, T0);
    const { trials: _t, best: _b, rankMetric: _r, ...older } = JSON.parse(readFileSync(join(root, "progress.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(root, "progress.json"), JSON.stringify(older));
    const src = new SweepProgressSource(root);
    src.poll();
    const v = src.view(T0, 15_000);
    expect(v).toMatchObject({ status: "running", completed: 2, queued: 1, rankMetric: null, best: null });
    expect(v.trials.map((t) => [t.id, t.state, t.done])).toEqual([["t-b", "active", 0.875]]);
  });

  it("--sweep must name a sweep folder: missing, a file, a user's folder are refused; a folder with the sweep's progress.json is accepted", () => {
    expect(sweepDirProblem(join(dir, "nope"))).toMatch(/does not exist/);
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(sweepDirProblem(join(dir, "notes.txt"))).toMatch(/is a file, not a sweep folder/);
    mkdirSync(join(dir, "mine"));
    writeFileSync(join(dir, "mine", "sweep.json"), JSON.stringify({ format: "something-else" }));
    expect(sweepDirProblem(join(dir, "mine"))).toMatch(/is not a sweep folder the project wrote/);
    expect(sweepDirProblem(join(dir, "live"))).toBeNull();
  });
});
