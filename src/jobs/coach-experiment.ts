/**
 * `npm run coach-experiment`: does the coach help a fixed policy? K policies (trained per walk-forward fold, or
 * given as checkpoints) are each backtested twice on the same out-of-sample window with the same seed — coach
 * off, coach on — and the paired differences (on − off) of return, Sharpe, max drawdown and turnover get
 * percentile-bootstrap intervals over the pairs. The MA-crossover baseline is coached the same way on each fold as
 * a second, policy-free subject. The goal is an honest answer: the intervals say when the data cannot tell.
 *
 * Pairing removes the market's and the policy's variance from the comparison (both runs see the same ticks and the
 * same actions until the guidance changes one); it does not make folds independent of each other, and K seeds × F
 * folds is a small sample: read the intervals, not the point estimates.
 */
import type { Candles } from "../data/candles.js";
import { readCandlesCsv, type CsvReport } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { walkForwardSplits, type Fold } from "../data/splits.js";
import { htmlTable, type PageSection } from "../charts/index.js";
import { backtestModel, runBacktest, type BacktestPolicy, type BacktestTrace } from "../eval/backtest.js";
import { maCrossoverPolicy } from "../eval/baselines.js";
import { EvalError } from "../eval/errors.js";
import { evaluateWindow } from "../eval/evaluate.js";
import type { PolicyLoader } from "../eval/loaded-policy.js";
import { computeMetrics, type BacktestMetrics } from "../eval/metrics.js";
import { bootstrapCI, mean, type ConfidenceInterval } from "../eval/stats.js";
import type { Trainer } from "../eval/walk-forward.js";
import { experimentReport } from "../report/experiment-report.js";
import { collectVersions } from "../report/provenance.js";
import { claimReportOutput, writeRunReport } from "../report/run-report.js";
import { InterruptedError, type StopSignal } from "../util/errors.js";
import type { ClaimedOutput } from "../util/safe-output.js";
import { checkWindow } from "../eval/window.js";
import { runCoachedBacktest, type CoachedBacktest } from "../coach/coached-backtest.js";
import { coachReportSections } from "../coach/report.js";
import { loadRules } from "../coach/rules.js";
import { checkpointDirs } from "./backtest-job.js";

export const PAIRED_METRICS = ["totalReturn", "sharpe", "maxDrawdown", "turnover"] as const;
export type PairedMetric = (typeof PAIRED_METRICS)[number];

export interface CoachExperimentOptions {
  /** Candle CSV; null: the embedded market. */
  readonly data: string | null;
  /** Rules file; null: the default rules. */
  readonly rules: string | null;
  /** K: training seeds per fold (or the first K checkpoints). */
  readonly seeds: number;
  /** Walk-forward folds F (training mode): the series is cut into F + 1 blocks; fold i trains on block i, tests on i + 1. */
  readonly folds: number;
  /** With checkpoints: the test window [start, end) (ISO dates); default: the whole series. */
  readonly start?: string;
  readonly end?: string;
  /** A checkpoint folder (or a folder of them): no training. */
  readonly checkpoints: string | null;
  readonly resamples?: number;
  readonly runName: string;
  readonly reportsDir?: string;
  /** Replace the project's own report at reports/<runName> (never anything else). */
  readonly force?: boolean;
  readonly command: string;
  readonly log?: (line: string) => void;
  /** Stops at the next training update or between two pairs: the finished pairs are reported, then InterruptedError. */
  readonly signal?: AbortSignal;
  /** Called on such a stop with the finished pairs' result (report written) before the InterruptedError is thrown. */
  readonly onStopped?: (partial: CoachExperimentResult, signal: StopSignal) => void;
}

export interface PairResult {
  readonly subject: string;
  readonly fold: number;
  readonly seed: number;
  readonly window: { readonly start: string; readonly end: string };
  readonly off: BacktestMetrics;
  readonly on: BacktestMetrics;
  readonly guidance: number;
  readonly impasses: number;
  readonly mix: Readonly<Record<string, number>>;
}

export interface ArmSummary {
  readonly totalReturn: number;
  readonly sharpe: number | null;
  readonly maxDrawdown: number;
  readonly turnover: number;
}

export interface DifferenceSummary {
  /** Mean of the paired differences (on − off) with its bootstrap interval; null when undefined for every pair. */
  readonly mean: number | null;
  readonly lo: number | null;
  readonly hi: number | null;
  /** Pairs where the coach's value was higher / lower / equal. */
  readonly higher: number;
  readonly lower: number;
  readonly equal: number;
  readonly pairs: number;
}

export interface SubjectSummary {
  readonly pairs: number;
  readonly coachOn: ArmSummary;
  readonly coachOff: ArmSummary;
  readonly difference: Readonly<Record<PairedMetric, DifferenceSummary>>;
}

export interface CoachExperimentResult {
  readonly pairs: readonly PairResult[];
  /** The agent's pairs (or the checkpoints'). */
  readonly agent: SubjectSummary;
  /** The MA-crossover baseline's pairs (one per fold). */
  readonly baseline: SubjectSummary;
  readonly guidanceMix: Readonly<Record<string, number>>;
  readonly summary: string;
  readonly reportPath: string;
  /** The `--json` object (its last line): coachOn, coachOff, difference (the agent's), and the rest. */
  readonly json: Record<string, unknown>;
}

const metricOf = (m: BacktestMetrics, k: PairedMetric): number | null => m[k] as number | null;

function meanOrNull(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : mean(v);
}

export function summarisePairs(pairs: readonly PairResult[], resamples = 2000, seed = 0): SubjectSummary {
  const arm = (side: "on" | "off"): ArmSummary => ({
    totalReturn: meanOrNull(pairs.map((p) => p[side].totalReturn)) ?? 0,
    sharpe: meanOrNull(pairs.map((p) => p[side].sharpe)),
    maxDrawdown: meanOrNull(pairs.map((p) => p[side].maxDrawdown)) ?? 0,
    turnover: meanOrNull(pairs.map((p) => p[side].turnover)) ?? 0,
  });
  const difference = Object.fromEntries(
    PAIRED_METRICS.map((k) => {
      const d: number[] = [];
      for (const p of pairs) {
        const a = metricOf(p.off, k);
        const b = metricOf(p.on, k);
        if (a !== null && b !== null && Number.isFinite(a) && Number.isFinite(b)) d.push(b - a);
      }
      let ci: ConfidenceInterval | null = null;
      if (d.length > 0) ci = bootstrapCI(d, mean, { resamples, seed });
      const eps = 1e-12;
      return [
        k,
        {
          mean: ci?.estimate ?? null,
          lo: ci?.lo ?? null,
          hi: ci?.hi ?? null,
          higher: d.filter((x) => x > eps).length,
          lower: d.filter((x) => x < -eps).length,
          equal: d.filter((x) => Math.abs(x) <= eps).length,
          pairs: d.length,
        },
      ];
    }),
  ) as Record<PairedMetric, DifferenceSummary>;
  return { pairs: pairs.length, coachOn: arm("on"), coachOff: arm("off"), difference };
}

function loadCandles(data: string | null): { candles: Candles; report: CsvReport } {
  if (data === null) return readEmbeddedMarket();
  return readCandlesCsv(data, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" });
}

const fmt = (x: number | null, pct: boolean): string => (x === null ? "–" : pct ? `${(x * 100).toFixed(2)}%` : x.toFixed(3));

export function experimentSummaryText(s: SubjectSummary, label: string): string {
  const lines = [`${label}: ${s.pairs} pairs (coach on − off, mean [95% bootstrap CI]; on > off / on < off)`];
  for (const k of PAIRED_METRICS) {
    const d = s.difference[k];
    const pct = k !== "sharpe" && k !== "turnover";
    lines.push(`  ${k.padEnd(12)} off ${fmt(s.coachOff[k], pct).padStart(9)}  on ${fmt(s.coachOn[k], pct).padStart(9)}  diff ${fmt(d.mean, pct)} [${fmt(d.lo, pct)}, ${fmt(d.hi, pct)}]  ${d.higher}/${d.lower}`);
  }
  return lines.join("\n");
}

export async function runCoachExperiment(opts: CoachExperimentOptions, trainer: Trainer | null, loader: PolicyLoader | null): Promise<CoachExperimentResult> {
  if (!(Number.isInteger(opts.seeds) && opts.seeds >= 1)) throw new EvalError("invalid_options", `expected a positive integer, got ${opts.seeds}`, "--seeds");
  if (!(Number.isInteger(opts.folds) && opts.folds >= 1)) throw new EvalError("invalid_options", `expected a positive integer, got ${opts.folds}`, "--folds");
  // The report folder is checked and locked before any training or backtest: a refused folder costs no work.
  const claim = claimReportOutput(opts.reportsDir ?? "reports", opts.runName, opts.force === true);
  try {
    return await experiment(opts, trainer, loader, claim);
  } finally {
    claim.release();
  }
}

async function experiment(opts: CoachExperimentOptions, trainer: Trainer | null, loader: PolicyLoader | null, claim: ClaimedOutput): Promise<CoachExperimentResult> {
  const log = opts.log ?? (() => {});
  const rules = loadRules(opts.rules ?? undefined);
  const { candles, report: csv } = loadCandles(opts.data);
  log(`data: ${csv.file}: ${csv.rows} bars ${csv.firstIso} → ${csv.lastIso}; rules: ${rules.file}`);

  /** One policy to pair: trained (or loaded) only when its turn comes, so a stop keeps every finished pair. */
  interface Task {
    fold: number;
    seed: number;
    window: { start: string; end?: string };
    obtain: () => Promise<{ makePolicy: () => BacktestPolicy; env: Parameters<typeof backtestModel>[1]; label: string }>;
  }
  const tasks: Task[] = [];
  let folds: Fold[] = [];
  if (opts.checkpoints !== null) {
    if (loader === null) throw new EvalError("invalid_options", "this build has no agent to load checkpoints with", "--checkpoints");
    // The window as the flags gave it (bad_range naming --start/--end), before loading any checkpoint.
    checkWindow(candles, { ...(opts.start === undefined ? {} : { start: opts.start }), ...(opts.end === undefined ? {} : { end: opts.end }) });
    const dirs = checkpointDirs(opts.checkpoints).slice(0, opts.seeds);
    const first = candles.timestamp[0]!;
    const window = { start: opts.start ?? new Date(first).toISOString(), ...(opts.end === undefined ? {} : { end: opts.end }) };
    // Loaded up front (loading is quick): a broken checkpoint fails before any backtest, not after some pairs.
    for (const [k, dir] of dirs.entries()) {
      const p = await loader(dir);
      const loaded = { makePolicy: () => p.makePolicy("greedy"), env: p.env, label: dir };
      tasks.push({ fold: 0, seed: k, window, obtain: async () => loaded });
    }
  } else {
    if (trainer === null) throw new EvalError("invalid_options", "this build has no trainer: give --checkpoints", "--steps");
    const block = Math.floor(candles.length / (opts.folds + 1));
    folds = walkForwardSplits(candles, { trainBars: block, testBars: block });
    if (folds.length < opts.folds) throw new EvalError("invalid_options", `the data (${candles.length} bars) gives ${folds.length} folds of ${block} bars, fewer than ${opts.folds}`, "--folds");
    folds = folds.slice(0, opts.folds);
    for (const fold of folds) {
      for (let k = 0; k < opts.seeds; k++) {
        tasks.push({
          fold: fold.index,
          seed: k,
          window: { start: fold.testRange.startIso, end: fold.testRange.endIso },
          obtain: async () => {
            const t0 = performance.now();
            const trained = await trainer({ candles, start: fold.trainRange.start, end: fold.trainRange.end, seed: k, fold: fold.index });
            log(`fold ${fold.index} seed ${k}: trained on ${fold.trainRange.startIso.slice(0, 10)} → ${fold.trainRange.endIso.slice(0, 10)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
            return { makePolicy: () => trained.makePolicy(), env: trained.env, label: trained.checkpointDir ?? `fold-${fold.index}/seed-${k}` };
          },
        });
      }
    }
  }

  const pairs: PairResult[] = [];
  const baselinePairs: PairResult[] = [];
  const mixAll: Record<string, number> = {};
  const labels: string[] = [];
  /** The first pair: its coach sections and its window's evaluation go into the report. */
  let first: { off: BacktestTrace; on: CoachedBacktest; window: Task["window"]; seed: number; env: Parameters<typeof backtestModel>[1]; makePolicy: () => BacktestPolicy } | null = null;
  const baselineDone = new Set<string>();
  const pairTask = async (t: Task): Promise<void> => {
    const p = await t.obtain();
    const model = backtestModel(candles, p.env, t.window);
    const window = { start: new Date(model.market.timestamp[model.market.firstRow]!).toISOString(), end: new Date(model.market.timestamp[model.market.lastRow]!).toISOString() };
    const off = runBacktest(model, p.makePolicy(), { seed: t.seed });
    const on = runCoachedBacktest(model, p.makePolicy(), { rules, seed: t.seed, modelName: p.label });
    for (const [k, v] of Object.entries(on.mix)) mixAll[k] = (mixAll[k] ?? 0) + v;
    pairs.push({ subject: "agent", fold: t.fold, seed: t.seed, window, off: computeMetrics(off), on: computeMetrics(on.trace), guidance: on.guidance.length, impasses: on.impasses, mix: on.mix });
    labels.push(p.label);
    first ??= { off, on, window: t.window, seed: t.seed, env: p.env, makePolicy: p.makePolicy };
    const key = JSON.stringify(t.window);
    if (!baselineDone.has(key)) {
      baselineDone.add(key);
      const offB = runBacktest(model, maCrossoverPolicy(model));
      const onB = runCoachedBacktest(model, maCrossoverPolicy(model), { rules, seed: 0 });
      baselinePairs.push({ subject: offB.name, fold: t.fold, seed: 0, window, off: computeMetrics(offB), on: computeMetrics(onB.trace), guidance: onB.guidance.length, impasses: onB.impasses, mix: onB.mix });
    }
    const last = pairs.at(-1)!;
    log(`fold ${t.fold} seed ${t.seed}: return off ${fmt(last.off.totalReturn, true)} on ${fmt(last.on.totalReturn, true)}, ${last.guidance} guidance`);
  };
  try {
    for (const t of tasks) {
      // A stop between two pairs (the backtests themselves take a second or two) ends the run here.
      if (opts.signal?.aborted === true) throw opts.signal.reason instanceof InterruptedError ? opts.signal.reason : new InterruptedError("SIGINT");
      await pairTask(t);
    }
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    if (pairs.length === 0) throw new InterruptedError(err.signal, `${err.message}; no pair had finished; no report was written`);
    const partial = writeReport(pairs.length);
    log(`\n${partial.summary}\n`);
    opts.onStopped?.(partial, err.signal);
    throw new InterruptedError(err.signal, `${err.message}; ${pairs.length} of ${tasks.length} pairs finished, summarised above and in ${partial.reportPath}`);
  }
  return writeReport(pairs.length);

  function writeReport(finished: number): CoachExperimentResult {
    const resamples = opts.resamples ?? 2000;
    const agent = summarisePairs(pairs, resamples);
    const baseline = summarisePairs(baselinePairs, resamples);
    const summary = [experimentSummaryText(agent, "agent"), experimentSummaryText(baseline, "ma_crossover baseline")].join("\n\n");

    // Only called once a pair has finished, so the first pair exists.
    const firstTask = first!;
    // The report: the summary tables, every pair, and the first pair's coach sections.
    const diffRows = (s: SubjectSummary): string[][] =>
      PAIRED_METRICS.map((k) => {
        const d = s.difference[k];
        const pct = k !== "sharpe" && k !== "turnover";
        return [k, fmt(s.coachOff[k], pct), fmt(s.coachOn[k], pct), `${fmt(d.mean, pct)} [${fmt(d.lo, pct)}, ${fmt(d.hi, pct)}]`, `${d.higher} / ${d.lower} / ${d.equal}`];
      });
    const head = ["metric", "coach off (mean)", "coach on (mean)", "on − off [95% CI]", "on > / < / = off"];
    const sections: PageSection[] = [
      { heading: `Agent: ${agent.pairs} paired runs`, html: htmlTable(head, diffRows(agent)) },
      { heading: `MA-crossover baseline: ${baseline.pairs} paired runs`, html: htmlTable(head, diffRows(baseline)) },
      {
        heading: "Every pair",
        html: htmlTable(
          ["subject", "fold", "seed", "window", "return off", "return on", "Sharpe off", "Sharpe on", "guidance", "impasses"],
          [...pairs, ...baselinePairs].map((p) => [p.subject, p.fold, p.seed, `${p.window.start.slice(0, 10)} → ${p.window.end.slice(0, 10)}`, fmt(p.off.totalReturn, true), fmt(p.on.totalReturn, true), fmt(p.off.sharpe, false), fmt(p.on.sharpe, false), p.guidance, p.impasses]),
        ),
      },
      ...coachReportSections(firstTask.off, firstTask.on).map((s) => ({ ...s, heading: `First pair — ${s.heading ?? ""}` })),
    ];
    const model0 = backtestModel(candles, firstTask.env, firstTask.window);
    const ev0 = evaluateWindow(model0, [{ policy: firstTask.makePolicy(), seed: firstTask.seed }], { seed: 0, skipPerfectForesight: true, resamples: Math.min(resamples, 500) });
    const partial = finished < tasks.length ? ` (stopped: ${finished} of ${tasks.length} pairs finished)` : "";
    const report = experimentReport({
      title: `Coach experiment: ${tasks.length} policies, ${opts.checkpoints === null ? `${opts.folds} walk-forward folds` : "checkpoints"}${partial}`,
      runName: opts.runName,
      introHtml:
        "<p>Each policy is backtested twice on the same window with the same seed, without and with the coach in the loop; " +
        "the intervals are percentile-bootstrap intervals of the mean paired difference over the pairs. The first window below is the first policy's, coach off.</p>",
      results: [{ window: { label: "first pair, coach off", ...firstTask.window }, model: model0, evaluation: ev0, first: model0.market.timestamp[model0.market.firstRow]!, last: model0.market.timestamp[model0.market.lastRow]! }],
      extraSections: sections,
      provenance: {
        command: opts.command,
        createdAt: new Date().toISOString(),
        seeds: pairs.map((p) => p.seed),
        data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
        config: { rules: rules.file, settings: rules.settings, folds: folds.map((f) => ({ train: [f.trainRange.startIso, f.trainRange.endIso], test: [f.testRange.startIso, f.testRange.endIso] })), seeds: opts.seeds },
        versions: collectVersions(),
        checkpoints: labels,
      },
    });
    const written = writeRunReport(report, opts.reportsDir ?? "reports", { claimed: claim });
    const json = {
      pairs: agent.pairs,
      coachOn: agent.coachOn,
      coachOff: agent.coachOff,
      difference: agent.difference,
      baseline: { subject: baselinePairs[0]?.subject ?? null, ...baseline },
      guidanceMix: mixAll,
      guidancePublished: pairs.reduce((s, p) => s + p.guidance, 0),
      impasses: pairs.reduce((s, p) => s + p.impasses, 0),
      rules: rules.file,
      report: written.html,
    };
    return { pairs: [...pairs, ...baselinePairs], agent, baseline, guidanceMix: mixAll, summary, reportPath: written.html, json };
  }
}
