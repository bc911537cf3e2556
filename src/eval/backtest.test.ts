import { describe, expect, it } from "vitest";
import { createTradingEnv, resolveEnvConfig } from "../env/index.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { Rng } from "../util/rng.js";
import { backtestModel, replayPolicy, runBacktest, traceRows, type BacktestPolicy } from "./backtest.js";
import { buyAndHoldTrace, maCrossoverPolicy, randomPolicy, runBaselines } from "./baselines.js";
import { EvalError } from "./errors.js";
import { computeMetrics } from "./metrics.js";
import { marketTradePath, tradePath } from "./perfect-foresight.js";

const candles = syntheticCandles(600, 7);
const hold: BacktestPolicy = { name: "hold", reset() {}, act: () => 0 };

/** The article's env transcribed from the reference Python (seed_ppo_lstm.py): value after each step. */
function articleValues(close: Float64Array, actions: ArrayLike<number>): number[] {
  let balance = 10_000, stocks = 1;
  const out = [balance + stocks * close[0]!];
  for (let t = 0; t < actions.length; t++) {
    const price = close[t]!;
    if (actions[t] === 1) {
      const buy = balance * 0.5;
      if (buy > 1) {
        balance -= buy;
        stocks += ((1 - 0.00075) * buy) / price;
      }
    } else if (actions[t] === 2) {
      const sell = stocks * 0.5;
      if (sell > 0.0001) {
        stocks -= sell;
        balance += (1 - 0.00075) * sell * price;
      }
    }
    out.push(balance + stocks * close[t + 1]!);
  }
  return out;
}

describe("runBacktest", () => {
  it("reproduces the article's env (independent transcription) on a random action path", () => {
    const model = backtestModel(candles, "seed");
    const rng = new Rng(5);
    const actions = Array.from({ length: 599 }, () => rng.int(3));
    const trace = runBacktest(model, replayPolicy("path", actions));
    expect(trace.steps).toBe(599);
    const ref = articleValues(candles.close, actions);
    for (let t = 0; t <= 599; t++) expect(trace.value[t]! / ref[t]! - 1).toBeCloseTo(0, 12);
    expect(trace.timestamp[0]).toBe(candles.timestamp[0]);
    expect(trace.price[599]).toBe(candles.close[599]);
  });

  it("matches the public single env step by step (value, cash, coins, fees, hold reasons)", () => {
    const config = resolveEnvConfig({ preset: "exposure", episode: { mode: "full" } });
    const env = createTradingEnv({ candles, config });
    const rng = new Rng(9);
    const actions = Array.from({ length: 599 }, () => rng.int(5));
    const trace = runBacktest(backtestModel(candles, config), replayPolicy("path", actions));
    env.reset();
    for (let t = 0; t < trace.steps; t++) {
      const { info } = env.step(actions[t]!);
      expect(trace.value[t + 1]).toBe(info.value);
      expect(trace.cash[t + 1]).toBe(info.cash);
      expect(trace.coins[t + 1]).toBe(info.coins);
      expect(trace.fees[t]).toBe(info.fee);
      expect(trace.executed[t]).toBe(info.executed ? 1 : 0);
      expect(trace.holdReasons[trace.holdCode[t]!]).toBe(info.holdReason);
    }
  });

  it("a policy that always holds is buy-and-hold, and buy-and-hold's metrics say so", () => {
    const model = backtestModel(candles, "seed");
    const trace = runBacktest(model, hold);
    const bh = buyAndHoldTrace(model);
    expect(Array.from(trace.value)).toEqual(Array.from(bh.value));
    const m = computeMetrics(bh);
    expect(m.excessReturn).toBe(0);
    expect(m.trades).toBe(0);
    expect(m.feesPaid).toBe(0);
    expect(m.totalReturn).toBeCloseTo(m.buyAndHoldReturn, 15);
  });

  it("selects the date window and counts trades, holds and fees consistently", () => {
    const start = new Date(candles.timestamp[100]!).toISOString();
    const end = new Date(candles.timestamp[300]!).toISOString();
    const model = backtestModel(candles, "seed", { start, end });
    const trace = runBacktest(model, randomPolicy(model), { seed: 3 });
    expect(trace.firstRow).toBe(100);
    expect(trace.steps).toBe(199); // rows 100 … 299: 199 steps
    expect(trace.timestamp[199]).toBe(candles.timestamp[299]);
    const m = computeMetrics(trace);
    let fees = 0;
    for (let t = 0; t < trace.steps; t++) fees += trace.fees[t]!;
    expect(m.feesPaid).toBeCloseTo(fees, 9);
    expect(m.trades + m.turnedIntoHolds).toBeLessThanOrEqual(trace.steps);
    expect(traceRows(trace)).toHaveLength(199);
    // Same seed, same run.
    expect(Array.from(runBacktest(model, randomPolicy(model), { seed: 3 }).value)).toEqual(Array.from(trace.value));
  });

  it("refuses an env that is not in full-series mode, and windows too short for a step", () => {
    const env = createTradingEnv({ candles, config: "seed" });
    expect(() => runBacktest(env.model, hold)).toThrow(EvalError);
    const t = new Date(candles.timestamp[10]!).toISOString();
    expect(() => backtestModel(candles, "seed", { start: t, end: t })).toThrow(/invalid_window/);
  });

  it("rejects an action outside the space", () => {
    const model = backtestModel(candles, "seed");
    expect(() => runBacktest(model, { name: "bad", reset() {}, act: () => 3 })).toThrow(/invalid_action/);
  });
});

describe("baselines", () => {
  it("MA crossover is causal: changing later prices does not change earlier actions", () => {
    const model = backtestModel(candles, "seed");
    const a = runBacktest(model, maCrossoverPolicy(model, { fast: 5, slow: 20 }));
    const altered = syntheticCandles(600, 7);
    for (let i = 400; i < 600; i++) altered.close[i] = altered.close[i]! * 3;
    const model2 = backtestModel(altered, "seed");
    const b = runBacktest(model2, maCrossoverPolicy(model2, { fast: 5, slow: 20 }));
    expect(Array.from(a.action.subarray(0, 400))).toEqual(Array.from(b.action.subarray(0, 400)));
  });

  it("perfect foresight replayed through the env beats every other baseline and sits under its bound", () => {
    const model = backtestModel(candles, "seed");
    const b = runBaselines(model, { seed: 1, perfectForesight: { gridSize: 401 } });
    const pf = b.perfectForesight!;
    const final = (x: { value: Float64Array; steps: number }) => x.value[x.steps]!;
    for (const other of [b.buyAndHold, b.random, b.maCrossover]) expect(final(pf)).toBeGreaterThan(final(other));
    const realised = Math.log(final(pf) / pf.value[0]!);
    expect(realised).toBeLessThanOrEqual(b.bound!.logGrowth + 1e-3);
    expect(realised).toBeGreaterThan(b.bound!.logGrowth - 0.05);
  });

  it("the env's trade path equals the one derived from the candles and the config", () => {
    const config = resolveEnvConfig({ preset: "exposure", episode: { mode: "full" } });
    const model = backtestModel(candles, config);
    const a = marketTradePath(model.market);
    const first = model.market.firstRow; // past the features' warm-up and look-back
    const b = tradePath(candles, config, first, 599 - first);
    expect(Array.from(a.buy)).toEqual(Array.from(b.buy));
    expect(Array.from(a.sell)).toEqual(Array.from(b.sell));
    expect(Array.from(a.mark)).toEqual(Array.from(b.mark));
  });
});
