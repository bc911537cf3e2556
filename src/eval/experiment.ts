/**
 * An experiment = the same policies and baselines evaluated on several date windows of one market (e.g. the
 * training window "in-sample" and the following one "out-of-sample"), each in the env's full-series mode
 * under one env config. The report and the console summary are built from its result (src/report/).
 */
import type { Candles } from "../data/candles.js";
import type { EnvConfig, EnvConfigRequest, EnvModel } from "../env/index.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { backtestModel, type BacktestWindow } from "./backtest.js";
import { evaluateWindow, type AgentRunSpec, type EvaluateOptions, type WindowEvaluation } from "./evaluate.js";

export interface ExperimentWindow extends BacktestWindow {
  /** e.g. "in-sample", "out-of-sample". */
  readonly label: string;
}

export interface ExperimentInput {
  readonly candles: Candles;
  /** Env config the policies were trained with; the backtests run it in full-series mode over each window. */
  readonly env: EnvConfig | EnvConfigRequest;
  readonly windows: readonly ExperimentWindow[];
  /** The agent's runs on a window (one per seed or sample); omitted: baselines only. */
  readonly agents?: (model: EnvModel, window: ExperimentWindow) => readonly AgentRunSpec[];
  /** Precomputed (e.g. normalised) features, one row per candle. */
  readonly features?: FeatureMatrix;
  readonly evaluate?: EvaluateOptions;
  /** Called after each window (progress lines). */
  readonly onWindow?: (window: ExperimentWindow, seconds: number) => void;
}

export interface WindowResult {
  readonly window: ExperimentWindow;
  readonly model: EnvModel;
  readonly evaluation: WindowEvaluation;
  /** First and last valuation bar of the window (ms UTC). */
  readonly first: number;
  readonly last: number;
}

export function runExperiment(input: ExperimentInput): WindowResult[] {
  return input.windows.map((window) => {
    const t0 = performance.now();
    const model = backtestModel(input.candles, input.env, window, input.features);
    const agents = input.agents ? input.agents(model, window) : [];
    const evaluation = evaluateWindow(model, agents, input.evaluate);
    input.onWindow?.(window, (performance.now() - t0) / 1000);
    return {
      window,
      model,
      evaluation,
      first: model.market.timestamp[model.market.firstRow]!,
      last: model.market.timestamp[model.market.lastRow]!,
    };
  });
}
