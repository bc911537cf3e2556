/**
 * What training logs, one JSON object per update. Two files, so that one of them is reproducible byte for byte:
 *   metrics.jsonl: UpdateMetrics, a deterministic function of (config, seed, data, engine, backend);
 *   timing.jsonl:  UpdateTiming, wall-clock figures that differ from run to run.
 * Every field is documented in docs/ppo.md ("Logged metrics"). Keys are written in the order declared here;
 * a figure that does not exist for an update (no episode finished) is null.
 */
export interface UpdateMetrics {
  /** 1-based update number. */
  readonly update: number;
  /** Env steps taken so far (all envs). */
  readonly env_steps: number;
  /** Episodes finished so far. */
  readonly episodes: number;
  /** Episodes that finished during this update's rollout. */
  readonly episodes_in_update: number;
  /** Mean, min and max over those episodes of the final value minus the value of holding the starting mix (USD). */
  readonly profit_mean: number | null;
  readonly profit_min: number | null;
  readonly profit_max: number | null;
  /** Mean over those episodes of the final value over the initial value, minus 1. */
  readonly total_return_mean: number | null;
  /** Mean over those episodes of the sum of the env's (unscaled) rewards. */
  readonly episode_reward_mean: number | null;
  /** Mean length of those episodes, in steps. */
  readonly episode_length_mean: number | null;
  /** Mean over minibatches of the clipped surrogate loss. */
  readonly policy_loss: number;
  /** Mean over minibatches of the value loss (huber or ½·squared error, before valueCoef). */
  readonly value_loss: number;
  /** Mean over minibatches of the policy's entropy (nats). */
  readonly entropy: number;
  /** Mean over minibatches of mean((r − 1) − log r): the k3 estimate of KL(π_old ‖ π_new). */
  readonly approx_kl: number;
  /** Mean over minibatches of mean(−log r): the naive KL estimate. */
  readonly old_approx_kl: number;
  /** Mean over minibatches of the share of steps with |r − 1| > clipCoef. */
  readonly clip_fraction: number;
  /** 1 − Var(target − V_old) / Var(target) over the rollout, before the update; null when Var(target) = 0. */
  readonly explained_variance: number | null;
  /** Mean over minibatches of the global gradient norm before clipping. */
  readonly grad_norm: number;
  /** Adam step size used in this update. */
  readonly learning_rate: number;
  /** Epochs run (fewer than configured when the KL early stop fired). */
  readonly epochs: number;
}

export interface UpdateTiming {
  readonly update: number;
  readonly env_steps: number;
  /** Seconds since training started (this process). */
  readonly elapsed_s: number;
  /** Seconds spent in the rollout (env steps and policy steps) of this update. */
  readonly rollout_s: number;
  /** Seconds spent computing targets and gradient steps in this update. */
  readonly train_s: number;
  /** Env steps per second of this update, everything included. */
  readonly steps_per_s: number;
  /** Env steps per second since training started. */
  readonly avg_steps_per_s: number;
  /** Resident set size of the process, MiB. */
  readonly rss_mib: number;
}

/** One JSON line; NaN and ±Infinity become null (JSON has neither). */
export function jsonLine(record: object): string {
  return `${JSON.stringify(record, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v))}\n`;
}
