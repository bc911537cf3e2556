import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCandlesCsv } from "../data/csv.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { METRIC_FIELDS } from "../eval/metrics.js";
import { InterruptedError } from "../util/errors.js";
import { runTrainJob } from "./train-job.js";

const dir = mkdtempSync(join(tmpdir(), "train-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, "candles.csv");
writeCandlesCsv(csv, syntheticCandles(24 * 61, 4)); // 2020-01-01 … 2020-03-01

describe("runTrainJob (tiny budget, synthetic CSV)", () => {
  it("--seeds 3 stopped during the second seed: the first is kept, the second saved interrupted, no backtest", async () => {
    const controller = new AbortController();
    const out = join(dir, "stopped");
    const run = runTrainJob({
      config: { preset: "default", data: csv, trainEnd: "2020-02-01", steps: 512 * 4, out, progress: "none" },
      seeds: 3,
      report: { runName: "stopped", reportsDir: join(dir, "reports"), command: "vitest" },
      signal: controller.signal,
      // The second seed starts: stop it at its first update boundary.
      log: (line) => void (line.startsWith("seed 1 (2/3)") && controller.abort(new InterruptedError("SIGINT"))),
    });
    await expect(run).rejects.toThrow(
      new RegExp(`^finished: ${out}/seed-0; ${out}/seed-1 saved after 1 of 4 updates, marked interrupted; resume: npm run train -- --resume ${out}/seed-1; 1 seed\\(s\\) not started; no backtest was run$`),
    );
    expect(JSON.parse(readFileSync(join(out, "seed-0", "manifest.json"), "utf8")).training.status).toBe("complete");
    expect(JSON.parse(readFileSync(join(out, "seed-1", "manifest.json"), "utf8")).training.status).toBe("interrupted");
    expect(existsSync(join(out, "seed-2"))).toBe(false);
    expect(existsSync(join(dir, "reports", "stopped"))).toBe(false);
  });

  it("--seeds 2: two checkpoints in seed-<s>, both windows, mean inside its bootstrap CI, a report", async () => {
    const r = await runTrainJob({
      config: { preset: "default", data: csv, trainStart: "2020-01-01", trainEnd: "2020-02-01", steps: 1024, seed: 7, out: join(dir, "multi"), progress: "none" },
      seeds: 2,
      test: { end: "2020-02-15" },
      resamples: 200,
      report: { runName: "multi", reportsDir: join(dir, "reports"), command: "vitest" },
    });
    expect(r.seeds).toEqual([7, 8]);
    expect(r.checkpoints).toEqual([7, 8].map((s) => join(dir, "multi", `seed-${s}`)));
    for (const c of r.checkpoints) {
      expect(existsSync(join(c, "manifest.json"))).toBe(true);
      expect(existsSync(join(c, "metrics.jsonl"))).toBe(true);
    }
    expect(r.reportPath).toBe(join(dir, "reports", "multi", "report.html"));
    expect(readFileSync(r.reportPath!, "utf8")).toContain("<h2>Training</h2>");
    expect(r.results.map((w) => w.window.label)).toEqual(["in-sample", "out-of-sample"]);
    // The out-of-sample window is the one asked for: [train end, test end).
    const oos = r.results[1]!;
    expect(new Date(oos.first).toISOString()).toBe("2020-02-01T00:00:00.000Z");
    expect(oos.last).toBeLessThan(Date.parse("2020-02-15"));
    for (const w of r.results) {
      const s = w.evaluation.agentSummary!;
      expect(s.runs).toBe(2);
      expect(w.evaluation.agentRuns).toHaveLength(2);
      let checked = 0;
      for (const f of METRIC_FIELDS) {
        const m = s.metrics[f];
        const values = w.evaluation.agentMetrics.map((x) => x[f]);
        if (values.some((v) => v === null || !Number.isFinite(v))) continue; // undefined on this window (e.g. no trades)
        // Independent reference: the plain mean of the two runs' values.
        expect(m.mean).toBeCloseTo((values[0]! + values[1]!) / 2, 9);
        if (m.mean === null) throw new Error(`${f}: no mean`);
        expect(m.ci).not.toBeNull();
        expect(m.ci!.lo).toBeLessThanOrEqual(m.mean + 1e-12);
        expect(m.mean).toBeLessThanOrEqual(m.ci!.hi + 1e-12);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(5);
      const beat = w.evaluation.agentMetrics.filter((x) => x.excessReturn > 0).length / 2;
      expect(s.beatBuyAndHoldShare).toBe(beat);
    }
    expect(r.summary).toContain("agent (2 runs)");
    const json = r.json as { seeds: number[]; checkpoints: string[]; report: string; windows: Record<string, { agentSummary: Record<string, { runs: number }>; beatBuyAndHoldShare: number }> };
    expect(json.seeds).toEqual([7, 8]);
    expect(json.report).toBe(r.reportPath);
    expect(Object.keys(json.windows)).toEqual(["in-sample", "out-of-sample"]);
    expect(json.windows["in-sample"]!.agentSummary["sharpe"]!.runs).toBe(2);
    expect(JSON.parse(JSON.stringify(r.json))).toEqual(r.json); // one JSON line, nothing lost
  }, 60_000);

  it("one seed: the checkpoint in `out` itself, out-of-sample after --train-end by default; no report when asked", async () => {
    const out = join(dir, "single");
    const r = await runTrainJob({
      config: { preset: "seed", data: csv, trainEnd: "2020-02-01", steps: 512, seed: 3, out, progress: "none" },
      report: null,
    });
    expect(r.checkpoints).toEqual([out]);
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
    expect(r.reportPath).toBeNull();
    expect(r.results.map((w) => w.window.label)).toEqual(["in-sample", "out-of-sample"]);
    expect(new Date(r.results[1]!.first).toISOString()).toBe("2020-02-01T00:00:00.000Z");
    expect(r.results[0]!.evaluation.agentRuns).toHaveLength(1);
  }, 60_000);

  it("refuses to resume several seeds at once", async () => {
    await expect(runTrainJob({ config: { resume: join(dir, "single") }, seeds: 2, report: null })).rejects.toMatchObject({ code: "invalid_options" });
  });
});
