/**
 * Training the LSTM-PPO agent on the portfolio env: the agent's own pieces (config and presets, engines,
 * runPpo, checkpoints, Policy) over the portfolio's vectorised env instead of the single-asset one. It mirrors
 * src/agent/train.ts step for step (same seeds and streams, same checkpoint format, `env.config` holding the
 * resolved portfolio config); once train() accepts an env of the caller's (the agent issue), this becomes a
 * call to it. docs/portfolio.md ("Training").
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  AGENT_PRESET_NAMES,
  AgentError,
  BACKEND_PREFERENCES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_OUTPUT,
  CHECKPOINT_VERSION,
  chooseEngineKind,
  createEngine,
  createPolicy,
  ENGINE_PREFERENCES,
  initParameters,
  jsonLine,
  layoutSignature,
  loadPolicy,
  networkSpec,
  projectVersions,
  resolveAgentConfig,
  rolloutSizes,
  runPpo,
  saveCheckpoint,
  selectBackend,
  type AgentConfig,
  type AgentConfigInput,
  type BackendInfo,
  type CheckpointManifest,
  type EngineKind,
  type Policy,
  type UpdateMetrics,
} from "../agent/index.js";
import { headForSpace } from "../agent/policy-head.js";
import { createProgress, type ProgressMode } from "../agent/progress.js";
import { actionLabelsOf } from "../env/index.js";
import { autoProgressMode } from "../util/progress.js";
import { EnvError } from "../env/errors.js";
import {
  createPortfolioModel,
  createPortfolioVecEnv,
  loadPortfolioMarket,
  portfolioConfigSchema,
  portfolioDataSchema,
  resolvePortfolioConfig,
  withFittedPortfolioNormalization,
  type LoadedPortfolioMarket,
  type PortfolioConfig,
  type PortfolioConfigInput,
  type PortfolioModel,
} from "../portfolio/index.js";
import { stopSignalOf, throttledYield } from "../util/abort.js";
import { deriveSeed, Rng } from "../util/rng.js";
import { claimOutput } from "../util/safe-output.js";

export const portfolioTrainConfigSchema = z
  .object({
    /** Agent preset: "seed" (the article's agent) or "default" (this project's tuned one). */
    preset: z.enum(AGENT_PRESET_NAMES).default("default"),
    /** Overrides of the preset's network and PPO fields (validated by the agent's config schema). */
    agent: z.custom<Pick<AgentConfigInput, "network" | "ppo">>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "expected an object { network?, ppo? }").default({}),
    /** The portfolio env config (src/portfolio/config.ts); the episode's from/to are set from trainStart/trainEnd. */
    env: z.custom<PortfolioConfigInput>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "expected an object of portfolio env fields").default({}),
    /** The assets' CSVs and the missing-bar policy; default: the embedded synthetic BTC/ETH pair, missing bars dropped. */
    data: portfolioDataSchema.prefault({}),
    /** First training bar (inclusive, ISO date); null: the aligned data's first bar. */
    trainStart: z.string().nullable().default(null),
    /** End of the training bars (exclusive); null: through the data's last bar. */
    trainEnd: z.string().nullable().default(null),
    /** Budget in env steps (rounded up to whole updates). */
    steps: z.number().int().min(1).default(50_000),
    /** Seeds parameters, action sampling, minibatch order and the env. */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** Checkpoint folder to write; null: keep nothing on disk. */
    out: z.string().nullable().default(null),
    /** tfjs backend (only loaded when the tfjs engine may run). */
    backend: z.enum(BACKEND_PREFERENCES).default("auto"),
    /** Compute engine: "auto" = tfjs with a GPU backend; otherwise simd for MLP trunks, fused for small LSTM networks, tfjs for big ones. */
    engine: z.enum(ENGINE_PREFERENCES).default("auto"),
    /** "auto": a line per update unless on a TTY (a bar); "none" for notebooks, tests and sweep workers. */
    progress: z.enum(["auto", "bar", "lines", "notebook", "none"]).default("auto"),
    /** Replace an existing checkpoint of this project at `out` (never anything else). */
    force: z.boolean().default(false),
  })
  .strict();

export type PortfolioTrainConfigInput = z.input<typeof portfolioTrainConfigSchema>;
export type PortfolioTrainConfig = z.output<typeof portfolioTrainConfigSchema>;

export interface PortfolioTrainResult {
  readonly dir: string | null;
  readonly manifest: CheckpointManifest;
  readonly metrics: readonly UpdateMetrics[];
  readonly policy: Policy<CheckpointManifest>;
  readonly agent: AgentConfig;
  /** The resolved env config, fitted feature normalisation included: backtests use it in full-series mode. */
  readonly env: PortfolioConfig;
  readonly data: LoadedPortfolioMarket;
  readonly engine: EngineKind;
  readonly backend: BackendInfo | null;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  /** "complete", or "interrupted" (the signal stopped it between updates; the checkpoint says so). */
  readonly status: "complete" | "interrupted";
}

export interface PortfolioTrainHooks {
  readonly write?: (text: string) => void;
  readonly isTTY?: boolean;
  /** Called after every update; return true to stop (sweep workers use it to abort). */
  readonly onUpdate?: (metrics: UpdateMetrics) => boolean | void;
  /** The aligned market, when the caller already loaded it (a job training several seeds). */
  readonly data?: LoadedPortfolioMarket;
  /** Stops training between updates (src/cli aborts it on SIGINT/SIGTERM); the checkpoint is saved as "interrupted". */
  readonly signal?: AbortSignal;
}

/** Parses the config; throws AgentError("invalid_config") naming the field. */
export function resolvePortfolioTrainConfig(input: PortfolioTrainConfigInput): PortfolioTrainConfig {
  const parsed = portfolioTrainConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentError("invalid_config", issue.message, issue.path.join(".") || "(root)");
  }
  return parsed.data;
}

/** The training env's config: the caller's fields, random windows inside [trainStart, trainEnd). */
export function portfolioTrainingEnv(config: PortfolioTrainConfig, data: LoadedPortfolioMarket): PortfolioConfig {
  const base = config.env;
  const episode = base.episode?.mode === "random_window" ? base.episode : { mode: "random_window" as const };
  let env: PortfolioConfig;
  try {
    env = resolvePortfolioConfig({
      ...base,
      episode: { ...episode, ...(config.trainStart === null ? {} : { from: config.trainStart }), ...(config.trainEnd === null ? {} : { to: config.trainEnd }) },
    });
  } catch (err) {
    if (err instanceof EnvError) throw new AgentError("invalid_config", err.message.replace(/^[a-z_]+ at [^:]+: /, ""), `env.${err.field ?? ""}`);
    throw err;
  }
  if (env.observation.features.kind === "specs" && env.observation.features.normalization === undefined) env = withFittedPortfolioNormalization(env, data.market);
  return env;
}

export async function trainPortfolio(input: PortfolioTrainConfigInput = {}, hooks: PortfolioTrainHooks = {}): Promise<PortfolioTrainResult> {
  const config = resolvePortfolioTrainConfig(input);
  // Claimed before any work, as train() does: only this project's checkpoint is replaced, and only with `force`.
  const output = config.out === null ? null : claimOutput(config.out, { kind: CHECKPOINT_OUTPUT, force: config.force, field: "out" });
  try {
    return await trainInto(config, hooks);
  } finally {
    output?.release();
  }
}

/**
 * The default preset's trend fix (one trunk per head, rewards per start value, entropy bonus 0.001; docs/ppo.md)
 * was chosen and measured on the one-asset env, whose rewards are USD. The portfolio env pays log returns and
 * reports no start values, so `default` and `hybrid` train here as they were measured on it (docs/portfolio.md):
 * one trunk, rewards × 0.01, entropy bonus 0.01, under the caller's overrides.
 */
export const PORTFOLIO_AGENT_BASE = { network: { sharedTrunk: true }, ppo: { rewardUnit: "env", rewardScale: 0.01, entropyCoef: 0.01 } } as const;

async function trainInto(config: PortfolioTrainConfig, hooks: PortfolioTrainHooks): Promise<PortfolioTrainResult> {
  const write = hooks.write ?? ((s: string) => void process.stdout.write(s));
  const base = config.preset === "seed" ? { network: {}, ppo: {} } : PORTFOLIO_AGENT_BASE;
  const agent = resolveAgentConfig({
    preset: config.preset,
    ...config.agent,
    network: { ...base.network, ...config.agent.network },
    ppo: { ...base.ppo, ...config.agent.ppo },
  });
  const data = hooks.data ?? loadPortfolioMarket(config.data);
  const envConfig = portfolioTrainingEnv(config, data);
  const sizes = rolloutSizes(agent.ppo);
  const env = createPortfolioVecEnv({ market: data.market, config: envConfig, numEnvs: sizes.numEnvs });
  // weight_levels: a categorical head; target_weights / softmax_weights: a diagonal Gaussian over their K (K + 1)
  // values, which only the fused engine has (chooseEngineKind picks it; engine "tfjs" is refused there).
  if (env.actionSpace.kind !== "discrete" && config.engine === "tfjs") {
    throw new AgentError("unsupported_action_space", `portfolio actions "${envConfig.actions.kind}" need the diagonal Gaussian head, which only the fused engine has (use --engine fused or auto)`, "engine");
  }
  // The agent's own observation and action choices (agent.observation, agent.actions) describe the one-asset env;
  // the portfolio env's config says what this agent sees and how it acts.
  const spec = networkSpec(env.observationSize, headForSpace(env.actionSpace), agent.network);
  let backend: BackendInfo | null = null;
  let engineKind = chooseEngineKind(config.engine, spec, null);
  // The auto engine asks the backend only to find a GPU: a fused-only run never loads tfjs.
  if (config.engine !== "fused") {
    backend = await selectBackend(config.backend);
    engineKind = chooseEngineKind(config.engine, spec, backend);
  }
  const parameters = initParameters(spec, agent.network.init, new Rng(deriveSeed(config.seed, 0)));
  const engine = await createEngine(engineKind, spec, parameters, { beta1: agent.ppo.adamBeta1, beta2: agent.ppo.adamBeta2, epsilon: agent.ppo.adamEpsilon });
  const totalSteps = config.steps;
  const numUpdates = Math.max(1, Math.ceil(totalSteps / sizes.stepsPerUpdate));
  const mode: ProgressMode = config.progress === "auto" ? autoProgressMode(hooks.isTTY ?? process.stdout.isTTY === true, hooks.write === undefined) : config.progress;
  const progress = createProgress(mode, write, numUpdates);
  const m = data.market;
  const rows = env.model.market;
  progress.line(`train portfolio: ${m.symbols.join(" + ")} (${data.source}), agent ${agent.preset}, engine ${engineKind}, ${rows.lastRow - rows.firstRow + 1} training rows, ${totalSteps} env steps in ${numUpdates} updates, seed ${config.seed}`);
  const metrics: UpdateMetrics[] = [];
  let metricsText = "";
  const started = performance.now();
  // Yield between updates (at most every 50 ms), so that signal handlers and timers run.
  const maybeYield = throttledYield(50);
  let status: PortfolioTrainResult["status"] = "complete";
  const signal = hooks.signal;
  const result = await runPpo({
    env,
    engine,
    config: agent,
    totalSteps,
    seed: config.seed,
    envSeed: deriveSeed(config.seed, 3),
    onUpdate: (mm, t) => {
      metrics.push(mm);
      metricsText += jsonLine(mm);
      progress.update(mm, t);
      const stop = (): boolean => {
        if (hooks.onUpdate?.(mm) === true) return true;
        if (signal?.aborted !== true || mm.update >= numUpdates) return false;
        status = "interrupted";
        return true;
      };
      const pause = maybeYield();
      return pause === undefined ? stop() : pause.then(stop);
    },
  });
  const finalStatus = status as PortfolioTrainResult["status"];
  const seconds = (performance.now() - started) / 1000;
  progress.done();
  const iso = (row: number) => new Date(m.timestamp[row]!).toISOString();
  const state = result.state;
  const body = {
    agent,
    env: { preset: "portfolio", config: envConfig },
    network: { observationSize: spec.observationSize, actionCount: spec.actionCount, head: spec.head, parameterCount: spec.parameterCount, layout: layoutSignature(spec) },
    observation: {
      labels: [...env.observationSpace.labels],
      normalization: state.observationNorm ? { ...state.observationNorm, mean: [...state.observationNorm.mean], variance: [...state.observationNorm.variance], clip: agent.ppo.observationClip } : null,
    },
    actions: { labels: actionLabelsOf(env.actionSpace) },
    data: {
      source: data.source,
      symbol: m.symbols.join("+"),
      timeframe: "1h",
      fileSha256: data.fileSha256,
      candlesSha256: data.alignedSha256,
      first: iso(rows.firstRow),
      last: iso(rows.lastRow),
      rows: rows.lastRow - rows.firstRow + 1,
      trainStart: config.trainStart,
      trainEnd: config.trainEnd,
    },
    training: {
      seed: config.seed,
      engine: engineKind,
      backend: backend === null ? null : { kind: backend.kind, name: backend.name, package: backend.package, gpu: backend.gpu },
      totalSteps,
      updates: state.update,
      numUpdates: state.numUpdates,
      envSteps: state.envSteps,
      episodes: state.episodes,
      rng: { action: [...state.actionRng] as [number, number, number, number], minibatch: [...state.minibatchRng] as [number, number, number, number] },
      optimizerStep: engine.getOptimizerState().step,
      resumedFrom: null,
      status: finalStatus,
      stopSignal: finalStatus === "interrupted" ? stopSignalOf(signal) : null,
    },
    versions: projectVersions(),
    metrics: result.lastMetrics ? { ...result.lastMetrics } : null,
    custom: { reward: null, features: [] },
  };
  const written =
    config.out === null ? null : saveCheckpoint(config.out, { manifest: body, parameters: engine.getParameters(), optimizer: engine.getOptimizerState(), files: { "metrics.jsonl": metricsText } });
  const manifest: CheckpointManifest = written ?? {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    ...body,
    weights: { file: "weights.bin", dtype: "float64", sha256: "" },
    optimizer: { file: "optimizer.bin", dtype: "float64", sha256: "" },
  };
  const norm = manifest.observation.normalization;
  const policy = createPolicy(engine, norm ? { stats: norm, clip: norm.clip } : null, manifest);
  const stepsPerSecond = result.envSteps / seconds;
  if (mode !== "none") write(`done${finalStatus === "interrupted" ? " (interrupted)" : ""}: ${result.updates} updates, ${result.envSteps} env steps in ${seconds.toFixed(1)} s (${Math.round(stepsPerSecond)} steps/s)${written ? `\ncheckpoint: ${config.out}` : ""}\n`);
  return { dir: written ? config.out : null, manifest, metrics, policy, agent, env: envConfig, data, engine: engineKind, backend, seconds, stepsPerSecond, status: finalStatus };
}

/** A portfolio checkpoint's policy and env config, checked against the model it will run on. */
export async function loadPortfolioPolicy(dir: string): Promise<{ readonly policy: Policy<CheckpointManifest>; readonly env: PortfolioConfig; checkAgainst(model: PortfolioModel): void }> {
  const policy = await loadPolicy(dir);
  const m = policy.manifest;
  if (m.env.preset !== "portfolio") throw new AgentError("checkpoint_incompatible", `not a portfolio checkpoint (env preset "${m.env.preset}")`, `${join(dir, "manifest.json")}:env.preset`);
  const parsed = portfolioConfigSchema.safeParse(m.env.config);
  if (!parsed.success) throw new AgentError("checkpoint_incompatible", `the saved portfolio config no longer parses: ${parsed.error.issues[0]?.message}`, `${join(dir, "manifest.json")}:env.config`);
  return {
    policy,
    env: parsed.data,
    checkAgainst(model) {
      const want = model.layout.space.labels;
      const got = m.observation.labels;
      const i = want.findIndex((l, k) => got[k] !== l);
      if (got.length !== want.length || i >= 0) {
        throw new AgentError("checkpoint_incompatible", `observation element ${i} is "${got[i]}" in the checkpoint, "${want[i]}" in this env (assets, features or their order differ)`, `${join(dir, "manifest.json")}:observation.labels`);
      }
      const actions = model.actions.space.labels;
      if (m.actions.labels.length !== actions.length || m.actions.labels.some((l, k) => l !== actions[k])) {
        throw new AgentError("checkpoint_incompatible", `actions ${JSON.stringify(m.actions.labels)} in the checkpoint, ${JSON.stringify(actions)} in this env`, `${join(dir, "manifest.json")}:actions.labels`);
      }
    },
  };
}

/** The backtest model of a window [start, end) under the trained env config (full series, same features). */
export function portfolioWindowModel(data: LoadedPortfolioMarket, env: PortfolioConfig, window: { readonly start?: string | null; readonly end?: string | null }): PortfolioModel {
  const episode: { mode: "full"; from?: string; to?: string } = { mode: "full" };
  if (window.start != null) episode.from = window.start;
  if (window.end != null) episode.to = window.end;
  return createPortfolioModel({ market: data.market, config: { ...env, episode } });
}

export function readMetricsLog(dir: string): string {
  const p = join(dir, "metrics.jsonl");
  return existsSync(p) ? readFileSync(p, "utf8") : "";
}
