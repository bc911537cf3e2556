import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allocCandles } from "../data/candles.js";
import { createTradingEnv, createVecEnv, resolveEnvConfig, type StepResult } from "./index.js";
import { handCandles } from "./synthetic-market.js";

/**
 * The `seed` preset is the article's env. Two independent references pin it: values worked out by hand
 * (in the comments) on a 6-row series, and golden values produced by running the article's env as
 * re-implemented in Python (recipe: testdata/seed-reference-golden.py).
 */

const SEED_FULL = { preset: "seed", episode: { mode: "full" } } as const;

describe("seed preset: hand-worked episode", () => {
  // closes 100, 110, 99, 121, 110, 88; open = previous close; high/low = close ± 5; volumes below.
  const candles = handCandles([100, 110, 99, 121, 110, 88], [10, 20, 10, 40, 10, 5]);

  it("resolves to the article's settings", () => {
    const c = resolveEnvConfig("seed");
    expect(c.initialCash).toBe(10_000);
    expect(c.initialCoins).toBe(1);
    expect(c.commission).toBe(0.00075);
    expect(c.actions).toEqual({ kind: "reference", fraction: 0.5, minCash: 1, minCoins: 0.0001 });
    expect(c.reward.base).toEqual({ kind: "profit_vs_hold" });
    expect(c.episode).toEqual({ mode: "random_window", length: 500 });
    expect(c.fill).toEqual({ at: "close", slippageBps: 0 });
    expect(c.ruinFraction).toBe(0);
  });

  it("buy, hold, sell, sell, buy over the whole series", () => {
    const env = createTradingEnv({ candles, config: SEED_FULL });
    const { observation: o0, info: i0 } = env.reset();
    // Start: 10,000 USD + 1 coin at 100 → V0 = 10,100 = H0; row 0 features are all 0 (no previous row).
    expect(Array.from(o0)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(i0.value).toBe(10_100);
    expect(env.observationSpace.labels).toEqual(["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct", "cash/10000", "coins"]);
    expect(env.actionSpace).toMatchObject({ kind: "discrete", n: 3 });

    const r: StepResult[] = [1, 0, 2, 2, 1].map((a) => env.step(a));

    // Step 1, buy at close 100: spend 10,000 × 0.5 = 5,000 → cash 5,000; coins 1 + 0.99925 × 5,000 / 100 = 50.9625;
    // fee 0.00075 × 5,000 = 3.75. Clock → row 1 (close 110): V1 = 5,000 + 50.9625 × 110 = 10,605.875;
    // H1 = 10,000 + 110 = 10,110; profit 495.875; reward 495.875 − 0 = 495.875.
    expect(r[0]!.info).toMatchObject({ cash: 5000, coins: 50.9625, fee: 3.75, side: "buy", executed: true, holdReason: null, row: 1, price: 110 });
    expect(r[0]!.info.value).toBeCloseTo(10_605.875, 9);
    expect(r[0]!.reward).toBeCloseTo(495.875, 9);
    // Observation of row 1: open 100→100 = 0%, high 105→115 = 9.5238%, low 95→105 = 10.5263%, close +10%, volume +100%.
    expect(Array.from(r[0]!.observation)).toEqual([0, 200 / 21, 200 / 19, 10, 100, 0.5, 50.9625].map(Math.fround));

    // Step 2, hold: row 2 (close 99): V2 = 5,000 + 50.9625 × 99 = 10,045.2875; H2 = 10,099;
    // profit −53.7125; reward −53.7125 − 495.875 = −549.5875.
    expect(r[1]!.info).toMatchObject({ cash: 5000, coins: 50.9625, fee: 0, executed: false, holdReason: "hold_action", side: "none" });
    expect(r[1]!.reward).toBeCloseTo(-549.5875, 9);

    // Step 3, sell at 99: 50.9625 × 0.5 = 25.48125 coins; gross 25.48125 × 99 = 2,522.64375;
    // fee 1.8919828125; cash 5,000 + 2,520.7517671875 = 7,520.7517671875. Row 3 (close 121):
    // V3 = 7,520.7517671875 + 25.48125 × 121 = 10,603.9830171875; H3 = 10,121; profit 482.9830171875;
    // reward 482.9830171875 + 53.7125 = 536.6955171875.
    expect(r[2]!.info.coins).toBe(25.48125);
    expect(r[2]!.info.cash).toBeCloseTo(7_520.7517671875, 9);
    expect(r[2]!.info.fee).toBeCloseTo(1.8919828125, 12);
    expect(r[2]!.reward).toBeCloseTo(536.6955171875, 9);

    // Step 4, sell at 121: 12.740625 coins, gross 1,541.615625, fee 1.15621171875; cash 9,061.21118046875.
    // Row 4 (close 110): V4 = 9,061.21118046875 + 1,401.46875 = 10,462.67993046875; H4 = 10,110;
    // profit 352.67993046875; reward 352.67993046875 − 482.9830171875 = −130.30308671875.
    expect(r[3]!.info.coins).toBe(12.740625);
    expect(r[3]!.info.value).toBeCloseTo(10_462.67993046875, 9);
    expect(r[3]!.reward).toBeCloseTo(-130.30308671875, 9);

    // Step 5, buy at 110: spend 4,530.605590234375 (half the cash), fee 3.39795419267578;
    // coins 12.740625 + 0.99925 × 4,530.605590234375 / 110 = 53.8970580549245. Row 5 (close 88):
    // V5 = 4,530.605590234375 + 53.8970580549245 × 88 = 9,273.54669906773; H5 = 10,088;
    // profit −814.453300932266; reward −814.453300932266 − 352.67993046875 = −1,167.13323140102.
    expect(r[4]!.info.coins).toBeCloseTo(53.8970580549245, 12);
    expect(r[4]!.info.value).toBeCloseTo(9_273.54669906773, 9);
    expect(r[4]!.reward).toBeCloseTo(-1_167.13323140102, 9);
    expect(r[4]!.info.profitVsHold).toBeCloseTo(-814.453300932266, 9);
    expect(r[4]!.info.feesTotal).toBeCloseTo(3.75 + 1.8919828125 + 1.15621171875 + 3.39795419267578, 9);

    // The whole series is one episode of rows − 1 = 5 steps: only the last one is truncated.
    expect(r.map((x) => x.truncated)).toEqual([false, false, false, false, true]);
    expect(r.every((x) => !x.terminated)).toBe(true);
    // Rewards telescope to the final profit against holding.
    expect(r.reduce((s, x) => s + x.reward, 0)).toBeCloseTo(-814.453300932266, 9);
  });

  it("turns trades at the minimums into holds, with the reason", () => {
    // 2 USD + 0.0002 coins: a buy spends 2 × 0.5 = 1, not > 1; a sell sells 0.0001, not > 0.0001.
    const env = createTradingEnv({ candles, config: { ...SEED_FULL, initialCash: 2, initialCoins: 0.0002 } });
    env.reset();
    const buy = env.step(1);
    expect(buy.info).toMatchObject({ executed: false, holdReason: "cash_below_minimum", cash: 2, coins: 0.0002, fee: 0 });
    const sell = env.step(2);
    expect(sell.info).toMatchObject({ executed: false, holdReason: "coins_below_minimum", cash: 2, coins: 0.0002, fee: 0 });
    // A hold changes only the mark to market: V = 2 + 0.0002 × 99 at row 2.
    expect(sell.info.value).toBe(2 + 0.0002 * 99);
  });

  it("samples training windows of 500 steps with start uniform in [0, rows − 500)", () => {
    const rows = 520; // starts 0…19
    const c = allocCandles({ symbol: "X/USD", exchange: "test", timeframe: "1h" }, rows);
    for (let t = 0; t < rows; t++) {
      c.timestamp[t] = t * 3_600_000;
      c.open[t] = c.high[t] = c.low[t] = c.close[t] = 100 + (t % 10);
      c.volume[t] = 1;
    }
    const env = createTradingEnv({ candles: c, config: "seed" });
    const starts = new Set<number>();
    for (let k = 0; k < 400; k++) {
      const { info } = env.reset({ seed: k });
      starts.add(info.row);
    }
    expect(Math.min(...starts)).toBe(0);
    expect(Math.max(...starts)).toBe(19);
    expect(starts.size).toBe(20);
    env.reset({ options: { startRow: 19 } });
    let steps = 0;
    let last: StepResult | undefined;
    do {
      last = env.step(0);
      steps++;
    } while (!last.truncated);
    expect(steps).toBe(500);
    expect(last.info.row).toBe(519);
    expect(() => env.reset({ options: { startRow: 20 } })).toThrow(/invalid_reset_option/);
  });
});

interface Golden {
  close: number[];
  actions: number[];
  steps: { reward: number; profit: number; value: number; cash: number; coins: number; done: boolean }[];
}

describe("seed preset: golden values from the article's env (Python)", () => {
  const golden = JSON.parse(readFileSync(new URL("./testdata/seed-reference-golden.json", import.meta.url), "utf8")) as Golden;
  const c = allocCandles({ symbol: "G/USD", exchange: "test", timeframe: "1h" }, golden.close.length);
  golden.close.forEach((p, t) => {
    c.timestamp[t] = t * 3_600_000;
    c.open[t] = c.high[t] = c.low[t] = c.close[t] = p;
    c.volume[t] = 1;
  });

  it("reproduces every reward, value and portfolio bit for bit (single env)", () => {
    const env = createTradingEnv({ candles: c, config: SEED_FULL });
    env.reset();
    let holds = 0;
    golden.actions.forEach((a, k) => {
      const r = env.step(a);
      const g = golden.steps[k]!;
      expect({ k, reward: r.reward, value: r.info.value, profit: r.info.profitVsHold, cash: r.info.cash, coins: r.info.coins, done: r.truncated }).toEqual({
        k,
        reward: g.reward,
        value: g.value,
        profit: g.profit,
        cash: g.cash,
        coins: g.coins,
        done: g.done,
      });
      if (a !== 0 && !r.info.executed) holds++;
    });
    // The series drives the coins down to the 0.0001 minimum: sells there must have become holds.
    expect(holds).toBeGreaterThan(5);
  });

  it("the vec env reproduces it too", () => {
    const env = createVecEnv({ candles: c, config: SEED_FULL, numEnvs: 1 });
    env.reset(0);
    golden.actions.forEach((a, k) => {
      const r = env.step(Int32Array.of(a));
      const g = golden.steps[k]!;
      expect([k, r.rewards[0], r.truncated[0]]).toEqual([k, g.reward, g.done ? 1 : 0]);
      if (g.done) expect(r.finishedEpisodes.profit[0]).toBe(g.profit);
    });
  });
});
