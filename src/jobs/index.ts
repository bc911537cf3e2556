/**
 * Jobs: the runs a command or a notebook starts (train, backtest, main job, article reproduction, multi-seed),
 * composed from the agent, evaluation and report modules. They sit above eval/ and report/ so that those two
 * never import each other's jobs.
 */
export { backtestJson, checkpointDirs, runBacktestJob, type BacktestJobOptions, type BacktestJobResult } from "./backtest-job.js";
export { articleTables, reproduceArticle, type ArticleOptions, type ArticleResult, type ArticleWindow, type PresetWindowResult } from "./reproduce-article.js";
export { runMainJob, type MainJobOptions, type MainJobResult } from "./main-job.js";
export { trainSeeds, type TrainSeedsOptions, type TrainSeedsResult } from "./multi-seed.js";
export { runTrainJob, trainJobJson, type TrainJobOptions, type TrainJobResult } from "./train-job.js";
export { runCoachExperiment, summarisePairs, type CoachExperimentOptions, type CoachExperimentResult, type PairResult } from "./coach-experiment.js";
