/**
 * One trial of a sweep, run where a worker runs it: for every fold and seed, train with the trial's config and
 * budget, backtest greedily in-sample [trainStart, trainEnd) and out of sample [trainEnd, testEnd) with the
 * evaluation module (the single-asset env's backtest, or the portfolio's), against the benchmark (buy-and-hold
 * of the starting mix; the equal-weight buy-and-hold for a portfolio). Every run's result and checkpoint are
 * written atomically under <resultsDir>/trials/<id>/, so that a trial interrupted mid-way (a worker killed)
 * resumes with the runs it finished, and each run is reproducible from its seed. No Redis here: the queue
 * adapter (src/queue/) calls runTrial.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { train } from "../../agent/index.js";
import { readCandlesCsv } from "../../data/csv.js";
import { readEmbeddedMarket } from "../../data/embedded.js";
import type { Candles } from "../../data/candles.js";
import { agentBacktestPolicy } from "../../eval/agent-policy.js";
import { backtestModel, runBacktest } from "../../eval/backtest.js";
import { buyAndHoldTrace } from "../../eval/baselines.js";
import { computeMetrics, stepReturns, type BacktestMetrics } from "../../eval/metrics.js";
import { equalWeightHold, loadPortfolioMarket, portfolioAgentPolicy, runPortfolioBacktest, type LoadedPortfolioMarket } from "../../portfolio/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { portfolioWindowModel, trainPortfolio } from "../portfolio-train.js";
import { SweepSpecError, TRIAL_FORMAT, type FoldSpec, type TrialSpec } from "./spec.js";

export interface WindowMetrics {
  readonly agent: BacktestMetrics;
  /** Buy-and-hold of the starting mix (one asset) or the equal-weight buy-and-hold (portfolio), same window. */
  readonly benchmark: BacktestMetrics;
}

export interface RunResult {
  readonly fold: number;
  readonly seed: number;
  readonly inSample: WindowMetrics;
  readonly outOfSample: WindowMetrics;
  /** One-step returns of the agent and of the benchmark out of sample (for the deflated Sharpe ratio). */
  readonly oosReturns: readonly number[];
  readonly oosBenchmarkReturns: readonly number[];
  readonly envSteps: number;
  readonly trainSeconds: number;
  /** Train + backtests. */
  readonly seconds: number;
  readonly engine: string;
  readonly checkpoint: string | null;
}

export interface TrialResult {
  readonly format: typeof TRIAL_FORMAT;
  readonly trialId: string;
  readonly index: number;
  readonly kind: TrialSpec["kind"];
  readonly varied: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  readonly folds: readonly FoldSpec[];
  /** Fold-major, then seed. */
  readonly runs: readonly RunResult[];
  /** Seconds spent in runTrial (runs resumed from files count 0). */
  readonly seconds: number;
  /** CPU seconds (user + system) of the process that ran it, spent in runTrial: beside `seconds` on a loaded machine. */
  readonly cpuSeconds: number;
  /** Runs taken from files an earlier, interrupted attempt wrote. */
  readonly resumedRuns: number;
  /** Where the trial's files are. */
  readonly dir: string;
}

export interface TrialProgress {
  /** Runs finished, of `runs`. */
  readonly run: number;
  readonly runs: number;
  /** Training updates of the current run. */
  readonly update: number;
  readonly updates: number;
}

export interface RunTrialOptions {
  /** Root of the sweep's shared files: the trial writes <resultsDir>/trials/<id>/. */
  readonly resultsDir: string;
  readonly onProgress?: (p: TrialProgress) => void;
  /** Called between updates and runs; return true to stop (the trial throws; finished runs stay on disk). */
  readonly shouldStop?: () => boolean;
}

export class TrialStopped extends Error {
  override readonly name = "TrialStopped";
}

export function trialDir(resultsDir: string, id: string): string {
  return join(resultsDir, "trials", id);
}

const runName = (fold: number, seed: number): string => `fold-${fold}-seed-${seed}`;

function readRun(path: string, fold: number, seed: number): RunResult | null {
  if (!existsSync(path)) return null;
  try {
    const { trialFormat, ...r } = JSON.parse(readFileSync(path, "utf8")) as RunResult & { trialFormat?: number };
    return r.fold === fold && r.seed === seed && trialFormat === TRIAL_FORMAT ? r : null;
  } catch {
    return null; // unreadable: run it again (atomic writes make this a foreign file, not a half-written one)
  }
}

export async function runTrial(spec: TrialSpec, opts: RunTrialOptions): Promise<TrialResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // The data, loaded once; it must be the data the trial was submitted for (same path, same content).
  const dataSpec = spec.config["data"];
  let portfolio: LoadedPortfolioMarket | null = null;
  let candles: Candles | null = null;
  let here: string;
  if (spec.kind === "single") {
    const read = typeof dataSpec === "string" ? readCandlesCsv(dataSpec) : readEmbeddedMarket();
    candles = read.candles;
    here = read.report.sha256;
  } else {
    portfolio = loadPortfolioMarket((dataSpec ?? {}) as never);
    here = portfolio.alignedSha256;
  }
  if (here !== spec.dataSha256) {
    throw new SweepSpecError(`trial ${spec.id}: data`, `this worker's data (${typeof dataSpec === "string" ? dataSpec : spec.kind === "portfolio" ? JSON.stringify(dataSpec ?? "the embedded pair") : "the embedded market"}) has SHA-256 ${here.slice(0, 12)}…, the sweep was submitted for ${spec.dataSha256.slice(0, 12)}…`);
  }
  const dir = trialDir(opts.resultsDir, spec.id);
  const stop = opts.shouldStop ?? (() => false);
  const total = spec.folds.length * spec.seeds.length;
  const runs: RunResult[] = [];
  let resumed = 0;
  for (const fold of spec.folds) {
    for (const seed of spec.seeds) {
      const file = join(dir, "runs", `${runName(fold.index, seed)}.json`);
      const done = readRun(file, fold.index, seed);
      if (done !== null) {
        runs.push(done);
        resumed++;
        continue;
      }
      if (stop()) throw new TrialStopped(`trial ${spec.id} stopped after ${runs.length} of ${total} runs`);
      const r0 = performance.now();
      const progress = (update: number, updates: number): boolean => {
        opts.onProgress?.({ run: runs.length, runs: total, update, updates });
        return stop();
      };
      const out = join(dir, runName(fold.index, seed));
      let result: Omit<RunResult, "seconds">;
      result = candles !== null ? await singleRun(spec, fold, seed, out, candles, progress) : await portfolioRun(spec, fold, seed, out, portfolio!, progress);
      const run: RunResult = { ...result, seconds: (performance.now() - r0) / 1000 };
      writeFileAtomic(file, `${JSON.stringify({ ...run, trialFormat: TRIAL_FORMAT })}\n`);
      runs.push(run);
      opts.onProgress?.({ run: runs.length, runs: total, update: 0, updates: 0 });
    }
  }
  const result: TrialResult = {
    format: TRIAL_FORMAT,
    trialId: spec.id,
    index: spec.index,
    kind: spec.kind,
    varied: spec.varied,
    seeds: spec.seeds,
    folds: spec.folds,
    runs,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpuSecondsSince(cpu0),
    resumedRuns: resumed,
    dir,
  };
  writeFileAtomic(join(dir, "result.json"), `${JSON.stringify(result)}\n`);
  return result;
}

type Progress = (update: number, updates: number) => boolean;

/** User + system CPU seconds of this process since `start` (process.cpuUsage()). */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

async function singleRun(spec: TrialSpec, fold: FoldSpec, seed: number, out: string, candles: Candles, progress: Progress): Promise<Omit<RunResult, "seconds">> {
  let updates = 0;
  let stopped = false;
  const r = await train(
    {
      ...(spec.config as object),
      seed,
      steps: spec.budget.steps,
      maxSeconds: spec.budget.maxSeconds,
      trainStart: fold.trainStart,
      trainEnd: fold.trainEnd,
      out,
      // The sweep owns its trial folders: a checkpoint left by an interrupted attempt is this run's, replaced.
      force: true,
      progress: "none",
    },
    {
      write: () => {},
      onUpdate: (m) => {
        updates = m.update;
        // train() cannot be stopped from a hook: the stop is checked at every update and acted on after training
        // (the queue adapter kills the trial's process instead when it must stop at once).
        stopped ||= progress(m.update, Math.ceil(spec.budget.steps / Math.max(1, m.env_steps / m.update)));
      },
    },
  );
  if (stopped) throw new TrialStopped(`trial ${spec.id} stopped during fold ${fold.index} seed ${seed} (update ${updates})`);
  const window = (start: string | null, end: string | null) => {
    const model = backtestModel(candles, r.env, { ...(start === null ? {} : { start }), ...(end === null ? {} : { end }) });
    const agent = runBacktest(model, agentBacktestPolicy(r.policy, "greedy"), { seed });
    const bench = buyAndHoldTrace(model);
    return { agent, bench, metrics: { agent: computeMetrics(agent), benchmark: computeMetrics(bench) } };
  };
  return runRecord(fold, seed, window(fold.trainStart, fold.trainEnd), window(fold.trainEnd, fold.testEnd), r);
}

async function portfolioRun(spec: TrialSpec, fold: FoldSpec, seed: number, out: string, data: LoadedPortfolioMarket, progress: Progress): Promise<Omit<RunResult, "seconds">> {
  const r = await trainPortfolio(
    { ...(spec.config as object), seed, steps: spec.budget.steps, trainStart: fold.trainStart, trainEnd: fold.trainEnd, out, force: true, progress: "none" },
    { data, write: () => {}, onUpdate: (m) => progress(m.update, Math.ceil(spec.budget.steps / Math.max(1, m.env_steps / m.update))) },
  );
  if (r.metrics.length > 0 && r.manifest.training.updates < r.manifest.training.numUpdates) throw new TrialStopped(`trial ${spec.id} stopped during fold ${fold.index} seed ${seed}`);
  const window = (start: string | null, end: string | null) => {
    const model = portfolioWindowModel(data, r.env, { start, end });
    const agent = runPortfolioBacktest(model, portfolioAgentPolicy(r.policy, model), { seed });
    const bench = runPortfolioBacktest(model, equalWeightHold(model.assets));
    return { agent, bench, metrics: { agent: computeMetrics(agent), benchmark: computeMetrics(bench) } };
  };
  return runRecord(fold, seed, window(fold.trainStart, fold.trainEnd), window(fold.trainEnd, fold.testEnd), r);
}

/** A window's backtests: the agent's and the benchmark's value paths with their metrics. */
interface WindowRun {
  readonly agent: { readonly value: Float64Array };
  readonly bench: { readonly value: Float64Array };
  readonly metrics: WindowMetrics;
}

/** One fold × seed's record from its training run and its in-sample and out-of-sample backtests (single asset or portfolio). */
function runRecord(
  fold: FoldSpec,
  seed: number,
  inS: WindowRun,
  oos: WindowRun,
  r: { readonly manifest: { readonly training: { readonly envSteps: number } }; readonly seconds: number; readonly engine: string; readonly dir: string | null },
): Omit<RunResult, "seconds"> {
  return {
    fold: fold.index,
    seed,
    inSample: inS.metrics,
    outOfSample: oos.metrics,
    oosReturns: Array.from(stepReturns(oos.agent.value)),
    oosBenchmarkReturns: Array.from(stepReturns(oos.bench.value)),
    envSteps: r.manifest.training.envSteps,
    trainSeconds: r.seconds,
    engine: r.engine,
    checkpoint: r.dir,
  };
}
