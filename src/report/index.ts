/** Run reports: one self-contained offline HTML page (plotly inlined) plus a JSON summary per run. See docs/evaluation.md. */
export {
  metricsTableHtml,
  reportWindowFrom,
  runReportPage,
  runReportSummary,
  writeRunReport,
  type ReportWindow,
  type RunReport,
  type StrategyResult,
  type WrittenReport,
} from "./run-report.js";
export { clearTitle, drawdownsFigure, equityFigure, holdingsFigure, strategyColor, tradesFigure, type EquityFigureInput } from "./backtest-figures.js";
export { formatMetric, formatWithCi, METRIC_LABELS, METRIC_UNITS, textTable, type MetricUnit } from "./format.js";
export { collectVersions, gitCommit, type DataProvenance, type Provenance } from "./provenance.js";
export { readTrainingLog, trainingFigures, type TrainingLog } from "./training-log.js";
export { experimentReport, summaryText, type ExperimentReportInput } from "./experiment-report.js";
export { walkForwardSections, walkForwardText } from "./walk-forward-report.js";
export { DEFLATED_THRESHOLD, deflationHtml, deflationJson, deflationTableHtml, deflationText, verdict, type DeflationPair } from "./deflation.js";
export { marketDocBlocks, ruleCheck, type RuleCheck } from "./market-doc.js";
export { nullExperimentMarkdown, type LabelledNullResult } from "./null-experiment-report.js";
