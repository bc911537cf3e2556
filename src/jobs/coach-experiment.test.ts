import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCandlesCsv } from "../data/csv.js";
import { resolveEnvConfig, type EnvModel } from "../env/index.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { randomPolicy } from "../eval/baselines.js";
import type { BacktestMetrics } from "../eval/metrics.js";
import type { Trainer } from "../eval/walk-forward.js";
import { InterruptedError } from "../util/errors.js";
import { runCoachExperiment, summarisePairs, type PairResult } from "./coach-experiment.js";

const dir = mkdtempSync(join(tmpdir(), "coach-exp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, "candles.csv");
writeCandlesCsv(csv, syntheticCandles(1600, 4));

/** A trainer whose "policies" are seeded random policies (cheap stand-ins for the agent). */
const fakeTrainer: Trainer = async (req) => ({
  env: resolveEnvConfig("seed"),
  makePolicy: () => ({ ...randomPolicy({ actions: { space: { kind: "discrete", n: 3, labels: [] } } } as unknown as EnvModel), name: `agent-${req.fold}-${req.seed}` }),
});

const m = (totalReturn: number, sharpe: number | null, maxDrawdown: number, turnover: number): BacktestMetrics => ({ totalReturn, sharpe, maxDrawdown, turnover }) as unknown as BacktestMetrics;
const pair = (off: BacktestMetrics, on: BacktestMetrics): PairResult => ({ subject: "a", fold: 0, seed: 0, window: { start: "", end: "" }, off, on, guidance: 0, impasses: 0, mix: {} });

describe("coach experiment", () => {
  it("summarises paired differences: hand-worked means and counts, a degenerate interval when every pair agrees", () => {
    const s = summarisePairs([pair(m(0.1, 1, 0.2, 3), m(0.12, 1.5, 0.1, 2)), pair(m(0.0, null, 0.3, 1), m(-0.02, 0.5, 0.3, 1)), pair(m(0.05, 2, 0.1, 2), m(0.08, 1, 0.05, 2))], 500);
    expect(s.difference.totalReturn.mean).toBeCloseTo((0.02 - 0.02 + 0.03) / 3, 12);
    expect([s.difference.totalReturn.higher, s.difference.totalReturn.lower]).toEqual([2, 1]);
    // Sharpe is undefined off for pair 2: only 2 pairs count.
    expect(s.difference.sharpe.pairs).toBe(2);
    expect(s.difference.sharpe.mean).toBeCloseTo((0.5 - 1) / 2, 12);
    expect(s.difference.maxDrawdown).toMatchObject({ higher: 0, lower: 2, equal: 1 });
    expect(s.coachOff.totalReturn).toBeCloseTo(0.05, 12);
    expect(s.difference.totalReturn.lo!).toBeLessThanOrEqual(s.difference.totalReturn.mean!);
    const same = summarisePairs([pair(m(0.1, 1, 0.2, 3), m(0.1, 1, 0.2, 3)), pair(m(0.2, 1, 0.2, 3), m(0.2, 1, 0.2, 3))], 200);
    expect(same.difference.totalReturn).toMatchObject({ mean: 0, lo: 0, hi: 0, equal: 2 });
  });

  it("trains per fold, backtests each policy with and without the coach, and prints the documented JSON", async () => {
    const out = await runCoachExperiment({ data: csv, rules: null, seeds: 2, folds: 2, checkpoints: null, resamples: 200, runName: "ce", reportsDir: dir, command: "test" }, fakeTrainer, null);
    const j = out.json;
    expect(j.pairs).toBe(4);
    for (const k of ["coachOn", "coachOff"]) expect(Object.keys(j[k] as object).sort()).toEqual(["maxDrawdown", "sharpe", "totalReturn", "turnover"]);
    const d = j.difference as Record<string, { mean: number; lo: number; hi: number }>;
    for (const k of ["totalReturn", "sharpe", "maxDrawdown", "turnover"]) {
      expect(d[k]!.lo).toBeLessThanOrEqual(d[k]!.hi);
    }
    expect((j.baseline as { pairs: number }).pairs).toBe(2);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    // Pairs share the window and the seed: the coach-off run is the plain backtest.
    expect(out.pairs.filter((p) => p.subject === "agent").map((p) => p.fold)).toEqual([0, 0, 1, 1]);
    expect(readFileSync(out.reportPath, "utf8")).toContain("Every pair");
    expect(out.summary).toContain("agent: 4 pairs");
  });

  it("checks the report folder before any training: a user's folder is refused, its own report needs force", async () => {
    let trained = 0;
    const counting: Trainer = async (req) => (trained++, fakeTrainer(req));
    const reports = join(dir, "reports-claim");
    mkdirSync(join(reports, "mine"), { recursive: true });
    writeFileSync(join(reports, "mine", "notes.txt"), "mine\n");
    const opts = { data: csv, rules: null, seeds: 1, folds: 1, checkpoints: null, resamples: 100, reportsDir: reports, command: "test" } as const;
    await expect(runCoachExperiment({ ...opts, runName: "mine" }, counting, null)).rejects.toThrow(/foreign_output/);
    expect(trained).toBe(0);
    expect(readFileSync(join(reports, "mine", "notes.txt"), "utf8")).toBe("mine\n");
    await runCoachExperiment({ ...opts, runName: "ours" }, counting, null);
    const after = trained;
    await expect(runCoachExperiment({ ...opts, runName: "ours" }, counting, null)).rejects.toThrow(/output_exists/);
    expect(trained).toBe(after);
    await runCoachExperiment({ ...opts, runName: "ours", force: true }, counting, null);
  }, 120_000);

  it("a stop between pairs keeps the finished pairs: a partial report, then InterruptedError saying what finished", async () => {
    let trained = 0;
    const counting: Trainer = async (req) => (trained++, fakeTrainer(req));
    const stop = new AbortController();
    const lines: string[] = [];
    const log = (line: string): void => {
      lines.push(line);
      if (line.startsWith("fold 0 seed 0: return")) stop.abort(new InterruptedError("SIGTERM"));
    };
    const stopped: Array<{ pairs: number; signal: string }> = [];
    const onStopped = (p: { agent: { pairs: number } }, signal: string): void => void stopped.push({ pairs: p.agent.pairs, signal });
    const run = runCoachExperiment({ data: csv, rules: null, seeds: 2, folds: 2, checkpoints: null, resamples: 100, runName: "stopped", reportsDir: dir, command: "test", log, signal: stop.signal, onStopped }, counting, null);
    const report = join(dir, "stopped", "report.html");
    await expect(run).rejects.toThrow(new InterruptedError("SIGTERM", `stopped by SIGTERM; 1 of 4 pairs finished, summarised above and in ${report}`));
    // The caller got the finished pair's result (what --json prints) before the error: one agent pair.
    expect(stopped).toEqual([{ pairs: 1, signal: "SIGTERM" }]);
    // The second policy was never trained: a pair is trained only when its turn comes.
    expect(trained).toBe(1);
    expect(lines.join("\n")).toContain("agent: 1 pairs");
    const html = readFileSync(report, "utf8");
    expect(html).toContain("stopped: 1 of 4 pairs finished");
    expect(html).toContain("Agent: 1 paired runs");
    // Nothing finished: nothing written.
    const early = new AbortController();
    early.abort(new InterruptedError("SIGINT"));
    await expect(
      runCoachExperiment({ data: csv, rules: null, seeds: 1, folds: 1, checkpoints: null, resamples: 100, runName: "none", reportsDir: dir, command: "test", signal: early.signal }, counting, null),
    ).rejects.toThrow("stopped by SIGINT; no pair had finished; no report was written");
    expect(existsSync(join(dir, "none", "report.html"))).toBe(false);
  }, 120_000);

  it("checkpoint mode: a window outside the data is bad_range naming --start / --end, before loading a checkpoint", async () => {
    let loaded = 0;
    const loader = async () => {
      loaded++;
      throw new Error("must not load");
    };
    const opts = { data: csv, rules: null, seeds: 1, folds: 1, checkpoints: dir, resamples: 100, reportsDir: join(dir, "reports-window"), command: "test" } as const;
    await expect(runCoachExperiment({ ...opts, runName: "w1", start: "2030-01-01" }, null, loader)).rejects.toThrow(/--start: bad_range: expected a start at or before the data's last bar/);
    await expect(runCoachExperiment({ ...opts, runName: "w2", start: "2020-03-01", end: "2020-02-01" }, null, loader)).rejects.toThrow(/--end: bad_range: expected an end after --start/);
    expect(loaded).toBe(0);
  });

  it("checkpoint mode: every checkpoint is loaded before any backtest, so a broken one costs no work", async () => {
    const cks = join(dir, "cks");
    for (const k of [0, 1]) {
      mkdirSync(join(cks, `seed-${k}`), { recursive: true });
      writeFileSync(join(cks, `seed-${k}`, "manifest.json"), "{}");
    }
    let policiesMade = 0;
    const loader = async (d: string) => {
      if (d.endsWith("seed-1")) throw new Error(`${d}: broken checkpoint`);
      const made = await fakeTrainer({ candles: null as never, start: 0, end: 0, seed: 0, fold: 0 });
      return { env: made.env, makePolicy: () => (policiesMade++, made.makePolicy()) } as never;
    };
    const opts = { data: csv, rules: null, seeds: 2, folds: 1, checkpoints: cks, resamples: 100, reportsDir: join(dir, "reports-broken"), runName: "b", command: "test" } as const;
    await expect(runCoachExperiment(opts, null, loader)).rejects.toThrow(/seed-1: broken checkpoint/);
    expect(policiesMade).toBe(0);
    expect(existsSync(join(dir, "reports-broken", "b", "report.html"))).toBe(false);
  });
});
