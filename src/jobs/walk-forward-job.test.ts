import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sliceCandles, type Candles } from "../data/candles.js";
import { writeCandlesCsv } from "../data/csv.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { backtestModel } from "../eval/backtest.js";
import { maCrossoverPolicy } from "../eval/baselines.js";
import type { Trainer } from "../eval/walk-forward.js";
import { InterruptedError } from "../util/errors.js";
import { runWalkForwardJob, type WalkForwardJobOptions } from "./walk-forward-job.js";

const dir = mkdtempSync(join(tmpdir(), "walk-forward-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const H = 3_600_000;

/** 70 days of hourly bars with an outage from day 30 to day 39.5: the fold testing days 30–40 holds 12 bars. */
function withOutage(): Candles {
  const all = syntheticCandles(24 * 70, 3);
  const t0 = all.timestamp[0]!;
  const keep: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const h = (all.timestamp[i]! - t0) / H;
    if (h < 30 * 24 || h >= 39.5 * 24) keep.push(i);
  }
  const a = sliceCandles(all, 0, keep.indexOf(30 * 24 - 1) + 1);
  const b = sliceCandles(all, keep[keep.indexOf(30 * 24 - 1) + 1]!);
  const join2 = (x: Float64Array, y: Float64Array) => Float64Array.from([...x, ...y]);
  return { meta: all.meta, length: a.length + b.length, timestamp: join2(a.timestamp, b.timestamp), open: join2(a.open, b.open), high: join2(a.high, b.high), low: join2(a.low, b.low), close: join2(a.close, b.close), volume: join2(a.volume, b.volume) };
}
const csv = join(dir, "outage.csv");
writeCandlesCsv(csv, withOutage());

const cheap = (failAt: number | null, interruptAt: number | null): Trainer => async (req) => {
  if (req.fold === failAt) throw new Error("training blew up");
  if (req.fold === interruptAt) throw new InterruptedError("SIGTERM", `fold ${req.fold} seed ${req.seed} stopped after 3 of 9 updates`);
  return { env: "seed", makePolicy: () => ({ ...maCrossoverPolicy(backtestModel(req.candles, "seed"), { fast: 6, slow: 24 }), name: "agent" }) };
};

const options = (run: string, trainer: Trainer): WalkForwardJobOptions => ({
  data: csv,
  trainDays: 20,
  testDays: 10,
  anchored: false,
  preset: "default",
  seeds: [0],
  steps: 1,
  runName: run,
  reportsDir: dir,
  checkpointsDir: join(dir, "checkpoints"),
  command: "test",
  trainer,
});

describe("runWalkForwardJob", () => {
  it("skips and lists the folds with too few bars, before any training", async () => {
    const lines: string[] = [];
    const r = await runWalkForwardJob({ ...options("wf", cheap(null, null)), log: (l) => lines.push(l) });
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]).toMatchObject({ test: expect.stringMatching(/→/), reason: expect.stringMatching(/the test window \[.*\) holds 12 bars; its statistics need at least 168/) });
    expect(lines[0]).toMatch(/^fold skipped \(train .*, test .*\): the test window/);
    expect(r.rows.length).toBe(4);
    expect(readFileSync(r.reportPath, "utf8")).toContain("Skipped folds");
  });

  it("a failure or a stop in a later fold keeps the finished folds in the report", async () => {
    await expect(runWalkForwardJob(options("wf-fail", cheap(2, null)))).rejects.toThrow("training blew up");
    const partial = JSON.parse(readFileSync(join(dir, "wf-fail", "summary.json"), "utf8")) as { title: string };
    expect(partial.title).toMatch(/\(2 of 4 folds so far\)$/);
    const stopped = runWalkForwardJob(options("wf-stop", cheap(null, 1)));
    await expect(stopped).rejects.toBeInstanceOf(InterruptedError);
    await expect(runWalkForwardJob({ ...options("wf-stop", cheap(null, 1)), force: true })).rejects.toThrow(/fold 1 seed 0 stopped after 3 of 9 updates; 1 of 4 folds finished, in .*wf-stop\/report.html/);
    // The report of the finished folds exists; replacing it needs --force.
    await expect(runWalkForwardJob(options("wf-stop", cheap(null, null)))).rejects.toThrow(/output_exists at run/);
  });

  it("no fold with enough bars: one error naming the flag", async () => {
    await expect(runWalkForwardJob({ ...options("wf-none", cheap(null, null)), trainDays: 65, testDays: 5 })).rejects.toThrow(/invalid_window at --train-days: no fold of 65 training days and 5 test days has enough bars/);
  });
});
