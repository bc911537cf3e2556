/**
 * Reproducing the article's experiment: the agent trained on hourly BTC/USD from 2018-05-06 to 2019-06-27,
 * tested out of sample from 2019-06-27 onwards, K seeds, next to buy-and-hold; the same for the project's
 * `default` preset. Every preset trains on the article's env (`seed` env preset: hold / buy 50% of cash /
 * sell 50% of coins, 0.075% commission, 10,000 USD + 1 BTC). Results: one table per window, one report per
 * preset, and per out-of-sample window the deflated information ratio of the best trial against buy-and-hold
 * (does any trial beat holding?) next to the deflated Sharpe ratio of the best trial's own returns.
 */
import { join } from "node:path";
import { train, type AgentPresetName, type Policy } from "../agent/index.js";
import { readCandlesCsv } from "../data/csv.js";
import type { EnvConfig } from "../env/index.js";
import { experimentReport } from "../report/experiment-report.js";
import { formatMetric, formatWithCi, textTable } from "../report/format.js";
import { collectVersions } from "../report/provenance.js";
import { writeRunReport } from "../report/run-report.js";
import { readTrainingLog } from "../report/training-log.js";
import { htmlTable } from "../charts/index.js";
import { agentBacktestPolicy } from "../eval/agent-policy.js";
import { backtestModel } from "../eval/backtest.js";
import { runBaselines } from "../eval/baselines.js";
import { evaluateWindow, type WindowEvaluation } from "../eval/evaluate.js";
import type { ExperimentWindow, WindowResult } from "../eval/experiment.js";
import { stepReturns, type BacktestMetrics } from "../eval/metrics.js";
import { deflatedAgainstBenchmark } from "../eval/stats.js";
import { deflationTableHtml, deflationText, type DeflationPair } from "../report/deflation.js";

export interface ArticleOptions {
  /** Hourly BTC/USD CSV. */
  readonly data: string;
  readonly trainStart: string;
  readonly trainEnd: string;
  /** Ends (exclusive) of the out-of-sample windows; each starts at trainEnd. */
  readonly testEnds: readonly string[];
  readonly seeds: readonly number[];
  readonly presets: readonly AgentPresetName[];
  /** Training budget per run, env steps (the article: 10,000 episodes × 500 = 5,000,000). */
  readonly steps: number;
  /** Wall-clock cap per training run (null: none). */
  readonly maxSeconds: number | null;
  readonly checkpointsDir: string;
  readonly reportsDir: string;
  readonly runName: string;
  readonly gridSize: number;
  readonly command: string;
  readonly log?: (line: string) => void;
}

export interface PresetWindowResult {
  readonly preset: AgentPresetName;
  readonly evaluation: WindowEvaluation;
}

export interface ArticleWindow {
  readonly window: ExperimentWindow;
  readonly first: number;
  readonly last: number;
  readonly steps: number;
  readonly firstClose: number;
  readonly lastClose: number;
  readonly perPreset: readonly PresetWindowResult[];
  /**
   * Over all presets × seeds as trials (null for the in-sample window): `informationRatio`, the deflated
   * Sharpe ratio of the best trial's hourly returns minus buy-and-hold's (the headline: does it beat holding?),
   * and `sharpe`, that of the best trial's own returns (does it beat cash?).
   */
  readonly deflation: DeflationPair | null;
}

export interface ArticleResult {
  readonly windows: readonly ArticleWindow[];
  readonly tables: string;
  readonly reports: readonly string[];
  readonly trainSeconds: Readonly<Record<string, readonly number[]>>;
  readonly checkpoints: Readonly<Record<string, readonly string[]>>;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

export async function reproduceArticle(opts: ArticleOptions): Promise<ArticleResult> {
  const log = opts.log ?? (() => {});
  const { candles, report: csv } = readCandlesCsv(opts.data, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" });
  log(`data: ${csv.file}: ${csv.rows} bars ${csv.firstIso} → ${csv.lastIso}`);

  // ---- Training: every preset × seed on [trainStart, trainEnd).
  const policies = new Map<AgentPresetName, Policy<unknown>[]>();
  const trainSeconds: Record<string, number[]> = {};
  const checkpoints: Record<string, string[]> = {};
  const envs = new Map<AgentPresetName, EnvConfig>();
  for (const preset of opts.presets) {
    policies.set(preset, []);
    trainSeconds[preset] = [];
    checkpoints[preset] = [];
    for (const seed of opts.seeds) {
      const out = join(opts.checkpointsDir, preset, `seed-${seed}`);
      const r = await train(
        { preset, envPreset: "seed", data: opts.data, trainStart: opts.trainStart, trainEnd: opts.trainEnd, steps: opts.steps, seed, out, maxSeconds: opts.maxSeconds, progress: "none" },
        { write: () => {} },
      );
      if (!envs.has(preset)) envs.set(preset, r.env);
      policies.get(preset)!.push(r.policy);
      trainSeconds[preset]!.push(r.seconds);
      checkpoints[preset]!.push(out);
      log(`trained the ${preset} preset, seed ${seed}: ${r.manifest.training.envSteps} steps in ${r.seconds.toFixed(0)} s (${Math.round(r.stepsPerSecond)} steps/s) → ${out}`);
    }
  }
  if (envs.size === 0) throw new RangeError("reproduceArticle needs at least one preset and one seed");

  // ---- Backtests: in-sample, then each out-of-sample window; baselines once per window.
  const windows: ExperimentWindow[] = [
    { label: "in-sample", start: opts.trainStart, end: opts.trainEnd },
    ...opts.testEnds.map((end) => ({ label: `out-of-sample to ${end}`, start: opts.trainEnd, end })),
  ];
  const out: ArticleWindow[] = [];
  for (const [w, window] of windows.entries()) {
    const t0 = performance.now();
    // Each preset runs on its own env (its observation); every model starts on the same bar (the latest feature
    // warm-up among them), so that all presets and the baselines are scored over the same bars.
    let models = opts.presets.map((p) => backtestModel(candles, envs.get(p)!, window));
    const firstRow = Math.max(...models.map((m) => m.market.firstRow));
    if (models.some((m) => m.market.firstRow !== firstRow)) {
      models = opts.presets.map((p) => backtestModel(candles, envs.get(p)!, { ...window, start: candles.timestamp[firstRow]! }));
    }
    const model = models[0]!;
    const baselines = runBaselines(model, { seed: 0, perfectForesight: { gridSize: opts.gridSize } });
    const perPreset = opts.presets.map((preset, pi) => ({
      preset,
      evaluation: evaluateWindow(
        models[pi]!,
        policies.get(preset)!.map((p, k) => ({ policy: agentBacktestPolicy(p, "greedy", `${preset} preset`), seed: opts.seeds[k]! })),
        { baselines },
      ),
    }));
    const hold = stepReturns(baselines.buyAndHold.value);
    const trials = perPreset.flatMap((p) =>
      p.evaluation.agentRuns.map((t, k) => ({ name: `${p.preset}/seed-${opts.seeds[k]}`, returns: stepReturns(t.value), benchmark: hold.subarray(0, t.steps) })),
    );
    const m = model.market;
    out.push({
      window,
      first: m.timestamp[m.firstRow]!,
      last: m.timestamp[m.lastRow]!,
      steps: m.lastRow - m.firstRow,
      firstClose: m.close[m.firstRow]!,
      lastClose: m.close[m.lastRow]!,
      perPreset,
      deflation: w === 0 || trials.length === 0 ? null : deflatedAgainstBenchmark(trials),
    });
    log(`${window.label}: backtests in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  // ---- Reports: one per preset, every window in it.
  const reports: string[] = [];
  for (const preset of opts.presets) {
    const results: WindowResult[] = out.map((a) => {
      const ev = a.perPreset.find((p) => p.preset === preset)!.evaluation;
      return { window: a.window, model: backtestModel(candles, envs.get(preset)!, { ...a.window, start: a.first }), evaluation: ev, first: a.first, last: a.last };
    });
    const report = experimentReport({
      title: `The article's experiment, ${preset} preset: ${opts.seeds.length} seeds`,
      runName: `${opts.runName}-${preset}`,
      introHtml:
        `<p>The agent's <code>${preset}</code> preset trained on the article's env over hourly BTC/USD from ${opts.trainStart} to ${opts.trainEnd} ` +
        `(${opts.steps.toLocaleString("en-US")} env steps per seed; the article trained 5,000,000), seeds ${opts.seeds.join(", ")}, then backtested greedily ` +
        `in-sample and out of sample from ${opts.trainEnd}. The first seed is drawn bold; the others thin. Tables give the mean over seeds with a bootstrap 95% CI.</p>`,
      results,
      trainingLog: readTrainingLog(join(checkpoints[preset]![0]!, "metrics.jsonl")),
      extraSections: deflatedSections(out),
      provenance: {
        command: opts.command,
        createdAt: new Date().toISOString(),
        seeds: [...opts.seeds],
        data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
        config: { env: envs.get(preset)!, preset, steps: opts.steps, maxSeconds: opts.maxSeconds, trainStart: opts.trainStart, trainEnd: opts.trainEnd, testEnds: opts.testEnds },
        versions: collectVersions(),
        checkpoints: checkpoints[preset]!,
      },
    });
    reports.push(writeRunReport(report, opts.reportsDir).html);
  }
  return { windows: out, tables: articleTables(out, opts.seeds.length), reports, trainSeconds, checkpoints };
}

function deflatedSections(windows: readonly ArticleWindow[]): { heading: string; html: string }[] {
  const rows = windows.flatMap((w) => (w.deflation === null ? [] : [{ label: w.window.label, d: w.deflation }]));
  if (rows.length === 0) return [];
  return [
    {
      heading: "Does any trial beat buy-and-hold? Deflated information ratio of the best trial",
      html:
        "<p>Every preset × seed is a trial, and the best one is inflated by the selection. The headline is the <b>deflated information ratio</b>: the deflated Sharpe ratio (Bailey &amp; López de Prado 2014) of the best trial's hourly returns minus buy-and-hold's, i.e. the probability that its true edge over holding beats the expected best of that many unskilled trials (SR₀). " +
        "Next to it, the deflated Sharpe ratio of the best trial's own returns answers a different question (does it beat cash?) and credits the market's own rise to whoever held coins. Ratios annualised here for reading; the tests use per-hour values; 0.95 is needed to call an edge real.</p>" +
        deflationTableHtml(rows),
    },
  ];
}

/** The console tables: one per window, each preset (mean [95% CI] over seeds) next to every baseline. */
export function articleTables(windows: readonly ArticleWindow[], seedCount: number): string {
  const cols: ReadonlyArray<{ readonly key: keyof BacktestMetrics; readonly label: string; readonly unit: "pct" | "ratio" | "count" }> = [
    { key: "totalReturn", label: "return", unit: "pct" },
    { key: "excessReturn", label: "vs B&H", unit: "pct" },
    { key: "sharpe", label: "Sharpe", unit: "ratio" },
    { key: "maxDrawdown", label: "max DD", unit: "pct" },
    { key: "trades", label: "trades", unit: "count" },
  ];
  return windows
    .map((w) => {
      const rows: string[][] = [];
      for (const p of w.perPreset) {
        const ev = p.evaluation;
        const s = ev.agentSummary;
        rows.push([
          `${p.preset} preset (${seedCount} seed${seedCount > 1 ? "s" : ""})`,
          ...cols.map((c) => {
            if (s === null) return formatMetric(c.unit, ev.agentMetrics[0]?.[c.key] as number | null);
            const m = s.metrics[c.key as keyof typeof s.metrics];
            return formatWithCi(c.unit, m.mean, m.ci?.lo ?? null, m.ci?.hi ?? null);
          }),
          s === null ? (ev.agentMetrics[0] && ev.agentMetrics[0].excessReturn > 0 ? "1/1" : "0/1") : `${Math.round(s.beatBuyAndHoldShare * s.runs)}/${s.runs}`,
        ]);
      }
      const base = w.perPreset[0]?.evaluation.baselineMetrics ?? [];
      for (const b of base) rows.push([b.name, ...cols.map((c) => formatMetric(c.unit, b.metrics[c.key] as number | null)), "–"]);
      const head =
        `${w.window.label}: ${iso(w.first)} → ${iso(w.last)} UTC, ${w.steps.toLocaleString("en-US")} hourly steps; ` +
        `BTC ${w.firstClose.toFixed(0)} → ${w.lastClose.toFixed(0)} (${formatMetric("pct", w.lastClose / w.firstClose - 1)})`;
      const dsr = w.deflation ? `\n${deflationText(w.deflation, `the best of ${w.deflation.informationRatio.trials} trials`)}` : "";
      return `${head}\n${textTable(["strategy", ...cols.map((c) => c.label), "beat B&H"], rows)}${dsr}`;
    })
    .join("\n\n");
}
