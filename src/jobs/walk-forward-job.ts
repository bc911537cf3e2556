/**
 * `npm run walk-forward`: K seeds trained on each fold's training window, backtested on the next window against
 * the baselines, one table over all folds and a report. Everything is checked before the first training run:
 * folds whose windows hold too few bars (a data outage, the feature warm-up, a window shorter than
 * MIN_BACKTEST_BARS) are skipped and listed; every fold checkpoint and the report must be writable. The report
 * is rewritten after each fold, so a stop or a failure in a later fold keeps the finished ones.
 */
import { join } from "node:path";
import { AGENT_PRESET_NAMES, CHECKPOINT_OUTPUT, type AgentPresetName } from "../agent/index.js";
import { readCandlesCsv, type CsvReport } from "../data/csv.js";
import type { Candles } from "../data/candles.js";
import { readEmbeddedMarket } from "../data/embedded.js";
import { walkForwardPlan, type Fold } from "../data/splits.js";
import { resolveEnvConfig, type EnvPresetName } from "../env/index.js";
import { agentTrainer } from "../eval/agent-policy.js";
import { backtestModel } from "../eval/backtest.js";
import { EvalError } from "../eval/errors.js";
import { walkForward, walkForwardRows, type FoldResult, type Trainer, type WalkForwardRow } from "../eval/walk-forward.js";
import { checkWindow, MIN_BACKTEST_BARS } from "../eval/window.js";
import { collectVersions } from "../report/provenance.js";
import { claimReportOutput, writeRunReport } from "../report/run-report.js";
import { walkForwardSections, walkForwardText } from "../report/walk-forward-report.js";
import { InterruptedError } from "../util/errors.js";
import { checkOutput } from "../util/safe-output.js";

export interface WalkForwardJobOptions {
  /** Candle CSV; null: the embedded market. */
  readonly data: string | null;
  readonly trainDays: number;
  readonly testDays: number;
  readonly anchored: boolean;
  readonly preset: AgentPresetName;
  readonly envPreset?: EnvPresetName;
  /** Training seeds per fold. */
  readonly seeds: readonly number[];
  readonly steps: number;
  /** Report and checkpoint folder name: reports/<run>, checkpoints/<run>/fold-<i>/seed-<k>. */
  readonly runName: string;
  readonly reportsDir?: string;
  readonly checkpointsDir?: string;
  readonly force?: boolean;
  readonly command: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Training progress of each run (default: none). */
  readonly write?: (text: string) => void;
  readonly isTTY?: boolean;
  /** The trainer (default: the agent's train() through agentTrainer); tests pass a cheap one. */
  readonly trainer?: Trainer;
}

/** A fold left out before training, and why. */
export interface SkippedFoldNote {
  readonly train: string;
  readonly test: string;
  readonly reason: string;
}

export interface WalkForwardJobResult {
  readonly results: readonly FoldResult[];
  readonly rows: readonly WalkForwardRow[];
  readonly skipped: readonly SkippedFoldNote[];
  readonly table: string;
  readonly reportPath: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The folds that can be trained and tested, and the ones that cannot (with the reason), before any training. */
export function plannedFolds(candles: Candles, opts: Pick<WalkForwardJobOptions, "trainDays" | "testDays" | "anchored" | "envPreset">): { folds: Fold[]; skipped: SkippedFoldNote[] } {
  const plan = walkForwardPlan(candles, { trainDays: opts.trainDays, testDays: opts.testDays, anchored: opts.anchored });
  const skipped: SkippedFoldNote[] = plan.skipped.map((s) => ({
    train: `${day(s.trainRange.start)} → ${day(s.trainRange.end)}`,
    test: `${day(s.testRange.start)} → ${day(s.testRange.end)}`,
    reason: s.testBars === 0 ? "its test window holds no bars (a data outage)" : "its training window holds no bars (a data outage)",
  }));
  const env = resolveEnvConfig(opts.envPreset ?? "seed");
  const folds: Fold[] = [];
  for (const fold of plan.folds) {
    const note = { train: `${day(fold.trainRange.start)} → ${day(fold.trainRange.end)}`, test: `${day(fold.testRange.start)} → ${day(fold.testRange.end)}` };
    try {
      // The training window must host an episode (the env says how many bars that takes, warm-up included)…
      backtestModel(fold.train, env);
      // …and the test window must hold enough bars for its statistics, past the feature warm-up.
      checkWindow(candles, { start: fold.testRange.start, end: fold.testRange.end }, { start: "--test-days", end: "--test-days" }, MIN_BACKTEST_BARS, "the test window");
      backtestModel(candles, env, { start: fold.testRange.start, end: fold.testRange.end });
    } catch (err) {
      if (!(err instanceof EvalError || (err instanceof Error && "code" in err))) throw err;
      const what = err.message.replace(/^[a-z_]+ at [^:]+: /, "");
      skipped.push({ ...note, reason: what });
      continue;
    }
    folds.push(fold);
  }
  return { folds, skipped };
}

export async function runWalkForwardJob(opts: WalkForwardJobOptions): Promise<WalkForwardJobResult> {
  const log = opts.log ?? (() => {});
  if (!(AGENT_PRESET_NAMES as readonly string[]).includes(opts.preset)) throw new EvalError("invalid_options", `unknown preset ${opts.preset}`, "--preset");
  const { candles, report: csv } = opts.data === null ? readEmbeddedMarket() : readCandlesCsv(opts.data, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" });
  const { folds, skipped } = plannedFolds(candles, opts);
  for (const s of skipped) log(`fold skipped (train ${s.train}, test ${s.test}): ${s.reason}`);
  if (folds.length === 0) {
    throw new EvalError("invalid_window", `no fold of ${opts.trainDays} training days and ${opts.testDays} test days has enough bars in ${csv.file} (${skipped.length} skipped)`, "--train-days");
  }
  log(`${folds.length} folds to run${skipped.length > 0 ? `, ${skipped.length} skipped` : ""}, ${opts.seeds.length} seed(s) each`);
  const checkpointsDir = join(opts.checkpointsDir ?? "checkpoints", opts.runName);
  // Renumbered folds: fold-<i> is the i-th fold that runs.
  const numbered = folds.map((f, i) => ({ ...f, index: i }));
  for (const f of numbered) for (const seed of opts.seeds) checkOutput(join(checkpointsDir, `fold-${f.index}`, `seed-${seed}`), { kind: CHECKPOINT_OUTPUT, force: opts.force === true, field: "run" });
  const claim = claimReportOutput(opts.reportsDir ?? "reports", opts.runName, opts.force === true);
  if (claim.replacing !== null) log(`replacing ${claim.path}: ${claim.replacing}`);
  const trainer =
    opts.trainer ??
    agentTrainer({
      data: opts.data,
      preset: opts.preset,
      ...(opts.envPreset === undefined ? {} : { envPreset: opts.envPreset }),
      steps: opts.steps,
      checkpointsDir,
      log,
      force: opts.force === true,
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.write === undefined ? {} : { write: opts.write }),
      ...(opts.isTTY === undefined ? {} : { isTTY: opts.isTTY }),
    });
  let reportPath = "";
  const writeReport = (done: readonly FoldResult[]): void => {
    const rows = walkForwardRows(done);
    const partial = done.length < numbered.length ? ` (${done.length} of ${numbered.length} folds so far)` : "";
    const skippedHtml =
      skipped.length === 0
        ? ""
        : `<p>Folds skipped before training: ${skipped.map((s) => `train ${s.train}, test ${s.test}: ${s.reason}`).join("; ").replace(/&/g, "&amp;").replace(/</g, "&lt;")}.</p>`;
    reportPath = writeRunReport(
      {
        title: `Walk-forward: ${opts.preset} preset, ${opts.trainDays}-day training, ${opts.testDays}-day tests${partial}`,
        runName: opts.runName,
        windows: [],
        extraSections: [...(skippedHtml === "" ? [] : [{ heading: "Skipped folds", html: skippedHtml }]), ...walkForwardSections(rows)],
        provenance: {
          command: opts.command,
          createdAt: new Date().toISOString(),
          seeds: [...opts.seeds],
          data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
          config: { folds: { trainDays: opts.trainDays, testDays: opts.testDays, anchored: opts.anchored }, preset: opts.preset, steps: opts.steps, skipped },
          versions: collectVersions(),
          checkpoints: done.flatMap((r) => r.checkpoints),
        },
      },
      opts.reportsDir ?? "reports",
      { claimed: claim },
    ).html;
  };
  let done: readonly FoldResult[] = [];
  try {
    const results = await walkForward({
      candles,
      folds: numbered,
      trainer,
      seeds: opts.seeds,
      onFold: (fold, s, soFar) => {
        done = soFar;
        writeReport(soFar);
        log(`fold ${fold.index}: test ${day(fold.testRange.start)} → ${day(fold.testRange.end)} done in ${s.toFixed(0)} s (report updated: ${reportPath})`);
      },
    });
    const rows = walkForwardRows(results);
    return { results, rows, skipped, table: walkForwardText(rows), reportPath };
  } catch (err) {
    if (done.length > 0) writeReport(done);
    if (err instanceof InterruptedError) {
      const kept = done.length === 0 ? "no fold had finished" : `${done.length} of ${numbered.length} folds finished, in ${reportPath}`;
      throw new InterruptedError(err.signal, `${err.message}; ${kept}`);
    }
    throw err;
  } finally {
    claim.release();
  }
}
