import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "../data/candles.js";
import { resolveEnvConfig } from "../env/presets.js";
import { createActionScheme, Order } from "../env/actions/index.js";
import { executeOrder, Fill } from "../env/fill.js";
import type { EnvConfig } from "../env/config.js";
import { Rng } from "../util/rng.js";
import { perfectForesight, tradePath } from "./perfect-foresight.js";

/** A random-walk market with large hourly moves (σ = 4 %), so that perfect foresight trades a lot. */
function market(rows: number, seed: number): Candles {
  const rng = new Rng(seed);
  const c = allocCandles({ symbol: "X/USD", exchange: "test", timeframe: "1h" }, rows);
  let p = 10_000;
  for (let i = 0; i < rows; i++) {
    const open = p * (1 + 0.01 * rng.normal());
    p = open * Math.exp(0.04 * rng.normal());
    c.timestamp[i] = i * 3_600_000;
    c.open[i] = open;
    c.close[i] = p;
    c.high[i] = Math.max(open, p);
    c.low[i] = Math.min(open, p);
    c.volume[i] = 1;
  }
  return c;
}

/**
 * The article's env transcribed from the reference Python (seed_ppo_lstm.py), with absolute amounts and its
 * thresholds: independent of the env module and of the DP. Returns the best final value over all 3^n paths.
 */
function bruteForceArticle(close: Float64Array, cash0: number, coins0: number, commission: number): number {
  const n = close.length - 1;
  let best = -Infinity;
  const go = (t: number, cash: number, coins: number): void => {
    if (t === n) {
      best = Math.max(best, cash + coins * close[n]!);
      return;
    }
    const price = close[t]!;
    go(t + 1, cash, coins); // hold
    const buy = cash * 0.5;
    if (buy > 1) go(t + 1, cash - buy, coins + ((1 - commission) * buy) / price);
    else go(t + 1, cash, coins);
    const sell = coins * 0.5;
    if (sell > 0.0001) go(t + 1, cash + (1 - commission) * sell * price, coins - sell);
    else go(t + 1, cash, coins);
  };
  go(0, cash0, coins0);
  return best;
}

/** Brute force over every sequence of discrete actions through the env's own decide + executeOrder. */
function bruteForceEnv(c: Candles, config: EnvConfig, cash0: number, coins0: number): number {
  const scheme = createActionScheme(config);
  const k = scheme.space.kind === "discrete" ? scheme.space.n : 0;
  const path = tradePath(c, config, 0, c.length - 1);
  const order = new Order();
  const fill = new Fill();
  let best = -Infinity;
  const go = (t: number, cash: number, coins: number): void => {
    if (t === path.steps) {
      best = Math.max(best, cash + coins * path.mark[t - 1]!);
      return;
    }
    for (let a = 0; a < k; a++) {
      scheme.decide(a, cash, coins, path.decision[t]!, order);
      executeOrder(cash, coins, order, path.buy[t]!, path.sell[t]!, config.commission, fill);
      go(t + 1, fill.cash, fill.coins);
    }
  };
  go(0, cash0, coins0);
  return best;
}

describe("perfectForesight: the article's 3 actions (grid DP)", () => {
  const config = resolveEnvConfig({ preset: "seed", episode: { mode: "full" } });

  it("is within a small gap of the brute-force optimum over all 3^9 paths, on several markets", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = market(10, seed);
      const truth = Math.log(bruteForceArticle(c.close, 10_000, 1, config.commission) / (10_000 + c.close[0]!));
      const r = perfectForesight(tradePath(c, config, 0, 9), config, 10_000, 1, { gridSize: 2001 });
      expect(r.method).toBe("grid");
      // The bound must not fall below the optimum by more than the grid error, nor exceed it by much.
      expect(r.logGrowth).toBeGreaterThan(truth - 2e-4);
      expect(r.logGrowth).toBeLessThan(truth + 2e-4);
      // The path it picks is a real policy: never better than the optimum, and close to it.
      expect(r.pathLogGrowth).toBeLessThanOrEqual(truth + 1e-12);
      expect(r.pathLogGrowth).toBeGreaterThan(truth - 1e-3);
      expect(r.actions.length).toBe(9);
    }
  });

  it("hybrid side-and-size actions: the bound over five sizes is at least the article's (size 0.5 is one of them)", () => {
    const hybrid = resolveEnvConfig({ preset: "hybrid", episode: { mode: "full" } });
    for (const seed of [1, 2, 3]) {
      const c = market(10, seed);
      const article = perfectForesight(tradePath(c, config, 0, 9), config, 10_000, 1, { gridSize: 2001 });
      const h = perfectForesight(tradePath(c, hybrid, 0, 9), hybrid, 10_000, 1, { gridSize: 2001 });
      expect(h.logGrowth).toBeGreaterThan(article.logGrowth - 2e-4);
      expect(h.actions.every((a) => [-1, -0.5, 0, 0.5, 1].includes(a))).toBe(true);
    }
  });

  it("beats buy-and-hold, every fixed policy and random policies", () => {
    const c = market(200, 9);
    const path = tradePath(c, config, 0, 199);
    const r = perfectForesight(path, config, 10_000, 1, { gridSize: 501 });
    const hold = Math.log((10_000 + c.close[199]!) / (10_000 + c.close[0]!));
    expect(r.logGrowth).toBeGreaterThan(hold);
    const rng = new Rng(3);
    const scheme = createActionScheme(config);
    const order = new Order();
    const fill = new Fill();
    for (let k = 0; k < 20; k++) {
      let cash = 10_000, coins = 1;
      for (let t = 0; t < path.steps; t++) {
        scheme.decide(rng.int(3), cash, coins, path.decision[t]!, order);
        executeOrder(cash, coins, order, path.buy[t]!, path.sell[t]!, config.commission, fill);
        cash = fill.cash;
        coins = fill.coins;
      }
      const g = Math.log((cash + coins * c.close[199]!) / (10_000 + c.close[0]!));
      expect(r.logGrowth).toBeGreaterThan(g);
    }
  });

  // Its speed is a benchmark figure, not a test: here only that a year of hours gives a finite bound over its path.
  it("handles a year of hours: a finite bound at or above the path it returns", () => {
    const c = market(8761, 4);
    const r = perfectForesight(tradePath(c, config, 0, 8760), config, 10_000, 1, { gridSize: 201 });
    expect(Number.isFinite(r.logGrowth)).toBe(true);
    expect(r.pathLogGrowth).toBeLessThanOrEqual(r.logGrowth + 1e-2);
  });
});

describe("perfectForesight: target-exposure levels", () => {
  it("is exact (levels DP) for close fills: equals the brute force over all 5^7 paths", () => {
    const config = resolveEnvConfig({ preset: "exposure", fill: { at: "close", slippageBps: 0 }, actions: { kind: "exposure_levels", minTradeUsd: 0 } });
    for (const seed of [11, 12, 13]) {
      const c = market(8, seed);
      const truth = Math.log(bruteForceEnv(c, config, 10_000, 1) / (10_000 + c.close[0]!));
      const r = perfectForesight(tradePath(c, config, 0, 7), config, 10_000, 1);
      expect(r.method).toBe("levels");
      expect(r.logGrowth).toBeCloseTo(truth, 10);
      expect(r.pathLogGrowth).toBeCloseTo(truth, 10);
    }
  });

  it("falls back to the grid for next-open fills and stays within a small gap of the brute force", () => {
    const config = resolveEnvConfig({ preset: "exposure", actions: { kind: "exposure_levels", minTradeUsd: 0 } });
    expect(config.fill.at).toBe("next_open");
    for (const seed of [21, 22, 23]) {
      const c = market(8, seed);
      const truth = Math.log(bruteForceEnv(c, config, 10_000, 1) / (10_000 + c.close[0]!));
      const r = perfectForesight(tradePath(c, config, 0, 7), config, 10_000, 1, { gridSize: 2001 });
      expect(r.method).toBe("grid");
      expect(Math.abs(r.logGrowth - truth)).toBeLessThan(2e-4);
      expect(r.pathLogGrowth).toBeLessThanOrEqual(truth + 1e-12);
    }
  });

  it("bounds a continuous scheme by a fine set of targets", () => {
    const config = resolveEnvConfig({ preset: "continuous", fill: { at: "close", slippageBps: 0 } });
    const c = market(50, 5);
    const path = tradePath(c, config, 0, 49);
    const coarse = perfectForesight(path, config, 10_000, 1, { continuousLevels: 3 });
    const fine = perfectForesight(path, config, 10_000, 1, { continuousLevels: 21 });
    expect(fine.method).toBe("levels");
    // 21 evenly spaced targets include the 3 coarse ones (0, 0.5, 1), so the fine bound is at least as high.
    expect(fine.logGrowth).toBeGreaterThanOrEqual(coarse.logGrowth - 1e-12);
  });
});
