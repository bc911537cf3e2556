import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Candles } from "../data/candles.js";
import { readCandlesCsv } from "../data/csv.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { selectRange } from "../data/splits.js";
import { createVecEnv, type EnvPresetName } from "../env/index.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { selectBackend, type BackendPreference } from "./backend.js";
import { resolveAgentConfig, type AgentPresetName } from "./config.js";
import { chooseEngineKind, createEngine, type EnginePreference } from "./create-engine.js";
import type { Engine } from "./engine.js";
import { initParameters } from "./init.js";
import { networkSpec } from "./network-spec.js";
import { runPpo } from "./ppo.js";
import { sampleFromLogProbs } from "./sample-action.js";

/**
 * The agent's benchmark figures (merged into `npm run bench` by scripts/bench.ts; vs-seed.sh reads
 * `train_env_steps_per_s_seed`). For each agent preset on its env: rollout throughput (policy + env steps, no
 * updates), training throughput (env steps per second, PPO updates included: the article's figure of merit),
 * and peak RSS. Optionally a long run that checks memory stays flat, and the article's PyTorch agent run side
 * by side for the ratio.
 */
export interface AgentBenchOptions {
  /** Candle CSV; default: the embedded market. */
  readonly data?: string;
  readonly trainStart?: string;
  readonly trainEnd?: string;
  /** Env preset for both agent presets (default "seed", the article's env). */
  readonly envPreset?: EnvPresetName;
  /** Timed training runs per preset (median reported). */
  readonly runs?: number;
  /** Env steps per timed training run. */
  readonly stepsPerRun?: number;
  readonly engine?: EnginePreference;
  readonly backend?: BackendPreference;
  /** Episodes (500 steps) of a seed-preset training run sampled for memory growth; 0 skips it. */
  readonly longRunEpisodes?: number;
  /**
   * Episodes of the article's PyTorch agent to run for the ratio (needs /usr/bin/python3 with torch and pandas
   * and the reference script); 0 skips it.
   */
  readonly referenceEpisodes?: number;
  /** The reference script and its CSV (default: ../shared/bench/seed_ref/seed_ppo_lstm.py, ../shared/data/btc_usd_1h.csv). */
  readonly referenceScript?: string;
  readonly referenceData?: string;
  readonly log?: (line: string) => void;
}

export type AgentBenchFigures = Record<string, number | string | null | number[]>;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

const mib = (): number => process.memoryUsage.rss() / 1048576;

function loadCandles(opts: AgentBenchOptions): { candles: Candles; label: string } {
  const raw = opts.data ? readCandlesCsv(opts.data).candles : loadEmbeddedMarket();
  const candles = selectRange(raw, { ...(opts.trainStart ? { start: opts.trainStart } : {}), ...(opts.trainEnd ? { end: opts.trainEnd } : {}) });
  return { candles, label: opts.data ?? "embedded" };
}

/** Policy and env steps only: the rollout half of training. */
function rolloutStepsPerSecond(engine: Engine, env: ReturnType<typeof createVecEnv>, steps: number): number {
  const N = env.numEnvs;
  const A = engine.spec.actionCount;
  const state = new Float64Array(N * engine.spec.stateSize);
  const logProbs = new Float64Array(N * A);
  const values = new Float64Array(N);
  const actions = new Int32Array(N);
  const obs = new Float32Array(N * env.observationSize);
  const rng = new Rng(1);
  obs.set(env.reset(1));
  const t0 = performance.now();
  const iterations = Math.ceil(steps / N);
  for (let t = 0; t < iterations; t++) {
    engine.step(obs, N, state, logProbs, values);
    for (let i = 0; i < N; i++) {
      const a = sampleFromLogProbs(logProbs, i, A, rng.uniform());
      actions[i] = a;
    }
    const r = env.step(actions);
    for (let j = 0; j < obs.length; j++) obs[j] = r.observations[j]!;
    for (let i = 0; i < N; i++) if (r.terminated[i] || r.truncated[i]) state.fill(0, i * engine.spec.stateSize, (i + 1) * engine.spec.stateSize);
  }
  return (iterations * N) / ((performance.now() - t0) / 1000);
}

export async function benchAgent(opts: AgentBenchOptions = {}): Promise<AgentBenchFigures> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 5;
  const stepsPerRun = opts.stepsPerRun ?? 50_000;
  const envPreset = opts.envPreset ?? "seed";
  const backend = await selectBackend(opts.backend ?? "auto");
  const { candles, label } = loadCandles(opts);
  const figures: AgentBenchFigures = { agent_market: label, agent_market_rows: candles.length, agent_env_preset: envPreset, agent_backend: backend.name };
  const presets: AgentPresetName[] = ["seed", "default"];
  for (const preset of presets) {
    const config = resolveAgentConfig({ preset });
    const env = createVecEnv({ candles, config: envPreset, numEnvs: config.ppo.numEnvs });
    if (env.actionSpace.kind !== "discrete") throw new Error(`env preset ${envPreset} is not discrete`);
    const spec = networkSpec(env.observationSize, env.actionSpace.n, config.network);
    const kind = chooseEngineKind(opts.engine ?? "auto", spec, backend);
    const adam = { beta1: config.ppo.adamBeta1, beta2: config.ppo.adamBeta2, epsilon: config.ppo.adamEpsilon };
    const engine = await createEngine(kind, spec, initParameters(spec, config.network.init, new Rng(1)), adam);
    const rss0 = mib();
    let peak = rss0;
    // Warm-up (JIT), then timed runs; each run is a fresh training schedule on the same engine.
    await runPpo({ env, engine, config, totalSteps: Math.min(stepsPerRun, 10 * config.ppo.numEnvs * config.ppo.rolloutSteps), seed: 0, envSeed: 0 });
    const rollout: number[] = [];
    const training: number[] = [];
    for (let r = 0; r < runs; r++) {
      rollout.push(rolloutStepsPerSecond(engine, env, Math.min(stepsPerRun, 20_000)));
      const t0 = performance.now();
      const result = await runPpo({
        env,
        engine,
        config,
        totalSteps: stepsPerRun,
        seed: r + 1,
        envSeed: deriveSeed(r + 1, 3),
        onUpdate: (_m, t) => void (peak = Math.max(peak, t.rss_mib)),
      });
      training.push(result.envSteps / ((performance.now() - t0) / 1000));
    }
    engine.dispose();
    figures[`agent_engine_${preset}`] = kind;
    figures[`rollout_steps_per_s_${preset}`] = Math.round(median(rollout));
    figures[`train_env_steps_per_s_${preset}`] = Math.round(median(training));
    figures[`train_env_steps_per_s_${preset}_runs`] = training.map(Math.round);
    figures[`train_env_steps_per_s_${preset}_best`] = Math.round(Math.max(...training));
    figures[`peak_rss_mib_${preset}`] = Math.round(peak);
    figures[`agent_parameters_${preset}`] = spec.parameterCount;
    log(
      `agent ${preset} (${spec.parameterCount} parameters, engine ${kind}, ${config.ppo.numEnvs} env(s)): rollout ${Math.round(median(rollout)).toLocaleString("en-US")} steps/s, ` +
        `training ${Math.round(median(training)).toLocaleString("en-US")} env steps/s incl. updates (runs ${training.map((x) => Math.round(x).toLocaleString("en-US")).join(", ")}), peak RSS ${Math.round(peak)} MiB`,
    );
  }

  const longRun = opts.longRunEpisodes ?? 0;
  if (longRun > 0) {
    const config = resolveAgentConfig({ preset: "seed" });
    const env = createVecEnv({ candles, config: envPreset, numEnvs: 1 });
    const spec = networkSpec(env.observationSize, (env.actionSpace as { n: number }).n, config.network);
    const engine = await createEngine(chooseEngineKind(opts.engine ?? "auto", spec, backend), spec, initParameters(spec, "torch", new Rng(2)), {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    const samples: number[] = [];
    const every = Math.max(1, Math.floor(longRun / 10));
    const t0 = performance.now();
    await runPpo({ env, engine, config, totalSteps: longRun * 500, seed: 9, envSeed: 9, onUpdate: (m, t) => void (m.update % every === 0 && samples.push(Math.round(t.rss_mib))) });
    const seconds = (performance.now() - t0) / 1000;
    figures["memory_long_run_episodes"] = longRun;
    figures["memory_long_run_rss_mib"] = samples;
    figures["memory_long_run_growth_mib"] = samples.length > 1 ? samples.at(-1)! - samples[0]! : 0;
    figures["memory_long_run_env_steps_per_s"] = Math.round((longRun * 500) / seconds);
    log(`long run: ${longRun} episodes in ${seconds.toFixed(1)} s; RSS every ${every} episodes: ${samples.join(", ")} MiB`);
  }

  const refEpisodes = opts.referenceEpisodes ?? 0;
  if (refEpisodes > 0) {
    const script = opts.referenceScript ?? new URL("../../../shared/bench/seed_ref/seed_ppo_lstm.py", import.meta.url).pathname;
    const csv = opts.referenceData ?? new URL("../../../shared/data/btc_usd_1h.csv", import.meta.url).pathname;
    if (!existsSync(script) || !existsSync(csv) || !existsSync("/usr/bin/python3")) {
      figures["reference_env_steps_per_s"] = null;
      log(`reference: skipped (needs ${script}, ${csv} and /usr/bin/python3 with torch)`);
    } else {
      const run = spawnSync(
        "/usr/bin/python3",
        [script, csv, "--episodes", String(refEpisodes), "--train-start", "2018-05-06", "--train-end", "2019-06-27", "--quiet", "--threads", "1", "--no-eval"],
        { encoding: "utf8" },
      );
      const lastLine = run.stdout.trim().split("\n").at(-1) ?? "";
      let sps: number | null = null;
      try {
        sps = (JSON.parse(lastLine) as { env_steps_per_s: number }).env_steps_per_s;
      } catch {
        log(`reference: failed (${run.stderr.trim().split("\n").at(-1) ?? "no output"})`);
      }
      figures["reference_env_steps_per_s"] = sps;
      const ours = figures["train_env_steps_per_s_seed"];
      if (sps !== null && typeof ours === "number") {
        figures["ratio_seed_vs_reference"] = Math.round((ours / sps) * 10) / 10;
        log(`reference (PyTorch, 1 thread, ${refEpisodes} episodes): ${sps} env steps/s; ratio ${(ours / sps).toFixed(1)}×`);
      }
    }
  }
  return figures;
}
