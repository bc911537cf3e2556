import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { Candles } from "../data/candles.js";
import { readCandlesCsv } from "../data/csv.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { selectRange } from "../data/splits.js";
import { createVecEnv, resolveEnvConfig, withFittedNormalization, type EnvPresetName } from "../env/index.js";
import { envActionOf, headForSpace, sampleHead, type HeadAction } from "./policy-head.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { selectBackend, type BackendPreference } from "./backend.js";
import { resolveAgentConfig, rolloutSizes, type AgentPresetName } from "./config.js";
import { chooseEngineKind, createEngine, type EnginePreference } from "./create-engine.js";
import type { Engine, EngineKind } from "./engine.js";
import { initParameters } from "./init.js";
import { networkSpec } from "./network-spec.js";
import { runPpo } from "./ppo.js";
import { allocRolloutBuffer } from "./rollout-buffer.js";

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

/** A file of the shared folder beside the project (../shared from a checkout, ../../shared from a worktree), or null. */
function sharedFile(rel: string): string | null {
  for (const up of ["../../../shared/", "../../../../shared/"]) {
    const p = new URL(up + rel, import.meta.url).pathname;
    if (existsSync(p)) return p;
  }
  return null;
}

/** Policy and env steps only: the rollout half of training. */
function rolloutStepsPerSecond(engine: Engine, env: ReturnType<typeof createVecEnv>, steps: number): number {
  const N = env.numEnvs;
  const head = engine.spec.head;
  const state = new Float64Array(N * engine.spec.stateSize);
  const logProbs = new Float64Array(N * engine.spec.policyParams);
  const values = new Float64Array(N);
  const actions = head.kind === "categorical" ? new Int32Array(N) : new Float32Array(N);
  const taken: HeadAction = { index: 0, u: 0 };
  const obs = new Float32Array(N * env.observationSize);
  const rng = new Rng(1);
  obs.set(env.reset(1));
  const t0 = performance.now();
  const iterations = Math.ceil(steps / N);
  for (let t = 0; t < iterations; t++) {
    engine.step(obs, N, state, logProbs, values);
    for (let i = 0; i < N; i++) {
      sampleHead(head, logProbs, i, rng.uniform(), head.kind === "categorical" ? 0 : rng.normal(), taken);
      actions[i] = envActionOf(head, taken.index, taken.u);
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
    // The env as train() builds it: the preset's own observation (fitted feature scaling) and actions.
    let envConfig = resolveEnvConfig({ preset: envPreset, ...(config.observation ? { observation: config.observation } : {}), ...(config.actions ? { actions: config.actions } : {}) });
    if (envConfig.observation.features.kind === "specs") envConfig = withFittedNormalization(envConfig, candles);
    const env = createVecEnv({ candles, config: envConfig, numEnvs: config.ppo.numEnvs });
    const spec = networkSpec(env.observationSize, headForSpace(env.actionSpace), config.network);
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
    const spec = networkSpec(env.observationSize, headForSpace(env.actionSpace), config.network);
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
    const script = opts.referenceScript ?? sharedFile("bench/seed_ref/seed_ppo_lstm.py") ?? "../shared/bench/seed_ref/seed_ppo_lstm.py";
    const csv = opts.referenceData ?? sharedFile("data/btc_usd_1h.csv") ?? "../shared/data/btc_usd_1h.csv";
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

export interface BigNetworkBenchOptions {
  /** Samples per PPO update step (the PyTorch script's --batch; default 2048). */
  readonly batch?: number;
  /** Timed update steps per timing (after 3 warm-up steps). */
  readonly updates?: number;
  /** Timed update steps of the simd engine (default 50, as many as the PyTorch script times, so that both average the load alike). */
  readonly simdUpdates?: number;
  /** Rounds of (simd engine, PyTorch) timed back to back for the ratio; medians reported (default 3). */
  readonly rounds?: number;
  /** Run ../shared/bench/big_net_torch.py side by side (needs /usr/bin/python3 with torch); default true when present. */
  readonly torch?: boolean;
  readonly torchScript?: string;
  readonly torchThreads?: number;
  /** Also time the dense 128 → LSTM 128 network on the fused and tfjs engines (default true). */
  readonly lstm?: boolean;
  readonly log?: (line: string) => void;
}

/** CPU seconds used by this process's reaped children so far (/proc/self/stat cutime + cstime; null off Linux). */
function childCpuSeconds(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat(5) (cutime, cstime), counted from field 3 here; clock ticks of 1/100 s.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

/**
 * Big networks: one PPO update step (forward, backward, global-norm clip, Adam) on `batch` samples of
 *   - the second seed system's policy and value MLPs (obs 7 → 256 → 128 → heads, separate trunks), simd and tfjs engines;
 *   - a dense(128) → LSTM(128) network on 32 sequences of batch/32 steps, fused and tfjs engines;
 * in samples per second, with CPU time per sample beside it, and PyTorch's figure for the MLP
 * (big_net_torch.py) taken right after each simd timing, `rounds` times, for the ratio.
 */
export async function benchBigNetworks(opts: BigNetworkBenchOptions = {}): Promise<AgentBenchFigures> {
  const log = opts.log ?? (() => undefined);
  const B = opts.batch ?? 2048;
  const updates = opts.updates ?? 8;
  const rounds = opts.rounds ?? 3;
  const simdUpdates = opts.simdUpdates ?? 50;
  const backend = await selectBackend("auto");
  const figures: AgentBenchFigures = { big_batch: B, big_backend: backend.name, big_load_average: loadavg().map((x) => Math.round(x * 100) / 100) };
  const coefs = { clipCoef: 0.2, valueClip: null, valueLoss: "mse" as const, valueCoef: 0.5, entropyCoef: 0.01 };
  const adam = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  /** Samples per second and CPU seconds per 1,000 samples. */
  const time = async (label: string, kind: EngineKind, net: Parameters<typeof resolveAgentConfig>[0], seqLen: number, threads?: number, steps = updates): Promise<{ sps: number; cpuMs: number }> => {
    const config = resolveAgentConfig(net);
    const spec = networkSpec(7, 3, config.network);
    const p0 = initParameters(spec, "orthogonal", new Rng(1));
    const engine = kind === "simd" && threads !== undefined ? await (await import("./simd-engine.js")).SimdEngine.create(spec, p0, adam, { threads }) : await createEngine(kind, spec, p0, adam);
    // Imported here, not at the top: only a simd run should load the assembler (wabt) and its worker threads.
    const simdThreads = kind === "simd" ? (threads ?? (await import("./simd-kernels.js")).defaultSimdThreads()) : 0;
    const sizes = rolloutSizes({ ...config.ppo, numEnvs: B / seqLen / 1, rolloutSteps: seqLen, sequenceLength: seqLen, numMinibatches: 1 });
    const buf = allocRolloutBuffer(sizes, 7, spec.stateSize, false);
    const rng = new Rng(2);
    for (let i = 0; i < buf.observations.length; i++) buf.observations[i] = rng.normal();
    for (let k = 0; k < buf.actions.length; k++) {
      buf.actions[k] = rng.int(3);
      buf.logProbs[k] = -1.0986;
      buf.lossAdvantages[k] = rng.normal();
      buf.returns[k] = rng.normal();
      buf.episodeStarts[k] = k % seqLen === 0 ? 1 : 0;
    }
    const seqs = Array.from({ length: sizes.numSequences }, (_, s) => s);
    const step = (): void => {
      engine.lossAndGradients(buf, seqs, coefs);
      engine.applyGradients(3e-4, 0.5);
    };
    for (let i = 0; i < 3; i++) step();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sps = (B * steps) / seconds;
    const cpuMs = (cpu.user + cpu.system) / 1000 / ((B * steps) / 1000);
    engine.dispose();
    log(
      `big networks: ${label} (${spec.parameterCount.toLocaleString("en-US")} parameters), engine ${kind}${kind === "tfjs" ? ` (${backend.name})` : ""}${kind === "simd" ? `, ${simdThreads} thread(s)` : ""}: ` +
        `${Math.round(sps).toLocaleString("en-US")} samples/s per PPO update step on ${B} (CPU ${cpuMs.toFixed(2)} ms per 1,000 samples, wall ${((1000 * seconds) / ((B * steps) / 1000)).toFixed(2)} ms, ${steps} steps)`,
    );
    return { sps: Math.round(sps), cpuMs: Math.round(cpuMs * 100) / 100 };
  };
  const mlp = { network: { trunk: "mlp" as const, mlpUnits: [256, 128], sharedTrunk: false } };
  const script = opts.torchScript ?? sharedFile("bench/big_net_torch.py") ?? "../shared/bench/big_net_torch.py";
  const withTorch = opts.torch !== false && existsSync(script) && existsSync("/usr/bin/python3");
  const threads = opts.torchThreads ?? 2;
  /** PyTorch's samples/s with `n` threads, and the cores its process used over its run (null: it failed). */
  const runTorch = (n: number): { sps: number; cores: number | null } | null => {
    const cpu0 = childCpuSeconds();
    const t0 = performance.now();
    const run = spawnSync("/usr/bin/python3", [script, "--batch", String(B), "--threads", String(n)], { encoding: "utf8" });
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = childCpuSeconds();
    try {
      const t = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as { torch_update_samples_per_s: number };
      const cores = cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 100) / 100 : null;
      log(`big networks: PyTorch (CPU, ${n} thread(s)), same MLP and batch: ${t.torch_update_samples_per_s.toLocaleString("en-US")} samples/s${cores !== null ? ` (its process used ${cores} cores over its ${wall.toFixed(1)} s)` : ""}`);
      return { sps: t.torch_update_samples_per_s, cores };
    } catch {
      log(`big networks: PyTorch reference failed (${run.stderr.trim().split("\n").at(-1) ?? "no output"})`);
      return null;
    }
  };
  const simd: number[] = [];
  const simdCpu: number[] = [];
  const torch: number[] = [];
  const torchCores: number[] = [];
  const ratios: number[] = [];
  const ratios1: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Back to back: our default threads against PyTorch's `threads`, then one thread each (CPU efficiency, less
    // exposed to how the OS shares the cores among other jobs).
    const ours = await time("MLP 256→128 ×2", "simd", mlp, 1, undefined, simdUpdates);
    simd.push(ours.sps);
    simdCpu.push(ours.cpuMs);
    if (!withTorch) continue;
    const t = runTorch(threads);
    if (t === null) continue;
    torch.push(t.sps);
    if (t.cores !== null) torchCores.push(t.cores);
    ratios.push(ours.sps / t.sps);
    const ours1 = await time("MLP 256→128 ×2", "simd", mlp, 1, 1, simdUpdates);
    const t1 = runTorch(1);
    if (t1 !== null) ratios1.push(ours1.sps / t1.sps);
    log(`big networks: round ${r + 1}: simd/PyTorch ${(ours.sps / t.sps).toFixed(2)}× (default threads vs ${threads}), ${t1 !== null ? (ours1.sps / t1.sps).toFixed(2) : "-"}× (1 thread each)`);
  }
  figures["big_mlp_update_samples_per_s_simd"] = Math.round(median(simd));
  figures["big_mlp_update_samples_per_s_simd_runs"] = simd;
  figures["big_mlp_cpu_ms_per_1k_samples_simd"] = median(simdCpu);
  const tfjs = await time("MLP 256→128 ×2", "tfjs", mlp, 1);
  figures["big_mlp_update_samples_per_s_tfjs"] = tfjs.sps;
  figures["big_mlp_cpu_ms_per_1k_samples_tfjs"] = tfjs.cpuMs;
  if (opts.lstm !== false) {
    const lstm = { network: { denseUnits: 128, lstmUnits: 128, sharedTrunk: true, lstmBias: "single" as const } };
    figures["big_lstm128_update_samples_per_s_fused"] = (await time("dense 128 → LSTM 128", "fused", lstm, B / 32)).sps;
    figures["big_lstm128_update_samples_per_s_tfjs"] = (await time("dense 128 → LSTM 128", "tfjs", lstm, B / 32)).sps;
  }
  if (torch.length > 0) {
    figures["big_mlp_update_samples_per_s_torch"] = Math.round(median(torch));
    figures["big_mlp_update_samples_per_s_torch_runs"] = torch;
    figures["big_mlp_torch_cores_used"] = torchCores.length > 0 ? median(torchCores) : null;
    figures["big_mlp_ratio_simd_vs_torch"] = Math.round(median(ratios) * 100) / 100;
    figures["big_mlp_ratio_simd_vs_torch_runs"] = ratios.map((x) => Math.round(x * 100) / 100);
    figures["big_mlp_ratio_simd_vs_torch_1thread"] = ratios1.length > 0 ? Math.round(median(ratios1) * 100) / 100 : null;
    figures["big_mlp_ratio_simd_vs_torch_1thread_runs"] = ratios1.map((x) => Math.round(x * 100) / 100);
    figures["big_mlp_ratio_tfjs_vs_torch"] = Math.round((tfjs.sps / median(torch)) * 100) / 100;
    log(
      `big networks: ratio simd/PyTorch, median of ${ratios.length} back-to-back rounds: ${figures["big_mlp_ratio_simd_vs_torch"]}× (rounds ${ratios.map((x) => x.toFixed(2)).join(", ")}); ` +
        `one thread each ${figures["big_mlp_ratio_simd_vs_torch_1thread"]}×; tfjs/PyTorch ${figures["big_mlp_ratio_tfjs_vs_torch"]}×`,
    );
  } else {
    figures["big_mlp_update_samples_per_s_torch"] = null;
    log(`big networks: PyTorch reference skipped (needs ${script} and /usr/bin/python3 with torch)`);
  }
  return figures;
}
