import { describe, expect, it } from "vitest";
import { computeMetrics, type BacktestMetrics } from "../../eval/metrics.js";
import { deflatedSharpeOfBest } from "../../eval/stats.js";
import { Rng } from "../../util/rng.js";
import type { TrialSpec } from "./spec.js";
import { summariseSweep, trialBenchmarkReturns, trialReturns } from "./summary.js";
import type { RunResult, TrialResult } from "./trial.js";

/** Metrics of an equity curve built from one-step returns, through the evaluation module. */
function metricsOf(returns: readonly number[]): BacktestMetrics {
  const n = returns.length;
  const value = new Float64Array(n + 1);
  value[0] = 100;
  returns.forEach((r, t) => (value[t + 1] = value[t]! * (1 + r)));
  return computeMetrics({ value, holdValue: new Float64Array(n + 1).fill(100), exposure: new Float64Array(n).fill(1), executed: new Uint8Array(n), turnedIntoHold: new Uint8Array(n), tradedNotional: new Float64Array(n), fees: new Float64Array(n), periodMs: 3_600_000 });
}

function run(fold: number, seed: number, returns: number[]): RunResult {
  const m = metricsOf(returns);
  return { fold, seed, inSample: { agent: m, benchmark: m }, outOfSample: { agent: m, benchmark: m }, oosReturns: returns, oosBenchmarkReturns: returns.map((_, t) => 0.001 * ((t % 3) - 1)), envSteps: 1, trainSeconds: 0, seconds: 0, engine: "fused", checkpoint: null };
}

function trial(id: string, index: number, runs: RunResult[]): { spec: TrialSpec; result: TrialResult } {
  const spec: TrialSpec = { id, index, kind: "single", varied: { x: index }, config: {}, seeds: [0, 1], folds: [{ index: 0, trainStart: null, trainEnd: "2022-01-01", testEnd: null }, { index: 1, trainStart: null, trainEnd: "2022-02-01", testEnd: null }], budget: { steps: 1, maxSeconds: null }, dataSha256: "x" };
  return { spec, result: { format: 1, trialId: id, index, kind: "single", varied: spec.varied, seeds: spec.seeds, folds: spec.folds, runs, seconds: 1, cpuSeconds: 1, resumedRuns: 0, dir: "" } };
}

describe("sweep summary", () => {
  it("a trial's out-of-sample returns: per fold the per-bar mean over seeds, folds in order", () => {
    const t = trial("a", 0, [run(0, 0, [0.01, 0.02]), run(0, 1, [0.03, 0.0]), run(1, 0, [-0.01]), run(1, 1, [0.05, 0.01])]);
    // Fold 1 seed 0 ended after one bar (ruin): its second bar's mean is seed 1's alone.
    expect(Array.from(trialReturns(t.result))).toEqual([0.02, 0.01, 0.02, 0.01]);
    // The benchmark over the same bars: the same for every seed of a fold (its longest series).
    expect(Array.from(trialBenchmarkReturns(t.result))).toEqual([-0.001, 0, -0.001, 0]);
  });

  it("ranks by the out-of-sample metric and deflates the best Sharpe for the trials actually tried", () => {
    const rng = new Rng(3);
    const series = (drift: number) => Array.from({ length: 200 }, () => drift + 0.01 * rng.normal());
    const trials = [0.0, 0.002, 0.001].map((drift, i) => trial(`t${i}`, i, [run(0, 0, series(drift)), run(0, 1, series(drift))]));
    const outcomes = new Map<string, { result: TrialResult } | { reason: string }>(trials.map((t) => [t.spec.id, { result: t.result }]));
    const broken = trial("bad", 3, []);
    outcomes.set("bad", { reason: "boom" });
    const s = summariseSweep([...trials.map((t) => t.spec), broken.spec], outcomes, { resamples: 200 });
    expect(s.trials.map((t) => t.id)).toEqual([...s.trials].sort((a, b) => b.outOfSample.metrics.sharpe.mean! - a.outOfSample.metrics.sharpe.mean!).map((t) => t.id));
    expect(s.trials.map((t) => t.rank)).toEqual([1, 2, 3]);
    expect(s.failed).toEqual([{ id: "bad", index: 3, varied: { x: 3 }, reason: "boom" }]);
    expect(s.trialsTried).toBe(3);
    // The same numbers straight from the evaluation module: N = 3 (the failed trial is not a trial tried).
    const direct = deflatedSharpeOfBest(trials.map((t) => ({ name: t.spec.id, returns: trialReturns(t.result) })));
    expect(s.deflated?.dsr).toBe(direct.dsr);
    expect(s.deflated?.best).toBe(direct.best);
    expect(s.deflated?.trials).toBe(3);
    // The deflated information ratio: the same function over the active returns (trial − benchmark).
    const active = deflatedSharpeOfBest(trials.map((t) => ({ name: t.spec.id, returns: trialReturns(t.result).map((x, i) => x - trialBenchmarkReturns(t.result)[i]!) })));
    expect(s.deflatedInformation?.dsr).toBe(active.dsr);
    expect(s.deflatedInformation?.trials).toBe(3);
    expect(s.deflatedInformation?.dsr).not.toBe(s.deflated?.dsr);
    const m = s.trials[0]!.outOfSample.metrics.sharpe;
    expect(m.runs).toBe(2);
    expect(m.ci).not.toBeNull();
  });
});
