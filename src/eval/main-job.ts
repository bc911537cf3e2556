/**
 * The main job behind `npm start`: the embedded market, split by date into in-sample and out-of-sample,
 * the agent trained on the in-sample window, both windows backtested against the baselines, one report.
 */
import { readEmbeddedMarket } from "../data/embedded.js";
import { collectVersions } from "../report/provenance.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { writeRunReport } from "../report/run-report.js";
import { resolveEnvConfig, type EnvConfig } from "../env/index.js";
import { runExperiment, type ExperimentWindow } from "./experiment.js";

export interface MainJobOptions {
  readonly seed: number;
  /** Training budget, wall-clock seconds. */
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
  const env: EnvConfig = resolveEnvConfig("seed");
  const windows: ExperimentWindow[] = [
    { label: "in-sample", end: opts.split },
    { label: "out-of-sample", start: opts.split },
  ];
  const results = runExperiment({
    candles,
    env,
    windows,
    evaluate: { seed: opts.seed, perfectForesight: { gridSize: 501 } },
    onWindow: (w, s) => log(`${w.label}: backtests done in ${s.toFixed(1)} s`),
  });
  const report = experimentReport({
    title: "Main job: the embedded market, in-sample and out-of-sample",
    runName: opts.runName,
    introHtml:
      "<p>The agent is not trained in this version of the main job: the baselines (buy-and-hold, random, moving-average crossover, perfect foresight) run on the embedded synthetic market, split by date.</p>",
    results,
    provenance: {
      command: opts.command,
      createdAt: new Date().toISOString(),
      seeds: [opts.seed],
      data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
      config: { env, split: opts.split, budgetSeconds: opts.budgetSeconds },
      versions: collectVersions(),
    },
  });
  const written = writeRunReport(report, opts.reportsDir ?? "reports");
  return { reportPath: written.html, checkpointDir: null, summary: summaryText(results), seconds: (performance.now() - t0) / 1000 };
}
