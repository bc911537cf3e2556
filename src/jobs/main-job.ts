/**
 * The main job behind `npm start`: the embedded market, split by date into in-sample and out-of-sample,
 * the agent trained on the in-sample window, both windows backtested against the baselines, one report.
 */
import { join } from "node:path";
import { CHECKPOINT_OUTPUT, train, type TrainResult } from "../agent/index.js";
import type { Candles } from "../data/candles.js";
import type { CsvReport } from "../data/csv.js";
import { checkWindow, MIN_BACKTEST_BARS } from "../eval/window.js";
import { InterruptedError } from "../util/errors.js";
import { checkOutput, type ClaimedOutput } from "../util/safe-output.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { readTrainingLog } from "../report/training-log.js";
import { agentBacktestPolicy } from "../eval/agent-policy.js";
import { collectVersions } from "../report/provenance.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { claimReportOutput, writeRunReport } from "../report/run-report.js";
import { resolveEnvConfig, type EnvConfig } from "../env/index.js";
import { runExperiment, type ExperimentWindow, type WindowResult } from "../eval/experiment.js";

export interface MainJobOptions {
  readonly seed: number;
  /** Training budget in env steps (reproducible). */
  readonly steps: number;
  /** Training stops after the update during which this many seconds passed (a safety cap on slow machines). */
  readonly budgetSeconds: number;
  /** false: baselines only. */
  readonly train: boolean;
  /** First out-of-sample bar (ISO date). */
  readonly split: string;
  readonly runName: string;
  readonly command: string;
  readonly reportsDir?: string;
  readonly checkpointsDir?: string;
  readonly log?: (line: string) => void;
  /** No training progress on stdout (tests). */
  readonly quiet?: boolean;
  /** Replace the project's own checkpoint and report of this run name. */
  readonly force?: boolean;
  /** Stops training at the next update (checkpoint saved marked interrupted; no backtest; InterruptedError). */
  readonly signal?: AbortSignal;
  /** Where training progress goes (default stdout) and whether it is a terminal. */
  readonly write?: (text: string) => void;
  readonly isTTY?: boolean;
}

export interface MainJobResult {
  readonly reportPath: string;
  readonly checkpointDir: string | null;
  readonly summary: string;
  readonly seconds: number;
}

export async function runMainJob(opts: MainJobOptions): Promise<MainJobResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const { candles, report: csv } = readEmbeddedMarket();
  log(`embedded market: ${csv.rows} hourly bars ${csv.firstIso} → ${csv.lastIso} (sha256 ${csv.sha256.slice(0, 12)}…)`);
  // Everything is checked before training: both windows of the split, the checkpoint and the report folders.
  checkWindow(candles, { end: opts.split }, { start: "--split", end: "--split" }, MIN_BACKTEST_BARS, "the in-sample window (before --split)");
  checkWindow(candles, { start: opts.split }, { start: "--split", end: "--split" }, MIN_BACKTEST_BARS, "the out-of-sample window (from --split)");
  const checkpointPath = join(opts.checkpointsDir ?? "checkpoints", opts.runName);
  if (opts.train) checkOutput(checkpointPath, { kind: CHECKPOINT_OUTPUT, force: opts.force === true, field: "run" });
  const reportClaim = claimReportOutput(opts.reportsDir ?? "reports", opts.runName, opts.force === true);
  if (reportClaim?.replacing != null) log(`replacing ${reportClaim.path}: ${reportClaim.replacing}`);
  try {
    return await mainJobInto(opts, candles, csv, checkpointPath, reportClaim, t0, log);
  } finally {
    reportClaim.release();
  }
}

async function mainJobInto(
  opts: MainJobOptions,
  candles: Candles,
  csv: CsvReport,
  checkpointPath: string,
  reportClaim: ClaimedOutput,
  t0: number,
  log: (line: string) => void,
): Promise<MainJobResult> {
  let trained: TrainResult | null = null;
  let checkpointDir: string | null = null;
  if (opts.train) {
    checkpointDir = checkpointPath;
    log(`training the agent's default preset on the article's env, bars before ${opts.split}, ${opts.steps} env steps (cap ${opts.budgetSeconds} s), seed ${opts.seed}`);
    trained = await train(
      {
        preset: "default",
        envPreset: "seed",
        data: null,
        trainEnd: opts.split,
        steps: opts.steps,
        seed: opts.seed,
        out: checkpointDir,
        maxSeconds: opts.budgetSeconds,
        progress: opts.quiet === true ? "none" : "auto",
        force: opts.force === true,
      },
      {
        write: opts.quiet === true ? () => {} : (opts.write ?? ((text) => void process.stdout.write(text))),
        ...(opts.isTTY === undefined ? {} : { isTTY: opts.isTTY }),
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      },
    );
    if (trained.status === "interrupted") {
      const m = trained.manifest.training;
      throw new InterruptedError(
        trained.stopSignal ?? "SIGINT",
        `${checkpointDir} saved after ${m.updates} of ${m.numUpdates} updates, marked interrupted (resume: npm run train -- --resume ${checkpointDir}); no backtest or report was made`,
      );
    }
  }
  const env: EnvConfig = trained?.env ?? resolveEnvConfig("seed");
  const windows: ExperimentWindow[] = [
    { label: "in-sample", end: opts.split },
    { label: "out-of-sample", start: opts.split },
  ];
  const policy = trained?.policy ?? null;
  const results = runExperiment({
    candles,
    env,
    windows,
    ...(policy === null ? {} : { agents: () => [{ policy: agentBacktestPolicy(policy, "greedy"), seed: opts.seed }] }),
    evaluate: { seed: opts.seed, perfectForesight: { gridSize: 501 } },
    onWindow: (w, s) => log(`${w.label}: backtests done in ${s.toFixed(1)} s`),
  });
  const t = trained;
  const intro =
    t === null
      ? "<p>Baselines only (<code>--no-train</code>): buy-and-hold, random, moving-average crossover and perfect foresight on the embedded synthetic market, split by date.</p>"
      : `<p>The agent's <code>default</code> preset (multi-horizon returns, volatility, moving-average gaps, volume, calendar features and the volume flow of the last 60 bars in half-day lags; an LSTM trained on 64-bar sequences) trained on the article's env (hold / buy 50% of cash / sell 50% of coins, 0.075% commission) ` +
        `over the embedded synthetic market's bars before ${opts.split}: ${t.manifest.training.envSteps.toLocaleString("en-US")} env steps in ${t.seconds.toFixed(0)} s ` +
        `(${Math.round(t.stepsPerSecond)} steps/s, engine ${t.engine}, backend ${t.backend.name}). Backtests are greedy (the most likely action), in-sample and out-of-sample, against the baselines.</p>`;
  const report = experimentReport({
    title: "Main job: the embedded market, in-sample and out-of-sample",
    runName: opts.runName,
    introHtml: intro,
    results,
    trainingLog: checkpointDir === null ? null : readTrainingLog(join(checkpointDir, "metrics.jsonl")),
    provenance: {
      command: opts.command,
      createdAt: new Date().toISOString(),
      seeds: [opts.seed],
      data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
      config: { env, agent: t?.agent ?? null, split: opts.split, steps: opts.steps, budgetSeconds: opts.budgetSeconds },
      versions: collectVersions(t === null ? {} : { engine: t.engine, tfjsBackend: t.backend.name }),
      ...(checkpointDir === null ? {} : { checkpoints: [checkpointDir] }),
    },
  });
  const written = writeRunReport(report, opts.reportsDir ?? "reports", { claimed: reportClaim });
  return { reportPath: written.html, checkpointDir, summary: `${summaryText(results)}\n\n${verdict(results)}`, seconds: (performance.now() - t0) / 1000 };
}

/**
 * One plain paragraph on what the agent did out of sample: how often it traded, and whether it beat
 * buy-and-hold and the moving-average crossover, in points of total return (no hedging, no spin).
 */
export function verdict(results: readonly WindowResult[]): string {
  const oos = results.find((r) => r.window.label === "out-of-sample") ?? results.at(-1);
  const agent = oos?.evaluation.agentMetrics[0];
  if (oos === undefined || agent === undefined) return "verdict: no agent was trained (baselines only).";
  const pts = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} points`;
  const ma = oos.evaluation.baselineMetrics.find((b) => b.name.startsWith("ma_crossover"))?.metrics;
  const lines = [
    `verdict (out of sample, ${oos.evaluation.agentRuns[0]!.steps} hourly bars): the agent made ${agent.trades} trades, average exposure ${(100 * agent.averageExposure).toFixed(0)}% in coins; ` +
      `total return ${pts(agent.totalReturn)} against buy-and-hold's ${pts(agent.buyAndHoldReturn)}.`,
    agent.excessReturn > 0
      ? `It beat buy-and-hold by ${pts(agent.excessReturn)} on this one path (one seed: see npm run train -- --seeds K for intervals).`
      : `It did NOT beat buy-and-hold (${pts(agent.excessReturn)}).`,
  ];
  if (ma) lines.push(`The moving-average crossover made ${pts(ma.excessReturn)} over buy-and-hold; the agent ${agent.excessReturn > ma.excessReturn ? "beat" : "did not beat"} it.`);
  if (agent.trades === 0) lines.push("It never traded: the greedy policy holds the starting mix.");
  return lines.join("\n");
}
