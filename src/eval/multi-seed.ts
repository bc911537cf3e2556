/**
 * `--seeds K` for training: K independent training runs of one config (seeds s₀ … s₀ + K − 1), each written to
 * <out>/seed-<s>, each backtested greedily on the training window and, when the training ends before the data
 * does, on the rest; the summary gives the mean, a bootstrap CI of every metric over the K runs and the share
 * that beat buy-and-hold. For scripts/train.ts (owned by the agent) to call when K > 1.
 */
import { join } from "node:path";
import { train, type TrainConfigInput, type Policy } from "../agent/index.js";
import { readCandlesCsv } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import type { EnvConfig } from "../env/index.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { collectVersions } from "../report/provenance.js";
import { writeRunReport } from "../report/run-report.js";
import { readTrainingLog } from "../report/training-log.js";
import { agentBacktestPolicy } from "./agent-policy.js";
import { runExperiment, type ExperimentWindow, type WindowResult } from "./experiment.js";

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
  const base = opts.config;
  const first = base.seed ?? 0;
  const seeds = Array.from({ length: opts.seeds }, (_, k) => first + k);
  const policies: Policy<unknown>[] = [];
  const checkpoints: string[] = [];
  let env: EnvConfig | null = null;
  for (const seed of seeds) {
    const out = base.out === undefined || base.out === null ? null : join(base.out, `seed-${seed}`);
    const r = await train({ ...base, seed, out, progress: base.progress ?? "none" }, { write: () => {} });
    env ??= r.env;
    policies.push(r.policy);
    if (out !== null) checkpoints.push(out);
    opts.log?.(`seed ${seed}: ${r.manifest.training.envSteps} env steps in ${r.seconds.toFixed(1)} s${out === null ? "" : ` → ${out}`}`);
  }
  const data = base.data ?? null;
  const { candles, report: csv } = data === null ? readEmbeddedMarket() : readCandlesCsv(data);
  const trainWindow: ExperimentWindow = {
    label: "in-sample",
    ...(base.trainStart ? { start: base.trainStart } : {}),
    ...(base.trainEnd ? { end: base.trainEnd } : {}),
  };
  const lastBar = candles.timestamp[candles.length - 1]!;
  const windows: ExperimentWindow[] = [trainWindow];
  // Out of sample: the bars after the training window, when there are at least two of them.
  if (base.trainEnd && Date.parse(base.trainEnd) < lastBar) windows.push({ label: "out-of-sample", start: base.trainEnd });
  const results = runExperiment({
    candles,
    env: env!,
    windows,
    agents: () => policies.map((p, k) => ({ policy: agentBacktestPolicy(p, "greedy"), seed: seeds[k]! })),
    evaluate: { seed: first, skipPerfectForesight: true, ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }) },
  });
  let reportPath: string | null = null;
  if (opts.report !== undefined) {
    const report = experimentReport({
      title: `Training: ${base.preset ?? "default"} preset, ${seeds.length} seed${seeds.length > 1 ? "s" : ""}`,
      runName: opts.report.runName,
      results,
      trainingLog: checkpoints[0] === undefined ? null : readTrainingLog(join(checkpoints[0], "metrics.jsonl")),
      provenance: {
        command: opts.report.command,
        createdAt: new Date().toISOString(),
        seeds,
        data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
        config: { train: base, env },
        versions: collectVersions(),
        checkpoints,
      },
    });
    reportPath = writeRunReport(report, opts.report.reportsDir ?? "reports").html;
  }
  return { seeds, checkpoints, results, summary: summaryText(results), reportPath };
}
