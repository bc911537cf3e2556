import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { portfolioAgentPolicy, runPortfolioBacktest } from "../portfolio/index.js";
import { runPortfolioJob } from "./portfolio-job.js";
import { loadPortfolioPolicy, portfolioWindowModel, trainPortfolio } from "./portfolio-train.js";

const dir = mkdtempSync(join(tmpdir(), "portfolio-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny budget on the last months of the embedded pair: 4 updates of the default agent. */
const CONFIG = { steps: 2_048, trainStart: "2022-05-01", trainEnd: "2022-09-01", progress: "none", engine: "fused" } as const;

describe("portfolio job", () => {
  it("trains K seeds, backtests in and out of sample against every baseline, writes the report and the JSON", async () => {
    const job = await runPortfolioJob({
      config: { ...CONFIG, out: join(dir, "run") },
      seeds: 2,
      testEnd: "2022-11-01",
      resamples: 100,
      report: { runName: "p", reportsDir: join(dir, "reports"), command: "test" },
    });
    expect(job.seeds).toEqual([0, 1]);
    expect(job.windows.map((w) => w.label)).toEqual(["in-sample (2022-05-01 → 2022-09-01)", "out-of-sample (2022-09-01 → 2022-11-01)"]);
    const oos = job.windows[1]!.evaluation;
    expect(oos.agentRuns).toHaveLength(2);
    expect(oos.agentSummary?.metrics.totalReturn.ci).not.toBeNull();
    expect(oos.baselines.map((b) => b.name)).toEqual(["equal_weight_hold", "equal_weight_rebalanced(24)", "hold BTC/USD", "hold ETH/USD", "perfect_foresight"]);
    expect(job.summary).toMatch(/agent \(mean of 2 seeds \[95% CI\]\)/);
    expect(existsSync(job.reportPath!)).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, "reports", "p", "summary.json"), "utf8")) as { windows: unknown[]; alignment: { droppedRows: number } };
    expect(summary.windows).toHaveLength(2);
    expect(summary.alignment.droppedRows).toBe(14);
    expect(Object.keys(job.json["windows"] as object)).toEqual(["in-sample", "out-of-sample"]);
    expect(existsSync(join(dir, "run", "seed-1", "manifest.json"))).toBe(true);
  }, 180_000);

  it("refuses a --test-end the out-of-sample window cannot end at, before training or writing anything", async () => {
    const out = join(dir, "never");
    const job = (testEnd: string, trainEnd: string | null) =>
      runPortfolioJob({ config: { ...CONFIG, trainEnd, out }, testEnd, report: { runName: "never", reportsDir: join(dir, "reports"), command: "test" } });
    await expect(job("2022-08-01", "2022-09-01")).rejects.toThrow("--test-end: bad_range: expected an end after --train-end 2022-09-01, got 2022-08-01");
    await expect(job("2022-09-01", "2022-09-01")).rejects.toThrow(/--test-end: bad_range/);
    await expect(job("2022-11-01", null)).rejects.toThrow("invalid_options at --test-end: --test-end ends the out-of-sample window, which starts at --train-end");
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "reports", "never"))).toBe(false);
  });

  it("is reproducible from its seed, and a checkpoint reloads to the same decisions", async () => {
    const a = await trainPortfolio({ ...CONFIG, seed: 5, out: join(dir, "cp") });
    const b = await trainPortfolio({ ...CONFIG, seed: 5 });
    expect(b.metrics.map((m) => m.policy_loss)).toEqual(a.metrics.map((m) => m.policy_loss));
    const loaded = await loadPortfolioPolicy(join(dir, "cp"));
    const model = portfolioWindowModel(a.data, loaded.env, { start: "2022-09-01", end: "2022-10-01" });
    loaded.checkAgainst(model);
    const x = runPortfolioBacktest(model, portfolioAgentPolicy(a.policy, model));
    const y = runPortfolioBacktest(model, portfolioAgentPolicy(loaded.policy, model));
    expect(Array.from(y.value)).toEqual(Array.from(x.value));
  }, 180_000);
});
