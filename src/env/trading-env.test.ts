import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "../data/candles.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { pctChangeFeatures } from "../features/pct-change.js";
import { EnvError } from "./errors.js";
import { createTradingEnv, type EnvConfigRequest } from "./index.js";
import { handCandles, syntheticCandles } from "./synthetic-market.js";

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof EnvError) return `${e.code}${e.field === undefined ? "" : `@${e.field}`}`;
    throw e;
  }
  return "no error";
}

function candlesOf(rows: { open: number; close: number }[]): Candles {
  const c = allocCandles({ symbol: "T/USD", exchange: "test", timeframe: "1h" }, rows.length);
  rows.forEach((r, t) => {
    c.timestamp[t] = Date.UTC(2021, 0, 1) + t * 3_600_000;
    c.open[t] = r.open;
    c.close[t] = r.close;
    c.high[t] = Math.max(r.open, r.close) + 1;
    c.low[t] = Math.min(r.open, r.close) - 1;
    c.volume[t] = 5;
  });
  return c;
}

/** Feature a = t + 1 and b = 10(t + 1) on row t: every row distinct, so windows are easy to read. */
function countingFeatures(rows: number): FeatureMatrix {
  const values = new Float64Array(rows * 2);
  for (let t = 0; t < rows; t++) {
    values[2 * t] = t + 1;
    values[2 * t + 1] = 10 * (t + 1);
  }
  return { names: ["a", "b"], rows, cols: 2, values };
}

/** The article's features over one row: tiny hand markets have no room for the research features' warm-up. */
const PCT = { features: { kind: "pct_change" }, window: 1 } as const;
const FULL_SEED = { preset: "seed", episode: { mode: "full" } } as const satisfies EnvConfigRequest;

describe("trading env contract", () => {
  const candles = handCandles([100, 110, 99, 121, 110, 88]);

  it("throws named errors: step before reset, after the end, invalid actions", () => {
    const env = createTradingEnv({ candles, config: FULL_SEED });
    expect(codeOf(() => env.step(0))).toBe("step_before_reset");
    env.reset();
    expect(codeOf(() => env.step(3))).toBe("invalid_action@action");
    expect(codeOf(() => env.step(-1))).toBe("invalid_action@action");
    for (let k = 0; k < 5; k++) env.step(0);
    expect(codeOf(() => env.step(0))).toBe("step_after_end");
    env.reset();
    expect(env.step(0).info.step).toBe(1);
    const cont = createTradingEnv({ candles, config: { preset: "continuous", episode: { mode: "full" }, observation: PCT } });
    cont.reset();
    expect(codeOf(() => cont.step(Number.NaN))).toBe("invalid_action@action");
  });

  it("rejects markets that cannot host the episode, naming the place", () => {
    expect(codeOf(() => createTradingEnv({ candles, config: "seed" }))).toBe("invalid_market@episode.length");
    const bad = handCandles([100, 110, 99]);
    bad.close[2] = 0;
    expect(codeOf(() => createTradingEnv({ candles: bad, config: FULL_SEED }))).toBe("invalid_market@candles.close[2]");
    const features = countingFeatures(5);
    expect(codeOf(() => createTradingEnv({ candles, config: FULL_SEED, features }))).toBe("invalid_market@features");
    const nan = countingFeatures(6);
    nan.values[7] = Number.NaN;
    expect(codeOf(() => createTradingEnv({ candles, config: FULL_SEED, features: nan }))).toBe("invalid_market@features.b[3]");
  });

  it("computes the config's features when none are passed", () => {
    const a = createTradingEnv({ candles, config: FULL_SEED });
    const b = createTradingEnv({ candles, config: FULL_SEED, features: pctChangeFeatures(candles) });
    a.reset();
    b.reset();
    for (const act of [1, 2, 0, 1, 2]) expect(a.step(act)).toEqual(b.step(act));
  });

  it("fills at the next open with slippage when configured (hand-worked)", () => {
    // Opens differ from the previous closes so that a close fill would give other numbers.
    const c = candlesOf([
      { open: 100, close: 100 },
      { open: 104, close: 110 },
      { open: 108, close: 99 },
      { open: 96, close: 90 },
    ]);
    const env = createTradingEnv({ candles: c, config: { ...FULL_SEED, fill: { at: "next_open", slippageBps: 10 } } });
    env.reset();
    // Buy decided on row 0, fills at open[1] × 1.001 = 104.104: coins 1 + 0.99925 × 5,000 / 104.104.
    const buy = env.step(1);
    const bought = (0.99925 * 5000) / 104.104;
    expect(buy.info.fillPrice).toBeCloseTo(104.104, 12);
    expect(buy.info.coins).toBeCloseTo(1 + bought, 12);
    expect(buy.info.value).toBeCloseTo(5000 + (1 + bought) * 110, 9);
    // Sell decided on row 1, fills at open[2] × 0.999 = 107.892: proceeds 0.99925 × half the coins × 107.892.
    const sell = env.step(2);
    const sold = (1 + bought) / 2;
    expect(sell.info.fillPrice).toBeCloseTo(107.892, 12);
    expect(sell.info.cash).toBeCloseTo(5000 + 0.99925 * sold * 107.892, 9);
    expect(sell.info.fee).toBeCloseTo(0.00075 * sold * 107.892, 12);
    expect(sell.info.value).toBeCloseTo(sell.info.cash + sold * 99, 9);
  });

  it("look-back windows: zero or clamp padding before row 0, real rows elsewhere", () => {
    const features = countingFeatures(6);
    const make = (padding: "zero" | "clamp") =>
      createTradingEnv({ candles, features, config: { ...FULL_SEED, observation: { window: 3, padding, portfolio: [] } } });
    const zero = make("zero");
    expect(zero.observationSpace.labels).toEqual(["a[t-2]", "b[t-2]", "a[t-1]", "b[t-1]", "a[t]", "b[t]"]);
    expect(Array.from(zero.reset().observation)).toEqual([0, 0, 0, 0, 1, 10]);
    expect(Array.from(zero.step(0).observation)).toEqual([0, 0, 1, 10, 2, 20]);
    expect(Array.from(zero.step(0).observation)).toEqual([1, 10, 2, 20, 3, 30]);
    const clamp = make("clamp");
    expect(Array.from(clamp.reset().observation)).toEqual([1, 10, 1, 10, 1, 10]);
    expect(Array.from(clamp.step(0).observation)).toEqual([1, 10, 1, 10, 2, 20]);
    // A random window that starts on row 3 sees the real rows 1 and 2, not padding.
    const win = createTradingEnv({
      candles,
      features,
      config: { preset: "seed", episode: { mode: "random_window", length: 2 }, observation: { window: 3, portfolio: [] } },
    });
    expect(Array.from(win.reset({ options: { startRow: 3 } }).observation)).toEqual([2, 20, 3, 30, 4, 40]);
  });

  it("portfolio features: shares of value and P&L against holding", () => {
    const env = createTradingEnv({
      candles,
      config: { ...FULL_SEED, observation: { portfolio: ["cash_share", "coin_share", "pnl_vs_hold", "cash_scaled", "coins_scaled"], cashScale: 1000, coinScale: 2 } },
    });
    expect(env.observationSpace.labels.slice(5)).toEqual(["cash_share", "coin_share", "pnl_vs_hold", "cash/1000", "coins/2"]);
    expect(Array.from(env.observationSpace.low.slice(5))).toEqual([0, 0, -1, 0, 0]);
    expect(Array.from(env.observationSpace.high.slice(5))).toEqual([1, 1, Infinity, Infinity, Infinity]);
    // Reset at 100: 10,000 USD + 1 coin = 10,100.
    const o0 = Array.from(env.reset().observation.slice(5));
    expect(o0).toEqual([10_000 / 10_100, 100 / 10_100, 0, 10, 0.5].map(Math.fround));
    // After buying (cash 5,000, coins 50.9625) at 110: V = 10,605.875, H = 10,110.
    const o1 = Array.from(env.step(1).observation.slice(5));
    const want = [5_000 / 10_605.875, 5_605.875 / 10_605.875, 10_605.875 / 10_110 - 1, 5, 50.9625 / 2];
    o1.forEach((v, j) => expect(v).toBe(Math.fround(want[j]!)));
  });

  it("full-series episodes over a date window", () => {
    const env = createTradingEnv({
      candles,
      config: { preset: "seed", episode: { mode: "full", from: Date.UTC(2020, 0, 1, 1), to: Date.UTC(2020, 0, 1, 4) } },
    });
    const r = env.reset();
    expect(r.info.row).toBe(1);
    expect(env.step(0).truncated).toBe(false);
    const last = env.step(0);
    expect([last.truncated, last.info.row, last.info.step]).toEqual([true, 3, 2]);
  });

  it("terminates on ruin, not truncates", () => {
    const crash = candlesOf([
      { open: 100, close: 100 },
      { open: 100, close: 100 },
      { open: 100, close: 5 },
      { open: 5, close: 5 },
      { open: 5, close: 5 },
    ]);
    const env = createTradingEnv({
      candles: crash,
      config: { preset: "continuous", fill: { at: "close", slippageBps: 0 }, episode: { mode: "full" }, observation: PCT },
    });
    env.reset();
    const allIn = env.step(1);
    expect(allIn.info.coinsDelta).toBeGreaterThan(0);
    expect(allIn.terminated).toBe(false);
    const fall = env.step(1); // value falls to about 5% of the start: under the 10% ruin line
    expect([fall.terminated, fall.truncated]).toEqual([true, false]);
    expect(fall.info.value).toBeLessThan(0.1 * fall.info.startValue);
    expect(codeOf(() => env.step(1))).toBe("step_after_end");
  });

  it("reset(seed) replays the start; reset() continues the RNG", () => {
    const env = createTradingEnv({ candles: syntheticCandles(3_000, 2), config: "seed" });
    const a = env.reset({ seed: 7 }).info.row;
    const b = env.reset().info.row;
    const c = env.reset().info.row;
    expect(env.reset({ seed: 7 }).info.row).toBe(a);
    expect([env.reset().info.row, env.reset().info.row]).toEqual([b, c]);
    expect(new Set([a, b, c]).size).toBeGreaterThan(1);
  });

  it("hands out fresh observations and infos (safe to keep)", () => {
    const env = createTradingEnv({ candles, config: FULL_SEED });
    const o0 = env.reset().observation;
    const first = Array.from(o0);
    const s = env.step(1);
    expect(Array.from(o0)).toEqual(first);
    expect(s.observation).not.toBe(o0);
  });
});
