import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkHtmlRenders } from "../charts/render-check.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { backtestModel } from "../eval/backtest.js";
import { randomPolicy } from "../eval/baselines.js";
import { evaluateWindow } from "../eval/evaluate.js";
import { collectVersions } from "./provenance.js";
import { readTrainingLog } from "./training-log.js";
import { reportWindowFrom, runReportPage, writeRunReport, type RunReport } from "./run-report.js";

const dir = mkdtempSync(join(tmpdir(), "run-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny synthetic run: 3 "seeds" of a random agent, baselines, a 5-line training log. */
function tinyReport(): RunReport {
  const candles = syntheticCandles(300, 3);
  const model = backtestModel(candles, "seed");
  const ev = evaluateWindow(
    model,
    [0, 1, 2].map((seed) => ({ policy: { ...randomPolicy(model), name: "agent" }, seed })),
    { seed: 9, resamples: 200, perfectForesight: { gridSize: 101 } },
  );
  const logPath = join(dir, "metrics.jsonl");
  writeFileSync(
    logPath,
    Array.from({ length: 5 }, (_, i) => JSON.stringify({ envSteps: (i + 1) * 1000, episodeReturn: i * 0.1, policyLoss: -0.01 * i, valueLoss: 1 / (i + 1), entropy: 1.09 - i * 0.01, note: "x" })).join("\n") +
      "\nnot json\n",
  );
  return {
    title: "tiny synthetic run",
    runName: "tiny",
    trainingLog: readTrainingLog(logPath),
    windows: [reportWindowFrom("in-sample", ev)],
    provenance: {
      command: "vitest",
      createdAt: new Date(0).toISOString(),
      seeds: [0, 1, 2],
      data: { source: "syntheticCandles(300, 3)", sha256: "0".repeat(64), rows: 300, first: "2020-01-01", last: "2020-01-13" },
      config: { env: model.config },
      versions: collectVersions(),
    },
  };
}

describe("run report", () => {
  it("builds a page with every section and a JSON summary, written atomically", () => {
    const report = tinyReport();
    const page = runReportPage(report);
    const figures = page.sections.filter((s) => s.figure !== undefined);
    // training figures (return, losses, entropy) + 4 per window
    expect(figures.length).toBeGreaterThanOrEqual(5);
    expect(report.trainingLog!.badLines).toEqual([6]); // 5 JSON lines, then "not json"
    const written = writeRunReport(report, dir);
    const html = readFileSync(written.html, "utf8");
    expect(html).toContain("tiny synthetic run");
    expect(html).toContain("mean of 3");
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/); // no CDN
    const summary = JSON.parse(readFileSync(written.json, "utf8")) as {
      windows: { baselines: { name: string }[]; deflation: { informationRatio: { trials: number; deflated: number }; sharpe: { trials: number } } | null }[];
    };
    expect(summary.windows[0]!.baselines.map((b) => b.name)).toEqual(["buy_and_hold", "random", "ma_crossover(24,168)", "perfect_foresight"]);
    // The headline question, labelled as such, before the Sharpe test; the deflated Sharpe ratio next to it.
    expect(html).toContain("Does agent beat buy-and-hold?</b> Deflated information ratio");
    expect(html.indexOf("Deflated information ratio")).toBeLessThan(html.indexOf("Sharpe difference, agent"));
    expect(html).toContain("Its own returns, for comparison: deflated Sharpe ratio");
    expect(summary.windows[0]!.deflation!.informationRatio.trials).toBe(3);
    expect(summary.windows[0]!.deflation!.sharpe.trials).toBe(3);
    // Random trading does not beat holding.
    expect(summary.windows[0]!.deflation!.informationRatio.deflated).toBeLessThan(0.95);
  });

  it.skipIf(!existsSync("/usr/bin/chromium"))("draws every figure in headless Chromium, offline", async () => {
    const report = tinyReport();
    const written = writeRunReport({ ...report, runName: "tiny-render" }, dir);
    const expected = runReportPage(report).sections.filter((s) => s.figure !== undefined).length;
    const r = await checkHtmlRenders(written.html, { expectFigures: expected, timeoutMs: 45_000 });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.blockedRequests).toEqual([]);
    for (const f of r.figures) {
      expect(f.drew).toBe(true);
      expect(f.traces).toBeGreaterThan(0);
    }
  });
});
