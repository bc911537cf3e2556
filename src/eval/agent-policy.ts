/**
 * The agent seen by the evaluation: a checkpoint loaded with the agent's `loadPolicy`, adapted to the
 * backtest's `BacktestPolicy` (greedy or sampled from the run's seeded stream), and checked against the
 * backtest's env before it runs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AgentError, loadPolicy, train, type AgentPresetName, type CheckpointManifest, type Policy } from "../agent/index.js";
import { timeframeMs } from "../data/candles.js";
import { actionLabelsOf, EnvError, featuresFromConfig, resolveEnvConfig, type EnvConfig, type EnvModel, type EnvPresetName } from "../env/index.js";
import { appendCustomFeatures, type CustomFeature } from "../features/custom.js";
import type { BacktestPolicy } from "./backtest.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { medianPeriod } from "./backtest.js";
import { EvalError } from "./errors.js";
import type { Trainer } from "./walk-forward.js";

/** A backtest policy over an agent policy. Its LSTM state is reset at the start of every run. */
export function agentBacktestPolicy(policy: Policy<unknown>, mode: "greedy" | "sample", name = "agent"): BacktestPolicy {
  return {
    name,
    reset: () => policy.reset(),
    act: (obs, ctx) => policy.act(obs, mode === "sample" ? { mode: "sample", rng: ctx.rng } : { mode: "greedy" }).action,
  };
}

/**
 * Throws EvalError("checkpoint_mismatch") naming the manifest field when the checkpoint cannot run on `model`:
 * another bar length, other observation elements (features, look-back, portfolio inputs), another action
 * space, or an observation normalisation of another size.
 */
export function checkManifestAgainst(manifest: CheckpointManifest, model: EnvModel, dir: string): void {
  const where = (field: string) => `${join(dir, "manifest.json")}:${field}`;
  const period = medianPeriod(model.market.timestamp);
  let trainedMs: number | null = null;
  try {
    trainedMs = timeframeMs(manifest.data.timeframe);
  } catch {
    trainedMs = null;
  }
  if (trainedMs !== null && trainedMs !== period) {
    throw new EvalError("checkpoint_mismatch", `trained on ${manifest.data.timeframe} bars, the backtest data has bars of ${period / 60_000} minutes`, where("data.timeframe"));
  }
  const want = model.layout.space.labels;
  const got = manifest.observation.labels;
  if (got.length !== want.length) {
    throw new EvalError("checkpoint_mismatch", `the policy observes ${got.length} values, this env gives ${want.length} (${want.join(", ")})`, where("observation.labels"));
  }
  want.forEach((label, i) => {
    if (got[i] !== label) throw new EvalError("checkpoint_mismatch", `observation element ${i} is "${got[i]}" in the checkpoint, "${label}" in this env (features or their order differ)`, where(`observation.labels[${i}]`));
  });
  const actions = actionLabelsOf(model.actions.space);
  if (manifest.actions.labels.length !== actions.length || manifest.actions.labels.some((l, i) => l !== actions[i])) {
    throw new EvalError("checkpoint_mismatch", `actions ${JSON.stringify(manifest.actions.labels)} in the checkpoint, ${JSON.stringify(actions)} in this env`, where("actions.labels"));
  }
  const norm = manifest.observation.normalization;
  if (norm !== null && (norm.mean.length !== want.length || norm.variance.length !== want.length)) {
    throw new EvalError("checkpoint_mismatch", `the observation normalisation has ${norm.mean.length} means and ${norm.variance.length} variances for ${want.length} observation values`, where("observation.normalization"));
  }
}

export interface LoadAgentPolicyOptions {
  /** The custom features the checkpoint was trained with (manifest `custom.features`), same names and columns. */
  readonly features?: readonly CustomFeature[];
}

/** Loads a checkpoint for `npm run backtest` (the `PolicyLoader` of backtest-job.ts). */
export async function loadAgentPolicy(dir: string, options: LoadAgentPolicyOptions = {}): Promise<LoadedPolicy> {
  let policy: Policy<CheckpointManifest>;
  try {
    policy = await loadPolicy(dir);
  } catch (err) {
    if (err instanceof AgentError) throw new EvalError("checkpoint_unreadable", err.message, dir);
    throw err;
  }
  const m = policy.manifest;
  let env: EnvConfig;
  try {
    // The saved config is the resolved one, fitted feature normalisation included: the backtest computes the
    // same features with the same statistics.
    env = resolveEnvConfig(m.env.config as EnvConfig);
  } catch (err) {
    if (err instanceof EnvError) throw new EvalError("checkpoint_mismatch", `the saved env config no longer parses: ${err.message}`, `${join(dir, "manifest.json")}:env.config`);
    throw err;
  }
  const needed = m.custom.features;
  const given = options.features ?? [];
  const sameFeatures = needed.length === given.length && needed.every((f, i) => f.name === given[i]!.name && f.columns.join(",") === given[i]!.columns.join(","));
  if (!sameFeatures) {
    throw new EvalError(
      "checkpoint_mismatch",
      `the policy was trained with the custom features ${JSON.stringify(needed)}; pass the same to loadAgentPolicy(dir, { features }) (got ${JSON.stringify(given.map((f) => f.name))})`,
      `${join(dir, "manifest.json")}:custom.features`,
    );
  }
  const log = join(dir, "metrics.jsonl");
  const env0 = env;
  return {
    dir,
    env,
    seed: m.training.seed,
    trainedOn: { ...m.data, agentPreset: m.agent.preset, envPreset: m.env.preset, envSteps: m.training.envSteps },
    trainingLogPath: existsSync(log) ? log : null,
    featuresFor: (candles) => (given.length === 0 ? null : appendCustomFeatures(featuresFromConfig(candles, env0.observation.features), candles, given)),
    checkCompatible: (model) => checkManifestAgainst(m, model, dir),
    makePolicy: (mode) => agentBacktestPolicy(policy, mode),
  };
}

export interface AgentTrainerOptions {
  /** The candle CSV the folds are cut from; null: the embedded market. Must be the series walkForward gets. */
  readonly data: string | null;
  readonly preset: AgentPresetName;
  /** Env preset the agent trains on (default "seed": the article's env). */
  readonly envPreset?: EnvPresetName;
  /** Env steps per training run. */
  readonly steps: number;
  /** Folder of the fold checkpoints (<dir>/fold-<i>/seed-<k>); null: keep nothing on disk. */
  readonly checkpointsDir: string | null;
  readonly log?: (line: string) => void;
}

/** A walk-forward `Trainer` that runs the agent's train() on each fold's training dates. */
export function agentTrainer(opts: AgentTrainerOptions): Trainer {
  return async (req) => {
    const out = opts.checkpointsDir === null ? null : join(opts.checkpointsDir, `fold-${req.fold}`, `seed-${req.seed}`);
    const r = await train(
      {
        preset: opts.preset,
        envPreset: opts.envPreset ?? "seed",
        data: opts.data,
        trainStart: new Date(req.start).toISOString(),
        trainEnd: new Date(req.end).toISOString(),
        steps: opts.steps,
        seed: req.seed,
        out,
        progress: "none",
      },
      { write: () => {} },
    );
    opts.log?.(`fold ${req.fold} seed ${req.seed}: ${r.manifest.training.envSteps} steps in ${r.seconds.toFixed(1)} s`);
    return { env: r.env, makePolicy: () => agentBacktestPolicy(r.policy, "greedy"), ...(out === null ? {} : { checkpointDir: out }) };
  };
}
