/**
 * `npm run backtest`: a saved policy (or several seeds of it) over a date window of a CSV or the embedded market,
 * against the baselines, with a report and an optional one-line JSON result. The checkpoint format belongs to
 * the agent; this module sees it through a `PolicyLoader` (src/eval/loaded-policy.ts; src/eval/agent-policy.ts adapts the agent's).
 */
import { deflationJson } from "../report/deflation.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { readCandlesCsv, type CsvReport } from "../data/csv.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import type { Candles } from "../data/candles.js";
import { resolveEnvConfig, type EnvConfig } from "../env/index.js";
import { experimentReport, summaryText } from "../report/experiment-report.js";
import { collectVersions } from "../report/provenance.js";
import { writeRunReport } from "../report/run-report.js";
import { readTrainingLog } from "../report/training-log.js";
import { backtestModel, traceCsv } from "../eval/backtest.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { EvalError } from "../eval/errors.js";
import type { AgentRunSpec } from "../eval/evaluate.js";
import type { WindowResult } from "../eval/experiment.js";
import { evaluateWindow } from "../eval/evaluate.js";
import { METRIC_FIELDS } from "../eval/metrics.js";
import type { LoadedPolicy, PolicyLoader } from "../eval/loaded-policy.js";

export type { LoadedPolicy, PolicyLoader };

export interface BacktestJobOptions {
  /** Checkpoint folder, or a folder of checkpoint folders (one per seed); null: baselines only. */
  readonly checkpoint: string | null;
  /** CSV of hourly candles; null: the embedded market. */
  readonly data: string | null;
  readonly start?: string;
  readonly end?: string;
  /** Sampled actions instead of greedy. */
  readonly sample: boolean;
  /** K runs: the first K checkpoints of a multi-seed folder, or K sampled runs of one checkpoint. */
  readonly seeds: number;
  readonly runName: string;
  readonly gridSize: number;
  readonly command: string;
  readonly reportsDir?: string;
  /** Bootstrap resamples. */
  readonly resamples?: number;
  readonly log?: (line: string) => void;
}

export interface BacktestJobResult {
  readonly result: WindowResult;
  readonly summary: string;
  readonly reportPath: string;
  /** The `--json` object (documented in docs/evaluation.md). */
  readonly json: Record<string, unknown>;
}

/** The checkpoint folders under `dir`: itself when it has a manifest.json, else its sub-folders that do, sorted. */
export function checkpointDirs(dir: string): string[] {
  if (!existsSync(dir)) throw new EvalError("checkpoint_unreadable", `no such folder`, dir);
  if (existsSync(join(dir, "manifest.json"))) return [dir];
  const subs = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((p) => statSync(p).isDirectory() && existsSync(join(p, "manifest.json")))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (subs.length === 0) throw new EvalError("checkpoint_unreadable", "neither a manifest.json nor sub-folders with one", dir);
  return subs;
}

function loadCandles(data: string | null): { candles: Candles; report: CsvReport } {
  if (data === null) return readEmbeddedMarket();
  return readCandlesCsv(data, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" });
}

export async function runBacktestJob(opts: BacktestJobOptions, loader: PolicyLoader | null): Promise<BacktestJobResult> {
  const log = opts.log ?? (() => {});
  if (!(Number.isInteger(opts.seeds) && opts.seeds >= 1)) throw new EvalError("invalid_options", `expected a positive integer, got ${opts.seeds}`, "--seeds");
  const { candles, report: csv } = loadCandles(opts.data);
  log(`data: ${csv.file}: ${csv.rows} bars ${csv.firstIso} → ${csv.lastIso}`);

  const policies: LoadedPolicy[] = [];
  if (opts.checkpoint !== null) {
    if (loader === null) throw new EvalError("invalid_options", "this build has no agent to load checkpoints with", "--checkpoint");
    const dirs = checkpointDirs(opts.checkpoint);
    for (const dir of dirs.slice(0, dirs.length > 1 ? opts.seeds : 1)) policies.push(await loader(dir));
  }
  const env: EnvConfig = policies[0]?.env ?? resolveEnvConfig("seed");
  const window = { ...(opts.start === undefined ? {} : { start: opts.start }), ...(opts.end === undefined ? {} : { end: opts.end }) };
  const features = policies[0]?.featuresFor(candles) ?? undefined;
  const model = backtestModel(candles, env, window, features);
  for (const p of policies) p.checkCompatible(model);

  // Several checkpoints: one run each. One checkpoint and --seeds K > 1: K sampled runs (greedy runs would be identical).
  let agents: AgentRunSpec[] = [];
  let mode: "greedy" | "sample" = opts.sample ? "sample" : "greedy";
  if (policies.length > 1) agents = policies.map((p, k) => ({ policy: p.makePolicy(mode), seed: k }));
  else if (policies.length === 1) {
    if (opts.seeds > 1) mode = "sample";
    agents = Array.from({ length: opts.seeds }, (_, k) => ({ policy: policies[0]!.makePolicy(mode), seed: k }));
  }
  const t0 = performance.now();
  const evaluation = evaluateWindow(model, agents, { seed: 0, perfectForesight: { gridSize: opts.gridSize }, ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }) });
  log(`backtests: ${agents.length} agent run(s) + baselines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const market = model.market;
  const result: WindowResult = {
    window: { label: policies.length > 0 ? `backtest (${mode})` : "baselines", ...window },
    model,
    evaluation,
    first: market.timestamp[market.firstRow]!,
    last: market.timestamp[market.lastRow]!,
  };
  const logPath = policies[0]?.trainingLogPath ?? null;
  const report = experimentReport({
    title: `Backtest${opts.checkpoint === null ? " (baselines only)" : `: ${opts.checkpoint}`}`,
    runName: opts.runName,
    results: [result],
    trainingLog: logPath === null ? null : readTrainingLog(logPath),
    provenance: {
      command: opts.command,
      createdAt: new Date().toISOString(),
      seeds: agents.map((a) => a.seed),
      data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
      config: { env: model.config, mode, window, trainedOn: policies.map((p) => ({ dir: p.dir, seed: p.seed, ...p.trainedOn })) },
      versions: collectVersions(),
      checkpoints: policies.map((p) => p.dir),
    },
  });
  const written = writeRunReport(report, opts.reportsDir ?? "reports");
  // Every step of the first agent run, for inspection outside the report.
  const first = evaluation.agentRuns[0];
  if (first !== undefined) writeFileAtomic(join(written.dir, "trace.csv"), traceCsv(first));
  return { result, summary: summaryText([result]), reportPath: written.html, json: backtestJson(result, written.html) };
}

/** The `--json` object of `npm run backtest`. */
export function backtestJson(r: WindowResult, reportPath: string): Record<string, unknown> {
  const ev = r.evaluation;
  const s = ev.agentSummary;
  const summary =
    s === null
      ? null
      : Object.fromEntries(
          METRIC_FIELDS.map((f) => {
            const m = s.metrics[f];
            return [f, { mean: m.mean, std: m.std, lo: m.ci?.lo ?? null, hi: m.ci?.hi ?? null, runs: m.runs }];
          }),
        );
  const b = ev.baselines.bound;
  const t = ev.sharpeTest;
  return {
    window: { start: new Date(r.first).toISOString(), end: new Date(r.last).toISOString(), steps: r.model.market.lastRow - r.model.market.firstRow },
    agent: ev.agentMetrics[0] ?? null,
    agentSummary: summary,
    beatBuyAndHoldShare: s?.beatBuyAndHoldShare ?? (ev.agentMetrics[0] ? (ev.agentMetrics[0].excessReturn > 0 ? 1 : 0) : null),
    baselines: Object.fromEntries(ev.baselineMetrics.map((x) => [x.name, x.metrics])),
    perfectForesight: b ? { method: b.method, totalReturn: b.totalReturn, logGrowth: b.logGrowth, gridSize: b.gridSize } : null,
    sharpeTest: t ? { difference: t.difference, lo: t.ci.lo, hi: t.ci.hi, pValue: t.pValue, sharpeAgent: t.sharpeA, sharpeBuyAndHold: t.sharpeB } : null,
    deflation: ev.deflation ? deflationJson(ev.deflation) : null,
    report: reportPath,
  };
}
