/**
 * `npm run train`: one training run, or K independent ones (`--seeds K`, seeds s₀ … s₀ + K − 1), each backtested
 * greedily on its training window and, when there is one, an out-of-sample window, against the baselines; a
 * summary (mean and 95 % bootstrap CI over the runs, the share that beat buy-and-hold), the run report and the
 * `--json` object. Same folder layout and windows as `trainSeeds` (multi-seed.ts), plus the single-seed case
 * (checkpoint in `out` itself, progress shown) and an explicit out-of-sample window.
 */
import { join } from "node:path";
import { CHECKPOINT_OUTPUT, train, type Policy, type TrainConfigInput, type TrainResult } from "../agent/index.js";
import { InterruptedError } from "../util/errors.js";
import { checkOutput, unsafeOutputReason, type ClaimedOutput } from "../util/safe-output.js";
import { OutputError } from "../util/errors.js";
import { readCandlesCsv } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { collectVersions } from "../report/provenance.js";
import { claimReportOutput, writeRunReport } from "../report/run-report.js";
import { readTrainingLog } from "../report/training-log.js";
import { agentBacktestPolicy } from "../eval/agent-policy.js";
import { backtestJson } from "./backtest-job.js";
import { EvalError } from "../eval/errors.js";
import { runExperiment, type ExperimentWindow, type WindowResult } from "../eval/experiment.js";

export interface TrainJobOptions {
  /** The training config; its `seed` is the first seed; `out` is the checkpoint (K = 1) or the parent of `seed-<s>` (K ≥ 2). */
  readonly config: TrainConfigInput;
  /** Number of independent runs K (default 1). */
  readonly seeds?: number;
  /** Out-of-sample window [start, end); start defaults to the train end. Omitted: [train end, data end) when the data goes on. */
  readonly test?: { readonly start?: string; readonly end?: string };
  /** Backtest the runs against the baselines (default true); false: training only (no tables, no report). */
  readonly backtest?: boolean;
  /** Write reports/<runName>/report.html; null: no report. */
  readonly report: { readonly runName: string; readonly reportsDir?: string; readonly command: string; readonly force?: boolean } | null;
  /** Bootstrap resamples of the summary (default 2000). */
  readonly resamples?: number;
  /** Progress lines of the job (one per seed, the backtests). */
  readonly log?: (line: string) => void;
  /** Where the training progress goes (default: stdout); only the training's own `progress` setting decides whether it shows. */
  readonly trainWrite?: (text: string) => void;
  /** Whether `trainWrite` is a terminal (bar) or not (throttled lines). */
  readonly trainIsTTY?: boolean;
  /**
   * Stops the job at the next training update: the running seed's checkpoint is saved marked "interrupted",
   * finished seeds are kept, and the job throws InterruptedError saying what was kept and how to resume.
   */
  readonly signal?: AbortSignal;
  /** How users resume a checkpoint, for the interruption message (default: `npm run train -- --resume DIR`). */
  readonly resumeHint?: (dir: string) => string;
}

export interface TrainJobResult {
  readonly seeds: readonly number[];
  /** One per seed, in seed order. */
  readonly runs: readonly TrainResult[];
  /** Checkpoint folders written (empty when `out` is null). */
  readonly checkpoints: readonly string[];
  /** The in-sample window, then the out-of-sample one if any. */
  readonly results: readonly WindowResult[];
  /** One table per window: the runs (mean [95 % CI]) and the baselines. */
  readonly summary: string;
  readonly reportPath: string | null;
  /** The `--json` object of `npm run train` (docs/ppo.md). */
  readonly json: Record<string, unknown>;
}

export async function runTrainJob(opts: TrainJobOptions): Promise<TrainJobResult> {
  const k = opts.seeds ?? 1;
  const log = opts.log ?? (() => {});
  if (!(Number.isInteger(k) && k >= 1)) throw new EvalError("invalid_options", `expected a positive integer, got ${k}`, "--seeds");
  const base = opts.config;
  if (k > 1 && base.resume != null) throw new EvalError("invalid_options", "cannot resume several seeds at once; resume each seed-<s> folder on its own", "--resume");
  const first = base.seed ?? 0;
  const seeds = Array.from({ length: k }, (_, i) => first + i);
  const outOf = (seed: number): string | null => (base.out == null ? null : k === 1 ? base.out : join(base.out, `seed-${seed}`));
  // Every output is checked before the first update: a refused seed folder or report must not cost a training run.
  if (k > 1 && base.out != null) {
    const unsafe = unsafeOutputReason(base.out);
    if (unsafe !== null) throw new OutputError("unsafe_output", `refusing to write seed checkpoints under ${JSON.stringify(base.out)}: ${unsafe}; name a new folder`, "out", base.out);
  }
  for (const seed of seeds) {
    const out = outOf(seed);
    if (out !== null) checkOutput(out, { kind: CHECKPOINT_OUTPUT, force: base.force === true, field: "out", replaces: base.resume ?? null });
  }
  const reportClaim: ClaimedOutput | null = opts.report === null || opts.backtest === false ? null : claimReportOutput(opts.report.reportsDir ?? "reports", opts.report.runName, opts.report.force === true);
  try {
    return await trainAndBacktest(opts, k, seeds, outOf, reportClaim, log);
  } finally {
    reportClaim?.release();
  }
}

async function trainAndBacktest(
  opts: TrainJobOptions,
  k: number,
  seeds: readonly number[],
  outOf: (seed: number) => string | null,
  reportClaim: ClaimedOutput | null,
  log: (line: string) => void,
): Promise<TrainJobResult> {
  const base = opts.config;
  const first = seeds[0]!;
  const runs: TrainResult[] = [];
  const resumeHint = opts.resumeHint ?? ((dir: string) => `npm run train -- --resume ${dir}`);
  for (const seed of seeds) {
    const out = outOf(seed);
    const label = k > 1 ? `seed ${seed} (${runs.length + 1}/${k})` : undefined;
    if (label !== undefined) log(`${label}${out === null ? "" : ` → ${out}`}`);
    const r = await train(
      { ...base, seed, out },
      {
        ...(opts.trainWrite === undefined ? {} : { write: opts.trainWrite }),
        ...(opts.trainIsTTY === undefined ? {} : { isTTY: opts.trainIsTTY }),
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        ...(label === undefined ? {} : { label }),
      },
    );
    runs.push(r);
    if (r.status === "interrupted") {
      const done = runs.slice(0, -1);
      const kept = done.length === 0 ? "" : `finished: ${done.map((d) => d.dir ?? `seed ${d.manifest.training.seed}`).join(", ")}; `;
      const notStarted = seeds.length - runs.length;
      const here =
        r.dir === null
          ? `seed ${seed} stopped after ${r.manifest.training.updates} of ${r.manifest.training.numUpdates} updates (nothing saved: no --out)`
          : `${r.dir} saved after ${r.manifest.training.updates} of ${r.manifest.training.numUpdates} updates, marked interrupted; resume: ${resumeHint(r.dir)}`;
      throw new InterruptedError(r.stopSignal ?? "SIGINT", `${kept}${here}${notStarted > 0 ? `; ${notStarted} seed(s) not started` : ""}; no backtest was run`);
    }
  }
  const checkpoints = runs.flatMap((r) => (r.dir === null ? [] : [r.dir]));
  const policies: Policy<unknown>[] = runs.map((r) => r.policy);
  if (opts.backtest === false) {
    return { seeds, runs, checkpoints, results: [], summary: "", reportPath: null, json: trainJobJson(runs, seeds, [], null, base.out ?? null) };
  }
  // The manifest holds what was actually trained on (also after --resume, which may take it from the checkpoint).
  const d = runs[0]!.manifest.data;
  const { candles, report: csv } = d.source === "embedded" ? readEmbeddedMarket() : readCandlesCsv(d.source);
  const windows: ExperimentWindow[] = [{ label: "in-sample", ...(d.trainStart ? { start: d.trainStart } : {}), ...(d.trainEnd ? { end: d.trainEnd } : {}) }];
  const test = opts.test;
  if (test !== undefined && (test.start !== undefined || test.end !== undefined)) {
    const start = test.start ?? d.trainEnd ?? undefined;
    if (start === undefined) throw new EvalError("invalid_options", "an out-of-sample window needs a start: give --test-start or --train-end", "--test-start");
    windows.push({ label: "out-of-sample", start, ...(test.end === undefined ? {} : { end: test.end }) });
  } else if (d.trainEnd && Date.parse(d.trainEnd) < candles.timestamp[candles.length - 1]!) {
    windows.push({ label: "out-of-sample", start: d.trainEnd });
  }
  const features = runs[0]!.featuresFor(candles);
  const results = runExperiment({
    candles,
    env: runs[0]!.env,
    ...(features ? { features } : {}),
    windows,
    agents: () => policies.map((p, i) => ({ policy: agentBacktestPolicy(p, "greedy"), seed: seeds[i]! })),
    evaluate: { seed: first, skipPerfectForesight: true, ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }) },
    onWindow: (w, s) => log(`backtest ${w.label}: ${k} run(s) + baselines in ${s.toFixed(1)} s`),
  });
  let reportPath: string | null = null;
  if (opts.report !== null) {
    const report = experimentReport({
      title: `Training: ${runs[0]!.agent.preset} preset, ${k} seed${k > 1 ? "s" : ""}`,
      runName: opts.report.runName,
      results,
      trainingLog: checkpoints[0] === undefined ? null : readTrainingLog(join(checkpoints[0], "metrics.jsonl")),
      provenance: {
        command: opts.report.command,
        createdAt: new Date().toISOString(),
        seeds,
        data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
        config: { train: base, agent: runs[0]!.agent, env: runs[0]!.env, windows },
        versions: collectVersions(),
        checkpoints,
      },
    });
    reportPath = writeRunReport(report, opts.report.reportsDir ?? "reports", reportClaim === null ? {} : { claimed: reportClaim }).html;
  }
  return { seeds, runs, checkpoints, results, summary: summaryText(results), reportPath, json: trainJobJson(runs, seeds, results, reportPath, base.out ?? null) };
}

/** The `--json` object: the training (totals over the seeds) and, per window, backtestJson's fields. */
export function trainJobJson(runs: readonly TrainResult[], seeds: readonly number[], results: readonly WindowResult[], reportPath: string | null, out: string | null): Record<string, unknown> {
  const r0 = runs[0]!;
  const last = r0.metrics.at(-1) ?? null;
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const envSteps = runs.reduce((s, r) => s + (r.metrics.at(-1)?.env_steps ?? 0), 0);
  const windows = Object.fromEntries(
    results.map((w) => {
      const { report: _report, ...fields } = backtestJson(w, reportPath ?? "");
      return [w.window.label, fields];
    }),
  );
  return {
    checkpoint: runs.length === 1 ? r0.dir : out,
    checkpoints: runs.map((r) => r.dir),
    seeds,
    engine: r0.engine,
    backend: r0.backend.name,
    backend_package: r0.backend.package,
    updates: r0.metrics.length,
    env_steps: runs.length === 1 ? (last?.env_steps ?? 0) : envSteps,
    seconds,
    env_steps_per_s: runs.reduce((s, r) => s + r.stepsPerSecond, 0) / runs.length,
    last,
    windows,
    report: reportPath,
  };
}
