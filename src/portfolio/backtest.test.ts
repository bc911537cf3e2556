import { describe, expect, it } from "vitest";
import { computeMetrics } from "../eval/metrics.js";
import { alignMarkets } from "./align.js";
import { assetBreakdown, replayPortfolioActions, runPortfolioBacktest } from "./backtest.js";
import { constantWeights, equalWeightHold, equalWeightRebalanced } from "./baselines.js";
import type { PortfolioConfigInput } from "./config.js";
import { evaluatePortfolioWindow } from "./evaluate.js";
import { createPortfolioModel } from "./model.js";
import { portfolioPerfectForesight } from "./perfect-foresight.js";
import { randomPair, seriesAt } from "./test-markets.js";

const FULL: PortfolioConfigInput = { episode: { mode: "full" }, observation: { features: { kind: "pct_change" } }, ruinFraction: 0 };

describe("portfolio backtest and baselines", () => {
  const market = randomPair(600, 3);

  it("equal-weight hold pays the entry fee once and then tracks the benchmark: value = (1 − commission) × benchmark", () => {
    const model = createPortfolioModel({ market, config: FULL });
    const t = runPortfolioBacktest(model, equalWeightHold(2));
    expect(t.steps).toBe(model.market.lastRow - model.market.firstRow);
    for (let s = 1; s <= t.steps; s++) expect(t.value[s]! / t.holdValue[s]!).toBeCloseTo(1 - 0.00075, 12);
    expect(Array.from(t.executed).reduce((a, b) => a + b, 0)).toBe(2);
    const m = computeMetrics(t);
    expect(m.excessReturn).toBeCloseTo(m.totalReturn - (t.holdValue[t.steps]! / t.holdValue[0]! - 1), 14);
    expect(m.trades).toBe(2);
  });

  it("the rebalanced baseline trades only every N bars", () => {
    const model = createPortfolioModel({ market, config: { ...FULL, actions: { kind: "weight_levels", minTradeUsd: 0, band: 0 } } });
    const t = runPortfolioBacktest(model, equalWeightRebalanced(2, 24));
    expect(t.name).toBe("equal_weight_rebalanced(24)");
    t.executed.forEach((legs, s) => expect(legs > 0).toBe(s % 24 === 0));
    for (let s = 0; s < t.steps; s += 24) expect(t.weights[s * 2]!).toBeCloseTo(0.5, 12);
  });

  it("per-asset P&L minus fees adds up to the change of value (close fills, no slippage)", () => {
    const model = createPortfolioModel({ market, config: FULL });
    const t = runPortfolioBacktest(model, constantWeights("mix", [0.6, 0.3]));
    const b = assetBreakdown(t);
    const pnl = b.reduce((s, a) => s + a.pnl - a.feesPaid, 0);
    expect(pnl).toBeCloseTo(t.value[t.steps]! - t.value[0]!, 6);
    expect(b[0]!.averageWeight).toBeCloseTo(0.6, 2);
    expect(b.map((a) => a.symbol)).toEqual(["A/USD", "B/USD"]);
  });

  it("the perfect-foresight DP is the best of every action sequence (brute force over 6^5 paths)", () => {
    const tiny = alignMarkets([seriesAt("A/USD", [0, 1, 2, 3, 4, 5], [100, 103, 99, 104, 101, 108]), seriesAt("B/USD", [0, 1, 2, 3, 4, 5], [50, 49, 53, 52, 55, 54])]);
    const model = createPortfolioModel({ market: tiny, config: { ...FULL, commission: 0.002, actions: { kind: "weight_levels", levels: [0, 0.5, 1], minTradeUsd: 0, band: 0 } } });
    const bound = portfolioPerfectForesight(model);
    if (!bound.computable) throw new Error(bound.reason);
    let best = -Infinity;
    const path = new Int32Array(5);
    for (let code = 0; code < 6 ** 5; code++) {
      let c = code;
      for (let t = 0; t < 5; t++) {
        path[t] = c % 6;
        c = Math.floor(c / 6);
      }
      const tr = runPortfolioBacktest(model, replayPortfolioActions("p", model, path));
      best = Math.max(best, Math.log(tr.value[5]! / tr.value[0]!));
    }
    expect(bound.logGrowth).toBeCloseTo(best, 12);
    const replayed = runPortfolioBacktest(model, replayPortfolioActions("pf", model, bound.path));
    expect(Math.log(replayed.value[5]! / replayed.value[0]!)).toBeCloseTo(bound.logGrowth, 12);
  });

  it("says why the bound is not computable", () => {
    const model = createPortfolioModel({ market, config: { ...FULL, fill: { at: "next_open" } } });
    const b = portfolioPerfectForesight(model);
    expect(b.computable).toBe(false);
    if (!b.computable) expect(b.reason).toMatch(/next-open/);
  });

  it("evaluates a window: agents' runs with a seed summary, every baseline, the bound, the Sharpe tests", () => {
    const model = createPortfolioModel({ market, config: FULL });
    const ev = evaluatePortfolioWindow(
      model,
      [0, 1, 2].map((seed) => ({ policy: constantWeights(`mix ${seed}`, [0.3 + 0.1 * seed, 0.2]), seed })),
      { resamples: 200 },
    );
    expect(ev.baselines.map((b) => b.name)).toEqual(["equal_weight_hold", "equal_weight_rebalanced(24)", "hold A/USD", "hold B/USD", "perfect_foresight"]);
    expect(ev.agentSummary?.runs).toBe(3);
    const pf = ev.baselines.at(-1)!.metrics.totalReturn;
    for (const b of ev.baselines.slice(0, -1)) expect(b.metrics.totalReturn).toBeLessThan(pf);
    expect(ev.sharpeVsHold?.ci.level).toBe(0.95);
    expect(ev.bound?.computable).toBe(true);
  });
});
