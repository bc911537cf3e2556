/**
 * `--seeds K` for training, as a library call: K independent training runs of one config (seeds s₀ … s₀ + K − 1),
 * each written to <out>/seed-<s> (K ≥ 2), each backtested greedily on the training window and, when the training
 * ends before the data does, on the rest; the summary gives the mean, a bootstrap CI of every metric over the K
 * runs and the share that beat buy-and-hold. A wrapper over `runTrainJob` (train-job.ts), the one code path that
 * `npm run train` uses too; it shows each run's progress as train() does (pass `progress: "none"` for quiet).
 */
import type { TrainConfigInput } from "../agent/index.js";
import type { WindowResult } from "../eval/experiment.js";
import { runTrainJob } from "./train-job.js";

export interface TrainSeedsOptions {
  /** The training config every run shares; its `seed` is the first seed, its `out` the parent folder. */
  readonly config: TrainConfigInput;
  /** Number of runs K. */
  readonly seeds: number;
  /** Bootstrap resamples of the summary (default 2000). */
  readonly resamples?: number;
  /** Write reports/<runName>/report.html (training curves of the first seed, both windows, every seed). */
  readonly report?: { readonly runName: string; readonly reportsDir?: string; readonly command: string };
  readonly log?: (line: string) => void;
  /** Stops at the next training update (that seed's checkpoint marked interrupted); throws InterruptedError saying what finished. */
  readonly signal?: AbortSignal;
}

export interface TrainSeedsResult {
  readonly seeds: readonly number[];
  /** Checkpoint folders (empty when `out` is null). */
  readonly checkpoints: readonly string[];
  readonly results: readonly WindowResult[];
  /** One table per window: the K runs (mean [95% CI]) and the baselines. */
  readonly summary: string;
  /** The report's HTML path, when one was asked for. */
  readonly reportPath: string | null;
}

export async function trainSeeds(opts: TrainSeedsOptions): Promise<TrainSeedsResult> {
  if (!(Number.isInteger(opts.seeds) && opts.seeds >= 1)) throw new RangeError(`--seeds must be a positive integer, got ${opts.seeds}`);
  const r = await runTrainJob({
    // Progress as train() shows it by default: one display updated in place in a notebook, a bar on a
    // terminal, throttled lines otherwise; each run labelled "seed s (i/K)". progress: "none" silences it.
    config: opts.config,
    seeds: opts.seeds,
    report: opts.report ?? null,
    ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }),
    ...(opts.log === undefined ? {} : { log: opts.log }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  return { seeds: r.seeds, checkpoints: r.checkpoints, results: r.results, summary: r.summary, reportPath: r.reportPath };
}
