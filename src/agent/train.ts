import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";
import type { Candles } from "../data/candles.js";
import { readCandlesCsv } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { selectRange } from "../data/splits.js";
import {
  actionLabelsOf,
  createVecEnv,
  featuresFromConfig,
  mergeConfigInput,
  resolveEnvConfig,
  withFittedNormalization,
  ENV_PRESET_NAMES,
  type DeepPartial,
  type EnvConfig,
  type EnvConfigInput,
  type EnvPresetName,
  type RewardScheme,
} from "../env/index.js";
import { appendCustomFeatures, assertCausal, customFeatureRecord, type CustomFeature } from "../features/custom.js";
import { FeatureError } from "../features/errors.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { BACKEND_PREFERENCES, selectBackend, type BackendInfo } from "./backend.js";
import { assertCompatible, CHECKPOINT_OUTPUT, CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint, sha256, type Checkpoint, type CheckpointManifest, type CheckpointStatus } from "./checkpoint.js";
import { AGENT_PRESET_NAMES, resolveAgentConfig, rolloutSizes, type AgentConfig, type AgentConfigInput } from "./config.js";
import { chooseEngineKind, createEngine, ENGINE_PREFERENCES } from "./create-engine.js";
import type { EngineKind } from "./engine.js";
import { AgentError } from "./errors.js";
import { initParameters } from "./init.js";
import { jsonLine, type UpdateMetrics, type UpdateTiming } from "./metrics.js";
import { layoutSignature, networkSpec } from "./network-spec.js";
import { createPolicy, type Policy } from "./policy.js";
import { headForSpace } from "./policy-head.js";
import { runPpo, type PpoResumeState, type PpoState } from "./ppo.js";
import { createProgress, type ProgressMode } from "./progress.js";
import { autoProgressMode } from "../util/progress.js";
import { claimOutput, type ClaimedOutput } from "../util/safe-output.js";
import { stopSignalOf, throttledYield } from "../util/abort.js";
import type { StopSignal } from "../util/errors.js";

/**
 * The one entry point for training, used by `npm run train`, the notebooks and the evaluation helper
 * (walk-forward, multi-seed): a typed config, validated once here, in; a checkpoint folder, the metrics and an
 * in-memory policy out. docs/ppo.md ("Training") documents every field.
 */
export const trainConfigSchema = z
  .object({
    /** Agent preset: "seed" (the article's agent) or "default" (this project's tuned one). */
    preset: z.enum(AGENT_PRESET_NAMES).default("default"),
    /** Overrides of the preset's network, PPO, observation and action fields (validated by the agent config schema). */
    agent: z
      .custom<Pick<AgentConfigInput, "network" | "ppo" | "observation" | "actions">>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "expected an object { network?, ppo?, observation?, actions? }")
      .default({}),
    /** Env preset (src/env/presets.ts); "seed" is the article's env. */
    envPreset: z.enum(ENV_PRESET_NAMES as [EnvPresetName, ...EnvPresetName[]]).default("seed"),
    /** Overrides of the env preset's fields, at any depth (validated by the env config schema). */
    env: z.custom<DeepPartial<EnvConfigInput>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "expected an object of env config overrides").default({}),
    /** Candle CSV (timestamp,open,high,low,close,volume); null: the embedded synthetic market. */
    data: z.string().nullable().default(null),
    /**
     * Candles in memory (a generated market: src/data/planted-markets.ts), used instead of `data`; the manifest's
     * data source reads "memory:" + their meta.source, and its hashes are of the candles.
     */
    candles: z.custom<Candles>((v) => typeof v === "object" && v !== null && "close" in v && "timestamp" in v, "expected Candles").nullable().default(null),
    /** First training bar (inclusive; "YYYY-MM-DD" = 00:00 UTC); null: the data's first bar. */
    trainStart: z.string().nullable().default(null),
    /** End of the training bars (exclusive); null: through the data's last bar. */
    trainEnd: z.string().nullable().default(null),
    /** Budget in episodes (× the env's episode length = env steps); ignored when `steps` is given. */
    episodes: z.number().int().min(1).nullable().default(null),
    /** Budget in env steps (rounded up to whole updates); default: 100 episodes. */
    steps: z.number().int().min(1).nullable().default(null),
    /** Seeds parameters, action sampling, minibatch order and the env. */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** Checkpoint folder to write (metrics.jsonl and timing.jsonl inside); null: keep nothing on disk. */
    out: z.string().nullable().default(null),
    /** Also write the checkpoint every this many updates (0: only at the end). */
    checkpointEvery: z.number().int().min(0).default(0),
    /** tfjs backend: "auto" picks tfjs-node-gpu, tfjs-node, wasm, cpu, in this order. */
    backend: z.enum(BACKEND_PREFERENCES).default("auto"),
    /** Compute engine: "auto" = tfjs with a GPU backend; otherwise simd for MLP trunks, fused for small LSTM networks, tfjs for big ones. */
    engine: z.enum(ENGINE_PREFERENCES).default("auto"),
    /** Stop after the update during which this many wall-clock seconds passed (null: no limit; such a run is not reproducible). */
    maxSeconds: z.number().gt(0).nullable().default(null),
    /** Continue training from this checkpoint folder (its agent, env, data range and seed are reused). */
    resume: z.string().nullable().default(null),
    /** "auto": an in-place display in a notebook, a bar on a TTY, throttled lines otherwise (src/util/progress.ts); "none": silent. */
    progress: z.enum(["auto", "bar", "lines", "notebook", "none"]).default("auto"),
    /** Replace an existing checkpoint at `out` (only ever one this project wrote; anything else is refused). */
    force: z.boolean().default(false),
    /**
     * A reward scheme of your own (any RewardScheme, memory included) paid instead of the env config's reward;
     * null: the config's. Its name and memory size are recorded in the manifest (`custom.reward`).
     */
    reward: z.custom<RewardScheme>((v) => isRewardScheme(v), "expected a RewardScheme { name, stateSize, start(), reward() }").nullable().default(null),
    /**
     * Features of your own appended to the observation's market features (causal; checked on the training
     * data). Recorded by name and columns in the manifest (`custom.features`); loading such a checkpoint for a
     * backtest needs the same features again.
     */
    features: z.array(z.custom<CustomFeature>((v) => isCustomFeature(v), "expected a CustomFeature { name, columns, compute() }")).readonly().default([]),
  })
  .strict();

function isRewardScheme(v: unknown): v is RewardScheme {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Partial<RewardScheme>;
  return typeof r.name === "string" && Number.isInteger(r.stateSize) && typeof r.start === "function" && typeof r.reward === "function";
}

function isCustomFeature(v: unknown): v is CustomFeature {
  if (typeof v !== "object" || v === null) return false;
  const f = v as Partial<CustomFeature>;
  return typeof f.name === "string" && Array.isArray(f.columns) && typeof f.compute === "function";
}

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;

export interface TrainResult {
  /**
   * The observation's market features for any candles (the backtest windows): null when the env config alone
   * computes them; the config's features plus the custom ones when `features` were given.
   */
  readonly featuresFor: (candles: Candles) => FeatureMatrix | null;
  /** Checkpoint folder written, or null. */
  readonly dir: string | null;
  /** The manifest (also when nothing was written: what would have been saved). */
  readonly manifest: CheckpointManifest;
  readonly metrics: readonly UpdateMetrics[];
  readonly timing: readonly UpdateTiming[];
  /** The trained policy, ready for a backtest (same object loadPolicy(dir) rebuilds). */
  readonly policy: Policy<CheckpointManifest>;
  readonly agent: AgentConfig;
  readonly env: EnvConfig;
  readonly engine: EngineKind;
  readonly backend: BackendInfo;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  /** How the run ended (also in the manifest): "complete", "interrupted" (a signal), "time_limit" (maxSeconds). */
  readonly status: "complete" | "interrupted" | "time_limit";
  /** The signal that interrupted it, else null. */
  readonly stopSignal: StopSignal | null;
  /** The checkpoint this run replaced at `out` (--force, or resuming in place), described; null when none. */
  readonly replaced: string | null;
}

export interface TrainHooks {
  /** Called after every update (in addition to the progress display). */
  readonly onUpdate?: (metrics: UpdateMetrics, timing: UpdateTiming) => void;
  /** Where progress and the summary go (default: stdout). */
  readonly write?: (text: string) => void;
  /** Whether `write` is a terminal (default: process.stdout.isTTY). */
  readonly isTTY?: boolean;
  /**
   * Stops the run at the next update boundary when aborted: the checkpoint is saved marked "interrupted"
   * (resume it with `resume`), and the result says so. The loop yields to the event loop between updates so
   * that signal handlers run.
   */
  readonly signal?: AbortSignal;
  /** Prefix of the progress text ("seed 3 (2/5)"). */
  readonly label?: string;
}

/** Parses a training config; throws AgentError("invalid_config") naming the field. */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const parsed = trainConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentError("invalid_config", issue.message, issue.path.join(".") || "(root)");
  }
  return parsed.data;
}

export interface ProjectVersions {
  readonly node: string;
  readonly tfjs: string;
  readonly project: string;
}

export function projectVersions(): ProjectVersions {
  const require = createRequire(import.meta.url);
  const readVersion = (path: string): string => {
    try {
      return (JSON.parse(readFileSync(path, "utf8")) as { version?: string }).version ?? "unknown";
    } catch {
      return "unknown";
    }
  };
  let tfjs = "unknown";
  try {
    tfjs = readVersion(require.resolve("@tensorflow/tfjs/package.json"));
  } catch {
    // not installed: leave "unknown"
  }
  return { node: process.version, tfjs, project: readVersion(new URL("../../package.json", import.meta.url).pathname) };
}

interface LoadedData {
  readonly candles: Candles;
  readonly source: string;
  readonly fileSha256: string;
}

function loadData(data: string | null, trainStart: string | null, trainEnd: string | null, inMemory: Candles | null): LoadedData {
  const range = { ...(trainStart !== null ? { start: trainStart } : {}), ...(trainEnd !== null ? { end: trainEnd } : {}) };
  if (inMemory !== null) {
    return { candles: selectRange(inMemory, range), source: `memory:${inMemory.meta.source ?? inMemory.meta.symbol}`, fileSha256: candlesSha256(inMemory) };
  }
  const read = data === null ? readEmbeddedMarket() : readCandlesCsv(data);
  const candles = selectRange(read.candles, range);
  return { candles, source: data ?? "embedded", fileSha256: read.report.sha256 };
}

/** SHA-256 over the selected candles' columns (float64 little-endian), to identify the exact training rows. */
export function candlesSha256(c: Candles): string {
  const parts = [c.timestamp, c.open, c.high, c.low, c.close, c.volume].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  return sha256(all);
}

export async function train(input: TrainConfigInput = {}, hooks: TrainHooks = {}): Promise<TrainResult> {
  const config = resolveTrainConfig(input);
  // The output is claimed before any work: refused when it is not this project's checkpoint, needs `force`
  // to replace one (resuming in place needs none), checked writable, and locked against a second run.
  const output = config.out === null ? null : claimOutput(config.out, { kind: CHECKPOINT_OUTPUT, force: config.force, field: "out", replaces: config.resume });
  try {
    return await trainInto(config, input, hooks, output);
  } finally {
    output?.release();
  }
}

async function trainInto(resolved: TrainConfig, input: TrainConfigInput, hooks: TrainHooks, output: ClaimedOutput | null): Promise<TrainResult> {
  let config = resolved;
  const write = hooks.write ?? ((s: string) => void process.stdout.write(s));

  // ---- Resume: the checkpoint's agent, env, data range and seed; the budget may be extended.
  let checkpoint: Checkpoint | null = null;
  let agent: AgentConfig;
  let envRequest: EnvConfig | null = null;
  let envPresetName: string = config.envPreset;
  if (config.resume !== null) {
    checkpoint = loadCheckpoint(config.resume);
    const m = checkpoint.manifest;
    assertResumable(m, input);
    agent = m.agent;
    envRequest = resolveEnvConfig(m.env.config as EnvConfig);
    envPresetName = m.env.preset ?? config.envPreset;
    config = {
      ...config,
      data: config.data ?? (m.data.source === "embedded" ? null : m.data.source),
      trainStart: config.trainStart ?? m.data.trainStart,
      trainEnd: config.trainEnd ?? m.data.trainEnd,
      seed: m.training.seed,
      steps: config.steps ?? (config.episodes === null ? m.training.totalSteps : null),
    };
  } else {
    agent = prefixed("agent", () => resolveAgentConfig({ preset: config.preset, ...config.agent }));
  }

  // ---- Data and env.
  const data = loadData(config.data, config.trainStart, config.trainEnd, config.candles);
  // The env preset, then what the agent observes and how it acts (its preset's choice), then explicit overrides.
  const agentSide = { ...(agent.observation !== null ? { observation: agent.observation } : {}), ...(agent.actions !== null ? { actions: agent.actions } : {}) };
  let envConfig =
    envRequest ?? resolveEnvConfig({ preset: config.envPreset, ...(mergeConfigInput(agentSide, config.env) as object) } as Parameters<typeof resolveEnvConfig>[0]);
  if (envConfig.observation.features.kind === "specs" && envConfig.observation.features.normalization === undefined) {
    // Feature scaling fitted on the training rows only; the stats travel in the env config (and the manifest).
    envConfig = withFittedNormalization(envConfig, data.candles);
  }
  const sizes = rolloutSizes(agent.ppo);
  const custom = config.features;
  for (const f of custom) prefixedFeature(() => assertCausal(f, data.candles));
  const finalEnv = envConfig;
  const featuresFor = (candles: Candles): FeatureMatrix | null =>
    custom.length === 0 ? null : prefixedFeature(() => appendCustomFeatures(featuresFromConfig(candles, finalEnv.observation.features), candles, custom));
  const trainFeatures = featuresFor(data.candles);
  if (checkpoint) {
    const want = checkpoint.manifest.custom;
    const got = { reward: config.reward?.name ?? null, features: custom.map((f) => f.name) };
    if ((want.reward?.name ?? null) !== got.reward || want.features.map((f) => f.name).join(",") !== got.features.join(",")) {
      throw new AgentError("checkpoint_incompatible", `the checkpoint was trained with reward ${JSON.stringify(want.reward?.name ?? null)} and features ${JSON.stringify(want.features.map((f) => f.name))}; pass the same reward and features to resume`, "manifest.json:custom");
    }
  }
  const env = createVecEnv({
    candles: data.candles,
    config: envConfig,
    numEnvs: sizes.numEnvs,
    ...(trainFeatures ? { features: trainFeatures } : {}),
    ...(config.reward ? { rewards: config.reward } : {}),
  });
  const head = headForSpace(env.actionSpace);
  const episodeLength = envConfig.episode.mode === "random_window" ? envConfig.episode.length : Math.max(1, data.candles.length - 1);
  const totalSteps = config.steps ?? (config.episodes ?? 100) * episodeLength;
  const numUpdates = Math.max(1, Math.ceil(totalSteps / sizes.stepsPerUpdate));

  // ---- Network, backend, engine.
  const spec = networkSpec(env.observationSize, head, agent.network);
  const observationLabels = [...env.observationSpace.labels];
  const actionLabels = actionLabelsOf(env.actionSpace);
  if (checkpoint) assertCompatible(checkpoint.manifest, { observationLabels, actionLabels, agent });
  if (checkpoint) assertBudgetLeft(checkpoint.manifest, numUpdates, totalSteps, input);
  const backend = await selectBackend(config.backend);
  const engineKind = chooseEngineKind(config.engine, spec, backend);
  const parameters = checkpoint ? checkpoint.parameters : initParameters(spec, agent.network.init, new Rng(deriveSeed(config.seed, 0)));
  const engine = await createEngine(engineKind, spec, parameters, { beta1: agent.ppo.adamBeta1, beta2: agent.ppo.adamBeta2, epsilon: agent.ppo.adamEpsilon });
  if (checkpoint) engine.setOptimizerState(checkpoint.optimizer);

  const resume: PpoResumeState | undefined = checkpoint
    ? {
        update: checkpoint.manifest.training.updates,
        envSteps: checkpoint.manifest.training.envSteps,
        episodes: checkpoint.manifest.training.episodes,
        actionRng: checkpoint.manifest.training.rng.action,
        minibatchRng: checkpoint.manifest.training.rng.minibatch,
        observationNorm: checkpoint.manifest.observation.normalization,
      }
    : undefined;
  const previousMetrics = checkpoint ? readOptional(join(checkpoint.dir, "metrics.jsonl")) : "";
  const previousTiming = checkpoint ? readOptional(join(checkpoint.dir, "timing.jsonl")) : "";

  const versions = projectVersions();
  const candleHash = candlesSha256(data.candles);
  const first = data.candles.length > 0 ? new Date(data.candles.timestamp[0]!).toISOString() : null;
  const last = data.candles.length > 0 ? new Date(data.candles.timestamp[data.candles.length - 1]!).toISOString() : null;
  if (checkpoint && checkpoint.manifest.data.candlesSha256 !== candleHash) {
    write(`note: the training candles differ from the checkpoint's (sha256 ${candleHash.slice(0, 12)} vs ${checkpoint.manifest.data.candlesSha256.slice(0, 12)})\n`);
  }
  const manifestOf = (
    state: PpoState,
    lastMetrics: UpdateMetrics | null,
    status: CheckpointStatus,
    stopSignal: StopSignal | null,
  ): Omit<CheckpointManifest, "format" | "formatVersion" | "createdAt" | "weights" | "optimizer"> => ({
    agent,
    env: { preset: envPresetName, config: envConfig },
    network: { observationSize: spec.observationSize, actionCount: spec.actionCount, head: spec.head, parameterCount: spec.parameterCount, layout: layoutSignature(spec) },
    observation: {
      labels: observationLabels,
      normalization: state.observationNorm ? { ...state.observationNorm, mean: [...state.observationNorm.mean], variance: [...state.observationNorm.variance], clip: agent.ppo.observationClip } : null,
    },
    actions: { labels: actionLabels },
    data: {
      source: data.source,
      symbol: data.candles.meta.symbol,
      timeframe: data.candles.meta.timeframe,
      fileSha256: data.fileSha256,
      candlesSha256: candleHash,
      first,
      last,
      rows: data.candles.length,
      trainStart: config.trainStart,
      trainEnd: config.trainEnd,
    },
    training: {
      seed: config.seed,
      engine: engineKind,
      backend: { kind: backend.kind, name: backend.name, package: backend.package, gpu: backend.gpu },
      totalSteps,
      updates: state.update,
      numUpdates: state.numUpdates,
      envSteps: state.envSteps,
      episodes: state.episodes,
      rng: { action: [...state.actionRng] as [number, number, number, number], minibatch: [...state.minibatchRng] as [number, number, number, number] },
      optimizerStep: engine.getOptimizerState().step,
      resumedFrom: checkpoint ? checkpoint.dir : null,
      status,
      stopSignal,
    },
    versions,
    metrics: lastMetrics ? { ...lastMetrics } : null,
    custom: {
      reward: config.reward ? { name: config.reward.name, stateSize: config.reward.stateSize } : null,
      features: custom.map((f) => ({ ...customFeatureRecord(f), columns: [...f.columns] })),
    },
  });

  const metrics: UpdateMetrics[] = [];
  const timing: UpdateTiming[] = [];
  let metricsText = previousMetrics;
  let timingText = previousTiming;
  const save = (state: PpoState, lastMetrics: UpdateMetrics | null, status: CheckpointStatus, stopSignal: StopSignal | null = null): CheckpointManifest | null => {
    if (config.out === null) return null;
    const opt = engine.getOptimizerState();
    return saveCheckpoint(config.out, {
      manifest: manifestOf(state, lastMetrics, status, stopSignal),
      parameters: engine.getParameters(),
      optimizer: opt,
      files: { "metrics.jsonl": metricsText, "timing.jsonl": timingText },
    });
  };

  const mode: ProgressMode = config.progress === "auto" ? autoProgressMode(hooks.isTTY ?? process.stdout.isTTY === true, hooks.write === undefined) : config.progress;
  const progress = createProgress(mode, write, numUpdates, hooks.label === undefined ? {} : { label: hooks.label });
  if (output?.replacing != null) progress.line(`replacing ${config.out}: ${output.replacing}`);
  progress.line(
    `train: agent ${agent.preset}, env ${envPresetName}, engine ${engineKind}, tfjs backend ${backend.name} (${backend.package}), ` +
      `${data.candles.length} bars of ${data.source} [${first ?? "-"} … ${last ?? "-"}], ${totalSteps} env steps in ${numUpdates} updates, seed ${config.seed}`,
  );
  const started = performance.now();
  const signal = hooks.signal;
  // Yield between updates (at most every 50 ms): signal handlers, notebook displays and timers run there.
  const maybeYield = throttledYield(50);
  let status: TrainResult["status"] = "complete";
  const result = await runPpo({
    env,
    engine,
    config: agent,
    totalSteps,
    seed: config.seed,
    envSeed: deriveSeed(config.seed, 3 + (resume?.update ?? 0)),
    ...(resume ? { resume } : {}),
    onUpdate: (m, t, state) => {
      metrics.push(m);
      timing.push(t);
      metricsText += jsonLine(m);
      timingText += jsonLine(t);
      progress.update(m, t);
      hooks.onUpdate?.(m, t);
      if (config.checkpointEvery > 0 && m.update % config.checkpointEvery === 0 && m.update < numUpdates) save(state(), m, "partial");
      if (config.maxSeconds !== null && (performance.now() - started) / 1000 >= config.maxSeconds && m.update < numUpdates) {
        status = "time_limit";
        return true;
      }
      const pause = maybeYield();
      const stopped = (): boolean => {
        if (signal?.aborted !== true || m.update >= numUpdates) return false;
        status = "interrupted";
        return true;
      };
      return pause === undefined ? stopped() : pause.then(stopped);
    },
  });
  const finalStatus = status as TrainResult["status"];
  const stopSignal = finalStatus === "interrupted" ? stopSignalOf(signal) : null;
  const seconds = (performance.now() - started) / 1000;
  progress.done();
  const manifestBody = manifestOf(result.state, result.lastMetrics, finalStatus, stopSignal);
  const written = save(result.state, result.lastMetrics, finalStatus, stopSignal);
  const manifest: CheckpointManifest = written ?? {
    format: "drl-trading-lab/ppo-checkpoint",
    formatVersion: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    ...manifestBody,
    weights: { file: "weights.bin", dtype: "float64", sha256: "" },
    optimizer: { file: "optimizer.bin", dtype: "float64", sha256: "" },
  };
  const stepsDone = result.envSteps - (resume?.envSteps ?? 0);
  const stepsPerSecond = stepsDone / seconds;
  const lm = result.lastMetrics;
  const ended =
    finalStatus === "interrupted"
      ? `interrupted by ${stopSignal ?? "a signal"} after ${result.updates} of ${numUpdates} updates`
      : finalStatus === "time_limit"
        ? `stopped by the ${config.maxSeconds} s time limit after ${result.updates} of ${numUpdates} updates`
        : `done: ${result.updates} updates`;
  progress.line(
    `${ended}, ${result.envSteps} env steps, ${result.episodes} episodes in ${seconds.toFixed(1)} s ` +
      `(${Math.round(stepsPerSecond)} env steps/s, engine ${engineKind}, backend ${backend.name})` +
      (lm ? `; last update: profit ${fmt(lm.profit_mean)}, entropy ${fmt(lm.entropy)}, approx_kl ${fmt(lm.approx_kl)}, explained_variance ${fmt(lm.explained_variance)}` : ""),
  );
  if (written) progress.line(`checkpoint: ${config.out}${finalStatus === "complete" ? "" : ` (marked ${finalStatus}; continue it with --resume ${config.out})`}`);
  const norm = manifest.observation.normalization;
  const policy = createPolicy(engine, norm ? { stats: norm, clip: norm.clip } : null, manifest);
  return {
    featuresFor,
    dir: written ? config.out : null,
    manifest,
    metrics,
    timing,
    policy,
    agent,
    env: envConfig,
    engine: engineKind,
    backend,
    seconds,
    stepsPerSecond,
    status: finalStatus,
    stopSignal,
    replaced: output?.replacing ?? null,
  };
}

/**
 * `resume` continues a checkpoint as it is: flags that would change what it is (its agent or env preset or
 * overrides, its seed) are refused, naming the field, instead of being silently ignored.
 */
function assertResumable(m: CheckpointManifest, input: TrainConfigInput): void {
  const refuse = (field: string, message: string): never => {
    throw new AgentError("invalid_config", `${message}; a resumed run keeps the checkpoint's settings (leave it out)`, field);
  };
  if (input.preset !== undefined && input.preset !== m.agent.preset) refuse("preset", `the checkpoint was trained with the "${m.agent.preset}" agent preset, not "${input.preset}"`);
  if (input.envPreset !== undefined && input.envPreset !== m.env.preset) refuse("envPreset", `the checkpoint was trained on the "${m.env.preset ?? "custom"}" env preset, not "${input.envPreset}"`);
  if (input.agent !== undefined && Object.keys(input.agent).length > 0) refuse("agent", "the checkpoint's agent config cannot be changed");
  if (input.env !== undefined && Object.keys(input.env).length > 0) refuse("env", "the checkpoint's env config cannot be changed");
  if (input.seed !== undefined && input.seed !== m.training.seed) refuse("seed", `the checkpoint's seed is ${m.training.seed}, not ${input.seed}`);
}

/** A resumed run must have updates left to do: the budget is the total, counting what the checkpoint did. */
function assertBudgetLeft(m: CheckpointManifest, numUpdates: number, totalSteps: number, input: TrainConfigInput): void {
  if (numUpdates > m.training.updates) return;
  const field = input.episodes != null && input.steps == null ? "episodes" : "steps";
  const given = input.steps != null || input.episodes != null;
  throw new AgentError(
    "invalid_config",
    given
      ? `the checkpoint has already trained ${m.training.envSteps} env steps (${m.training.updates} updates); the budget (${totalSteps} env steps) is the total, so give more than that`
      : `the checkpoint already completed its budget of ${m.training.totalSteps} env steps; give --steps larger than ${m.training.envSteps} to train on`,
    field,
  );
}

function readOptional(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function fmt(x: number | null): string {
  return x === null ? "-" : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/** Re-throws a FeatureError of a custom feature as AgentError("invalid_config") at `features`. */
function prefixedFeature<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FeatureError) throw new AgentError("invalid_config", err.message, `features.${err.field}`);
    throw err;
  }
}

/** Re-throws an AgentError with its field prefixed (so that "ppo.gamma" reads "agent.ppo.gamma" at the edge). */
function prefixed<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof AgentError && err.field !== undefined) throw new AgentError(err.code, err.message.replace(/^[a-z_]+ at [^:]+: /, ""), `${prefix}.${err.field}`);
    throw err;
  }
}
