import { describe, expect, it } from "vitest";
import { checkVecEnv } from "../env/check-env.js";
import { EnvError } from "../env/errors.js";
import { createTradingEnv } from "../env/trading-env.js";
import { syntheticCandles } from "../env/synthetic-market.js";
import { Rng } from "../util/rng.js";
import { alignMarkets } from "./align.js";
import { checkPortfolioEnv, samplePortfolioAction } from "./check.js";
import type { PortfolioConfigInput } from "./config.js";
import { createPortfolioEnv, createPortfolioVecEnv } from "./env.js";
import { randomPair } from "./test-markets.js";

const pair = randomPair(900, 7, "drop", { a: [100, 101, 400], b: [250] });
const filled = randomPair(900, 7, "fill", { a: [100, 101, 400], b: [250] });

/** Configs the checker must pass: every action scheme, both fills, penalties, look-back, both alignments. */
const CASES: ReadonlyArray<readonly [string, PortfolioConfigInput, "drop" | "fill"]> = [
  ["weight_levels, log_return", { episode: { mode: "random_window", length: 200 } }, "drop"],
  ["weight_levels, next_open + slippage, profit_vs_hold", { fill: { at: "next_open", slippageBps: 5 }, reward: { base: { kind: "profit_vs_hold" } }, episode: { mode: "random_window", length: 200 } }, "fill"],
  ["target_weights, window 3, penalties", { actions: { kind: "target_weights" }, observation: { window: 3, padding: "clamp" }, reward: { base: { kind: "log_return" }, drawdownPenalty: 0.1, turnoverPenalty: 0.01 }, episode: { mode: "random_window", length: 150 } }, "drop"],
  ["softmax_weights, differential_sharpe, full episode", { actions: { kind: "softmax_weights" }, reward: { base: { kind: "differential_sharpe" } }, episode: { mode: "full" } }, "fill"],
  ["pct_change features, ruin stop", { observation: { features: { kind: "pct_change" }, portfolio: ["asset_weights"] }, ruinFraction: 0.9, episode: { mode: "random_window", length: 300 } }, "drop"],
];

describe.each(CASES)("portfolio env (%s)", (_name, config, policy) => {
  const market = policy === "drop" ? pair : filled;
  it("passes the env checker", () => {
    const result = checkPortfolioEnv(() => createPortfolioEnv({ market, config }), { episodes: 3, maxStepsPerEpisode: 400 });
    expect(result.problems).toEqual([]);
    expect(result.steps).toBeGreaterThan(100);
  });
  it("passes the vec env checker", () => {
    const result = checkVecEnv(() => createPortfolioVecEnv({ market, config, numEnvs: 3 }), { vecSteps: config.episode?.mode === "full" ? 900 : 450 });
    expect(result.problems).toEqual([]);
  });
});

describe("portfolio env", () => {
  it("throws named errors", () => {
    const env = createPortfolioEnv({ market: pair, config: {} });
    const code = (run: () => unknown): string => {
      try {
        run();
      } catch (e) {
        if (e instanceof EnvError) return e.code;
        throw e;
      }
      return "no error";
    };
    expect(code(() => env.step(0))).toBe("step_before_reset");
    env.reset({ seed: 1 });
    expect(code(() => env.step(6))).toBe("invalid_action");
    expect(code(() => env.step([0.5, 0.5]))).toBe("invalid_action");
    const box = createPortfolioEnv({ market: pair, config: { actions: { kind: "target_weights" } } });
    box.reset();
    expect(code(() => box.step(0.5))).toBe("invalid_action");
    expect(code(() => box.step([0.5, Number.NaN]))).toBe("invalid_action");
    expect(code(() => createPortfolioEnv({ market: pair, config: { actions: { kind: "nope" } } as never }))).toBe("invalid_config");
  });

  it("labels the combinations of levels and the observation", () => {
    const env = createPortfolioEnv({ market: pair, config: {} });
    expect(env.actionSpace.kind === "discrete" && env.actionSpace.labels).toEqual([
      "A/USD 0% · B/USD 0% · cash 100%",
      "A/USD 0% · B/USD 50% · cash 50%",
      "A/USD 0% · B/USD 100% · cash 0%",
      "A/USD 50% · B/USD 0% · cash 50%",
      "A/USD 50% · B/USD 50% · cash 0%",
      "A/USD 100% · B/USD 0% · cash 0%",
    ]);
    expect(env.observationSpace.labels).toEqual([
      "A/USD:close_logret", "A/USD:vol_24", "A/USD:rsi_14", "A/USD:close_z48",
      "B/USD:close_logret", "B/USD:vol_24", "B/USD:rsi_14", "B/USD:close_z48",
      "weight A/USD", "weight B/USD", "cash_share", "pnl_vs_hold",
    ]);
  });

  it("the vec env steps each env exactly as a single env started on the same row, and truncates it on time", () => {
    const config: PortfolioConfigInput = { actions: { kind: "softmax_weights" }, episode: { mode: "random_window", length: 40 } };
    const vec = createPortfolioVecEnv({ market: pair, config, numEnvs: 2 });
    const singles = [0, 1].map(() => createPortfolioEnv({ market: pair, config }));
    const obs0 = vec.reset(9);
    const rng = new Rng(3);
    const size = vec.observationSize;
    // The single envs replay the vec env's per-env streams: seed them as the vec env does.
    const seeds = [0, 1].map((i) => vec.state.startRow[i]!);
    singles.forEach((env, i) => {
      const r = env.reset({ options: { startRow: seeds[i]! } });
      expect(Array.from(r.observation)).toEqual(Array.from(obs0.subarray(i * size, (i + 1) * size)));
    });
    for (let t = 0; t < 39; t++) {
      const actions = new Float32Array(2 * 3);
      for (let j = 0; j < actions.length; j++) actions[j] = rng.normal();
      const r = vec.step(actions);
      singles.forEach((env, i) => {
        const s = env.step(actions.subarray(i * 3, i * 3 + 3));
        expect(s.reward).toBe(r.rewards[i]);
        expect(Array.from(s.observation)).toEqual(Array.from(r.observations.subarray(i * size, (i + 1) * size)));
      });
    }
    const last = vec.step(new Float32Array(6));
    expect(Array.from(last.truncated)).toEqual([1, 1]);
    expect(last.finishedEpisodes.length[0]).toBe(40);
  });

  it("with one asset it trades exactly as the single-asset env with the same exposure levels", () => {
    const candles = syntheticCandles(400, 11, 100);
    const one = alignMarkets([candles]);
    const portfolio = createPortfolioEnv({
      market: one,
      config: { actions: { kind: "weight_levels", levels: [0, 0.5, 1], minTradeUsd: 10, band: 0 }, observation: { features: { kind: "pct_change" } }, episode: { mode: "full" }, ruinFraction: 0 },
    });
    const single = createTradingEnv({
      candles,
      config: {
        initialCash: 10_000,
        initialCoins: 0,
        actions: { kind: "exposure_levels", levels: [0, 0.5, 1], minTradeUsd: 10 },
        reward: { base: { kind: "log_return" } },
        episode: { mode: "full" },
        ruinFraction: 0,
      },
    });
    portfolio.reset();
    single.reset();
    const rng = new Rng(5);
    let trades = 0;
    for (let t = 0; t < 399; t++) {
      // Hold a level for a while, then switch: both rebalancing and drift are exercised.
      const a = t % 7 === 0 ? rng.int(3) : ((t / 7) | 0) % 3;
      const p = portfolio.step(a);
      const s = single.step(a);
      if (s.info.executed) trades++;
      expect(p.info.legs[0]!.side).toBe(s.info.side);
      expect(Math.abs(p.info.value - s.info.value)).toBeLessThan(1e-9 * s.info.value);
      expect(Math.abs(p.info.cash - s.info.cash)).toBeLessThan(1e-9 * s.info.value);
      expect(Math.abs(p.reward - s.reward)).toBeLessThan(1e-12);
    }
    expect(trades).toBeGreaterThan(100);
  });

  it("rewards add up: log returns to ln(V_end / V_0), profit_vs_hold to V_end − H_end", () => {
    for (const kind of ["log_return", "profit_vs_hold"] as const) {
      const env = createPortfolioEnv({ market: pair, config: { reward: { base: { kind } }, episode: { mode: "random_window", length: 300 }, ruinFraction: 0 } });
      env.reset({ seed: 4 });
      const rng = new Rng(8);
      let sum = 0;
      let info = null;
      for (let t = 0; t < 300; t++) {
        const r = env.step(samplePortfolioAction(env.actionSpace, rng));
        sum += r.reward;
        info = r.info;
      }
      const expected = kind === "log_return" ? Math.log(info!.value / 10_000) : info!.value - info!.holdValue;
      expect(sum).toBeCloseTo(expected, 8);
    }
  });

  it("the benchmark is the equal-weight buy-and-hold bought at the episode's first close", () => {
    const env = createPortfolioEnv({ market: pair, config: { episode: { mode: "full" } } });
    const first = env.reset().info;
    let info = first;
    for (let t = 0; t < 50; t++) info = env.step(0).info;
    const expected = first.prices.reduce((s, p0, k) => s + (5_000 / p0) * info.prices[k]!, 0);
    expect(info.holdValue).toBeCloseTo(expected, 9);
    expect(info.value).toBe(10_000);
  });

  it("a filled bar is not traded: its leg holds with reason missing_bar", () => {
    const env = createPortfolioEnv({ market: filled, config: { episode: { mode: "full" }, observation: { features: { kind: "pct_change" } } } });
    env.reset();
    const row = filled.tradable[0]!.indexOf(0);
    let info = null;
    for (let t = 0; t < row; t++) info = env.step(t === row - 1 ? 5 : 0).info; // ask for 100 % A on the filled bar
    expect(info!.decisionRow).toBe(row - 1);
    const leg = env.step(5).info.legs[0]!;
    expect(leg.holdReason).toBe("missing_bar");
    expect(leg.side).toBe("none");
  });
});
