import { describe, expect, it } from "vitest";
import { selectRange } from "../data/splits.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { backtestModel, runBacktest } from "./backtest.js";
import { maCrossoverPolicy } from "./baselines.js";
import { walkForward, walkForwardRows, type Trainer } from "./walk-forward.js";

describe("walkForward", () => {
  it("trains each fold on its own window only and tests on the next one", async () => {
    const candles = syntheticCandles(24 * 60, 5); // 60 days
    const seen: Array<{ start: number; end: number; seed: number }> = [];
    // A stand-in trainer: "fits" the MA crossover's slow window on the training rows (best in-sample return).
    const trainer: Trainer = async (req) => {
      seen.push({ start: req.start, end: req.end, seed: req.seed });
      const train = selectRange(req.candles, { start: req.start, end: req.end });
      let best = { slow: 48, value: -Infinity };
      for (const slow of [24, 48, 96]) {
        const m = backtestModel(train, "seed");
        const t = runBacktest(m, maCrossoverPolicy(m, { fast: 6, slow }));
        if (t.value[t.steps]! > best.value) best = { slow, value: t.value[t.steps]! };
      }
      return {
        env: "seed",
        makePolicy: () => {
          const m = backtestModel(req.candles, "seed");
          return { ...maCrossoverPolicy(m, { fast: 6, slow: best.slow }), name: "agent" };
        },
      };
    };
    const results = await walkForward({ candles, folds: { trainDays: 20, testDays: 10 }, trainer, seeds: [1, 2], evaluate: { resamples: 100 } });
    expect(results).toHaveLength(4); // test windows 20–30, 30–40, 40–50, 50–60 days
    results.forEach((r, k) => {
      expect(r.fold.index).toBe(k);
      // Each training window ends where its test window starts.
      expect(seen[2 * k]!.end).toBe(r.fold.testRange.start);
      expect(seen[2 * k + 1]!.seed).toBe(2);
      expect(r.evaluation.agentRuns).toHaveLength(2);
      // The backtest covers the test window: first decision on its first bar, last valuation before its end.
      const run = r.evaluation.agentRuns[0]!;
      expect(run.timestamp[0]).toBe(r.fold.testRange.start);
      expect(run.timestamp[run.steps]!).toBeLessThan(r.fold.testRange.end);
      expect(run.steps).toBe(24 * 10 - 1);
    });
    const rows = walkForwardRows(results);
    expect(rows.map((r) => r.fold)).toEqual([0, 1, 2, 3]);
    for (const row of rows) {
      expect(row.runs).toBe(2);
      expect(Number.isFinite(row.agentReturn)).toBe(true);
      expect(row.beatBuyAndHoldShare === 0 || row.beatBuyAndHoldShare === 0.5 || row.beatBuyAndHoldShare === 1).toBe(true);
    }
  });
});
