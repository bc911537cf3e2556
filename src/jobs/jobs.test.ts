import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCandlesCsv } from "../data/csv.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { reproduceArticle } from "./reproduce-article.js";
import { runMainJob } from "./main-job.js";
import { trainSeeds } from "./multi-seed.js";

const dir = mkdtempSync(join(tmpdir(), "eval-jobs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reproduceArticle (tiny budget, synthetic CSV)", () => {
  it("trains every preset × seed, backtests in-sample and each out-of-sample window, prints the tables", async () => {
    const csv = join(dir, "candles.csv");
    writeCandlesCsv(csv, syntheticCandles(24 * 61, 4)); // 2020-01-01 … 2020-03-01
    const r = await reproduceArticle({
      data: csv,
      trainStart: "2020-01-01",
      trainEnd: "2020-02-01",
      testEnds: ["2020-02-15", "2020-03-01"],
      seeds: [0, 1],
      presets: ["seed", "default"],
      steps: 1024,
      maxSeconds: null,
      checkpointsDir: join(dir, "checkpoints"),
      reportsDir: join(dir, "reports"),
      runName: "art",
      gridSize: 51,
      command: "vitest",
    });
    expect(r.windows.map((w) => w.window.label)).toEqual(["in-sample", "out-of-sample to 2020-02-15", "out-of-sample to 2020-03-01"]);
    const oos = r.windows[1]!;
    expect(new Date(oos.first).toISOString()).toBe("2020-02-01T00:00:00.000Z");
    expect(new Date(oos.last).toISOString()).toBe("2020-02-14T23:00:00.000Z"); // [start, end)
    for (const w of r.windows) {
      expect(w.perPreset.map((p) => p.preset)).toEqual(["seed", "default"]);
      for (const p of w.perPreset) expect(p.evaluation.agentRuns).toHaveLength(2);
      // Both presets are judged against the very same baselines.
      expect(w.perPreset[0]!.evaluation.baselines).toBe(w.perPreset[1]!.evaluation.baselines);
    }
    expect(r.windows[0]!.deflation).toBeNull();
    expect(oos.deflation!.informationRatio.trials).toBe(4);
    expect(oos.deflation!.sharpe.trials).toBe(4);
    expect(r.tables).toContain("beat buy-and-hold? deflated information ratio");
    expect(r.tables).toContain("seed preset (2 seeds)");
    expect(r.tables).toContain("default preset (2 seeds)");
    expect(r.tables).toContain("buy_and_hold");
    expect(r.reports).toHaveLength(2);
    for (const p of r.reports) expect(existsSync(p)).toBe(true);
    expect(existsSync(join(dir, "checkpoints", "default", "seed-1", "manifest.json"))).toBe(true);
  });
});

describe("runMainJob (tiny budget)", () => {
  it("trains, backtests both windows, writes the checkpoint and the report", async () => {
    const r = await runMainJob({
      seed: 2,
      steps: 2048,
      budgetSeconds: 60,
      train: true,
      split: "2022-07-01",
      runName: "main-test",
      command: "vitest",
      reportsDir: join(dir, "reports"),
      checkpointsDir: join(dir, "checkpoints"),
      quiet: true,
    });
    expect(r.checkpointDir).toBe(join(dir, "checkpoints", "main-test"));
    expect(existsSync(join(r.checkpointDir!, "manifest.json"))).toBe(true);
    // The default preset observes features with a 168-bar warm-up: its backtests start once they are computed.
    expect(r.summary).toMatch(/in-sample: 2021-01-08/);
    expect(r.summary).toMatch(/out-of-sample: 2022-07-01/);
    expect(r.summary).toMatch(/^agent /m);
    const html = readFileSync(r.reportPath, "utf8");
    // Training curves from metrics.jsonl (2 updates: no episode finished yet, so no profit curve, but losses).
    expect(html).toContain("<h2>Training</h2>");
    expect(html).toContain(`"text":"losses"`);
  });
});

describe("trainSeeds (tiny budget)", () => {
  it("trains K seeds into seed-<s> folders and summarises them in-sample and out-of-sample", async () => {
    const r = await trainSeeds({
      config: { preset: "default", data: null, trainEnd: "2022-10-01", steps: 1024, seed: 5, out: join(dir, "multi") },
      seeds: 3,
      resamples: 200,
      report: { runName: "multi", reportsDir: join(dir, "reports"), command: "vitest" },
    });
    expect(r.reportPath).toBe(join(dir, "reports", "multi", "report.html"));
    expect(existsSync(r.reportPath!)).toBe(true);
    expect(r.seeds).toEqual([5, 6, 7]);
    expect(r.checkpoints).toEqual([5, 6, 7].map((s) => join(dir, "multi", `seed-${s}`)));
    for (const c of r.checkpoints) expect(existsSync(join(c, "manifest.json"))).toBe(true);
    expect(r.results.map((w) => w.window.label)).toEqual(["in-sample", "out-of-sample"]);
    for (const w of r.results) {
      expect(w.evaluation.agentRuns).toHaveLength(3);
      expect(w.evaluation.agentSummary!.runs).toBe(3);
    }
    expect(r.summary).toContain("agent (3 runs)");
    expect(r.summary).toContain("of agent runs beat buy-and-hold");
  });
});
