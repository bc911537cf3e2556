/**
 * The main job behind `npm start`: the embedded market, split by date into in-sample and out-of-sample,
 * the agent trained on the in-sample window, both windows backtested against the baselines, one report.
 */
import { join } from "node:path";
import { train, type TrainResult } from "../agent/index.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { readTrainingLog } from "../report/training-log.js";
import { agentBacktestPolicy } from "../eval/agent-policy.js";
import { collectVersions } from "../report/provenance.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { writeRunReport } from "../report/run-report.js";
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
  let trained: TrainResult | null = null;
  let checkpointDir: string | null = null;
  if (opts.train) {
    checkpointDir = join(opts.checkpointsDir ?? "checkpoints", opts.runName);
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
      },
      { write: opts.quiet === true ? () => {} : (text) => void process.stdout.write(text) },
    );
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
      : `<p>The agent's <code>default</code> preset (multi-horizon returns, volatility, moving-average gaps, volume and calendar features; an LSTM trained on 64-bar sequences) trained on the article's env (hold / buy 50% of cash / sell 50% of coins, 0.075% commission) ` +
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
  const written = writeRunReport(report, opts.reportsDir ?? "reports");
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
