/**
 * Walk-forward evaluation: train on a window, test on the window right after it, move on, repeat
 * (folds from src/data/splits.ts). Each fold's policies are trained by the `trainer` given (the agent's
 * train() in scripts, a cheap stand-in in tests) and backtested on the fold's test window against the
 * baselines; one table covers all folds.
 *
 * Test windows are cut by date from the full series, so that the first test bar's features see the bars
 * before it (as live trading would), never the bars after it. The step from a test window's last bar to the
 * next window's first bar belongs to neither.
 */
import type { Candles } from "../data/candles.js";
import { walkForwardSplits, type Fold, type WalkForwardOptions } from "../data/splits.js";
import type { EnvConfig, EnvConfigRequest } from "../env/index.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { backtestModel, type BacktestPolicy } from "./backtest.js";
import { evaluateWindow, type EvaluateOptions, type WindowEvaluation } from "./evaluate.js";

/** What a trainer hands back for one fold and seed. */
export interface TrainedPolicy {
  /** A fresh policy for one backtest run. */
  makePolicy(): BacktestPolicy;
  /** The env config the policy was trained with (the backtest uses it in full-series mode). */
  readonly env: EnvConfig | EnvConfigRequest;
  /** Features the policy expects, one row per candle of the full series (omitted: from the env config). */
  readonly features?: FeatureMatrix;
  /** Where the checkpoint went, for the report. */
  readonly checkpointDir?: string;
}

export interface TrainRequest {
  /** The full series; train on rows with start ≤ timestamp < end only. */
  readonly candles: Candles;
  readonly start: number;
  readonly end: number;
  readonly seed: number;
  readonly fold: number;
}

export type Trainer = (req: TrainRequest) => Promise<TrainedPolicy>;

export interface WalkForwardInput {
  readonly candles: Candles;
  /** How to cut the folds, or the folds themselves (already checked by the caller). */
  readonly folds: WalkForwardOptions | readonly Fold[];
  readonly trainer: Trainer;
  /** Training seeds per fold (K runs each). */
  readonly seeds: readonly number[];
  /** Sample actions instead of taking the most likely one. */
  readonly sample?: boolean;
  readonly evaluate?: EvaluateOptions;
  /** After each fold, with every result so far (a job saves them: a later stop or failure keeps them). */
  readonly onFold?: (fold: Fold, seconds: number, done: readonly FoldResult[]) => void;
}

export interface FoldResult {
  readonly fold: Fold;
  readonly evaluation: WindowEvaluation;
  readonly checkpoints: readonly string[];
}

export async function walkForward(input: WalkForwardInput): Promise<FoldResult[]> {
  const folds = Array.isArray(input.folds) ? (input.folds as readonly Fold[]) : walkForwardSplits(input.candles, input.folds as WalkForwardOptions);
  const out: FoldResult[] = [];
  for (const fold of folds) {
    const t0 = performance.now();
    const trained: TrainedPolicy[] = [];
    for (const seed of input.seeds) {
      trained.push(await input.trainer({ candles: input.candles, start: fold.trainRange.start, end: fold.trainRange.end, seed, fold: fold.index }));
    }
    const first = trained[0];
    if (first === undefined) throw new RangeError("walkForward needs at least one seed");
    const model = backtestModel(input.candles, first.env, { start: fold.testRange.start, end: fold.testRange.end }, first.features);
    const evaluation = evaluateWindow(
      model,
      trained.map((t, k) => ({ policy: t.makePolicy(), seed: input.seeds[k]! })),
      { skipPerfectForesight: true, ...input.evaluate },
    );
    out.push({ fold, evaluation, checkpoints: trained.flatMap((t) => (t.checkpointDir === undefined ? [] : [t.checkpointDir])) });
    input.onFold?.(fold, (performance.now() - t0) / 1000, out);
  }
  return out;
}

/** One row per fold: dates, the agent's mean return and Sharpe, buy-and-hold's, and the share of seeds that beat it. */
export interface WalkForwardRow {
  readonly fold: number;
  readonly trainStart: string;
  readonly testStart: string;
  readonly testEnd: string;
  readonly agentReturn: number;
  readonly agentSharpe: number | null;
  readonly buyAndHoldReturn: number;
  readonly buyAndHoldSharpe: number | null;
  readonly maCrossoverReturn: number;
  readonly beatBuyAndHoldShare: number;
  readonly runs: number;
}

export function walkForwardRows(results: readonly FoldResult[]): WalkForwardRow[] {
  return results.map(({ fold, evaluation: ev }) => {
    const ms = ev.agentMetrics;
    const meanOf = (xs: readonly (number | null)[]): number | null => {
      const v = xs.filter((x): x is number => x !== null);
      return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
    };
    const bh = ev.baselineMetrics.find((b) => b.name === "buy_and_hold")!.metrics;
    const ma = ev.baselineMetrics.find((b) => b.name.startsWith("ma_crossover"))!.metrics;
    return {
      fold: fold.index,
      trainStart: fold.trainRange.startIso,
      testStart: fold.testRange.startIso,
      testEnd: fold.testRange.endIso,
      agentReturn: meanOf(ms.map((m) => m.totalReturn)) ?? Number.NaN,
      agentSharpe: meanOf(ms.map((m) => m.sharpe)),
      buyAndHoldReturn: bh.totalReturn,
      buyAndHoldSharpe: bh.sharpe,
      maCrossoverReturn: ma.totalReturn,
      beatBuyAndHoldShare: ms.length === 0 ? 0 : ms.filter((m) => m.excessReturn > 0).length / ms.length,
      runs: ms.length,
    };
  });
}
