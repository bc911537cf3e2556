import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, createPolicy, initParameters, networkSpec, resolveAgentConfig, runPpo } from "../agent/index.js";
import { headForSpace } from "../agent/policy-head.js";
import { alignMarkets, createPortfolioModel, createPortfolioVecEnv, portfolioAgentPolicy, runPortfolioBacktest } from "../portfolio/index.js";
import type { PortfolioConfigInput } from "../portfolio/config.js";
import { seriesAt } from "../portfolio/test-markets.js";
import { Rng } from "../util/rng.js";
import { loadPortfolioPolicy, PORTFOLIO_AGENT_BASE, portfolioWindowModel, trainPortfolio } from "./portfolio-train.js";

const dir = mkdtempSync(join(tmpdir(), "portfolio-continuous-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A planted two-asset task: A rises 0.4 % every hour, B falls 0.4 %. The best weights are all A. The observation
 * carries each asset's last log return and the portfolio's own weights.
 */
function plantedPair(rows: number) {
  const hours = Array.from({ length: rows }, (_, t) => t);
  const a = seriesAt("A/USD", hours, hours.map((t) => 100 * 1.004 ** t));
  const b = seriesAt("B/USD", hours, hours.map((t) => 100 * 0.996 ** t));
  return alignMarkets([a, b], { missingBars: "drop" });
}

/** Mean greedy weight of A over a full-series backtest of `policy` (weights after each rebalance). */
function greedyShareOfA(market: ReturnType<typeof plantedPair>, env: PortfolioConfigInput, act: Parameters<typeof portfolioAgentPolicy>[0]): number {
  const model = createPortfolioModel({ market, config: { ...env, episode: { mode: "full" } } });
  const trace = runPortfolioBacktest(model, portfolioAgentPolicy(act, model));
  let sum = 0;
  for (let t = 0; t < trace.steps; t++) sum += trace.weights[t * 2]!;
  return sum / trace.steps;
}

describe("the continuous portfolio allocator (diagonal Gaussian head, softmax_weights)", () => {
  const market = plantedPair(400);
  const env: PortfolioConfigInput = {
    actions: { kind: "softmax_weights" },
    commission: 0,
    observation: { features: { kind: "specs", specs: [{ kind: "log_return", columns: ["close"] }] }, portfolio: ["asset_weights", "cash_share"] },
    episode: { mode: "random_window", length: 32 },
  };

  it("learns to hold the rising asset of a planted pair within 30 updates (seeded, deterministic)", async () => {
    // The portfolio trainer's agent (the default preset as measured on the portfolio env), with this task's sizes.
    const config = resolveAgentConfig({
      preset: "default",
      network: { ...PORTFOLIO_AGENT_BASE.network, denseUnits: 16, lstmUnits: 16 },
      ppo: { ...PORTFOLIO_AGENT_BASE.ppo, numEnvs: 8, rolloutSteps: 32, sequenceLength: 8, numMinibatches: 2, learningRate: 1e-2, rewardScale: 1 },
    });
    const run = async (steps: number) => {
      const vec = createPortfolioVecEnv({ market, config: env, numEnvs: config.ppo.numEnvs });
      const spec = networkSpec(vec.observationSize, headForSpace(vec.actionSpace), config.network);
      expect(spec.head).toEqual({ kind: "diagonal_gaussian", dims: 3 });
      const engine = await createEngine("fused", spec, initParameters(spec, config.network.init, new Rng(7)), { beta1: 0.9, beta2: 0.999, epsilon: config.ppo.adamEpsilon });
      const result = await runPpo({ env: vec, engine, config, totalSteps: steps, seed: 7, envSeed: 8 });
      const norm = result.state.observationNorm ? { stats: result.state.observationNorm, clip: config.ppo.observationClip } : null;
      return { policy: createPolicy(engine, norm, null), metrics: result.lastMetrics };
    };
    const untrained = await run(1);
    const trained = await run(30 * 256);
    const again = await run(30 * 256);
    expect(again.metrics).toEqual(trained.metrics);
    const before = greedyShareOfA(market, env, untrained.policy);
    const after = greedyShareOfA(market, env, trained.policy);
    console.log(`planted pair: mean greedy weight of A ${before.toFixed(3)} after 1 update, ${after.toFixed(3)} after 30`);
    expect(after).toBeGreaterThan(before + 0.4);
    expect(after).toBeGreaterThan(0.9);
  }, 60_000);
});

describe("portfolio training with continuous weights", () => {
  const CONFIG = { steps: 1_024, trainStart: "2022-05-01", trainEnd: "2022-09-01", progress: "none", env: { actions: { kind: "softmax_weights" } } } as const;

  it("trains softmax_weights, records the head in the checkpoint, and a reloaded checkpoint backtests to the same values", async () => {
    const a = await trainPortfolio({ ...CONFIG, seed: 3, out: join(dir, "cp") });
    expect(a.engine).toBe("fused");
    const manifest = JSON.parse(readFileSync(join(dir, "cp", "manifest.json"), "utf8")) as { network: { head: unknown }; env: { config: { actions: { kind: string } } }; actions: { labels: string[] } };
    expect(manifest.network.head).toEqual({ kind: "diagonal_gaussian", dims: 3 });
    expect(manifest.env.config.actions.kind).toBe("softmax_weights");
    expect(manifest.actions.labels).toEqual(["logit BTC/USD", "logit ETH/USD", "logit cash"]);
    const loaded = await loadPortfolioPolicy(join(dir, "cp"));
    const model = portfolioWindowModel(a.data, loaded.env, { start: "2022-09-01", end: "2022-10-01" });
    loaded.checkAgainst(model);
    const x = runPortfolioBacktest(model, portfolioAgentPolicy(a.policy, model));
    const y = runPortfolioBacktest(model, portfolioAgentPolicy(loaded.policy, model));
    expect(Array.from(y.value)).toEqual(Array.from(x.value));
    // The greedy weights are the softmax of μ: never a level, and they move with the observation.
    const w = Array.from(x.weights.subarray(0, 2));
    expect(w[0]! + w[1]!).toBeLessThan(1);
    expect(new Set(Array.from(x.weights).map((v) => v.toFixed(6))).size).toBeGreaterThan(10);
  }, 120_000);

  it("refuses engine tfjs for continuous weights with one line naming the flag", async () => {
    await expect(trainPortfolio({ ...CONFIG, engine: "tfjs" })).rejects.toThrow(/unsupported_action_space at engine: portfolio actions "softmax_weights" need the diagonal Gaussian head, which only the fused engine has/);
  });
});
