/**
 * Sweeps: a sweep file expanded into content-addressed trials, run by any TrialQueue (the BullMQ adapter in
 * src/queue/, or in-process), summarised with seed intervals and the deflated Sharpe ratio. docs/sweeps.md.
 */
export { canonicalJson, expandSweep, formatPath, parseSweepFile, readSweepFile, RANK_METRICS, setPath, sweepFileSchema, sweepFolds, SweepSpecError, trialDataSha256, TRIAL_FORMAT, variedPoints, type Distribution, type ExpandedSweep, type FoldSpec, type SweepFile, type SweepFileInput, type TrialKind, type TrialSpec } from "./spec.js";
export { runTrial, trialDir, TrialStopped, type RunResult, type RunTrialOptions, type TrialProgress, type TrialResult, type WindowMetrics } from "./trial.js";
export { InProcessTrialQueue, type TrialOutcome, type TrialQueue, type TrialState, type TrialStatus } from "./queue.js";
export { summariseSweep, trialBenchmarkReturns, trialReturns, type RankMetric, type SummariseOptions, type SweepSummary, type TrialSummary } from "./summary.js";
export { deflationLines, sweepReportSections, sweepTable, sweepText } from "./report.js";
export { describeSweepFolder, runSweep, sweepJson, sweepProgressFile, writeSweepProgress, SWEEP_OUTPUT, SWEEP_PROGRESS_FORMAT, SWEEP_PROGRESS_HEARTBEAT_MS, SWEEP_RECORD_FORMAT, type RunSweepOptions, type RunSweepResult, type SweepProgress, type SweepProgressFile, type SweepProgressTrial } from "./run-sweep.js";
