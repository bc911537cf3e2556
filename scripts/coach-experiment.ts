/**
 * `npm run coach-experiment -- [--data CSV] [--rules FILE] --seeds K --steps N [--folds F] [--json]`: does the coach
 * help a fixed policy? Paired coach-on vs coach-off backtests with bootstrap intervals (src/jobs/coach-experiment.ts).
 * `npm run coach-experiment -- --help` lists every flag; docs/coach.md.
 */
import { AGENT_PRESET_NAMES } from "../src/agent/index.js";
import { CliError, defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { agentTrainer, loadAgentPolicy } from "../src/eval/agent-policy.js";
import { runCoachExperiment } from "../src/jobs/coach-experiment.js";

export const coachExperimentCommand = defineCommand({
  name: "npm run coach-experiment",
  summary: "Backtest K policies with and without the coach on the same windows; paired differences with bootstrap intervals.",
  description:
    "Training mode (--steps): the series is cut into F + 1 blocks; on each walk-forward fold K seeds are trained on one block and " +
    "tested on the next, each test run twice with the same seed (coach off, coach on). Checkpoint mode (--checkpoints): the first K " +
    "checkpoints are tested on --start … --end. The MA-crossover baseline is coached the same way as a second subject. The last line " +
    "with --json: {coachOn, coachOff, difference, baseline, guidanceMix, …} (on a stop, the finished pairs' with stoppedBy). Writes reports/<run>/report.html.",
  flags: {
    data: flag.path("candle CSV", { placeholder: "FILE", unset: "the embedded synthetic market" }),
    rules: flag.path("the coach's rules file", { placeholder: "FILE", unset: "src/coach/default-rules.json" }),
    seeds: flag.int("policies per fold K (or checkpoints)", { min: 1, max: 100, default: 3 }),
    steps: flag.int("env steps per training run", { min: 1, unset: "required unless --checkpoints" }),
    folds: flag.int("walk-forward folds F (training mode)", { min: 1, max: 20, default: 2 }),
    preset: flag.choice(AGENT_PRESET_NAMES, "agent preset", { default: "default" }),
    checkpoints: flag.path("a checkpoint folder, or a folder of them: no training", { placeholder: "DIR", unset: "train" }),
    start: flag.date("checkpoint mode: first test bar", { unset: "the data's first bar" }),
    end: flag.date("checkpoint mode: end of the test window (exclusive)", { unset: "the data's end" }),
    resamples: flag.int("bootstrap resamples", { min: 100, max: 100_000, default: 2000 }),
    run: flag.string("report folder name under reports/", { pattern: /^[A-Za-z0-9._-]+$/, patternText: "a folder name of letters, digits, . _ -", default: "coach-experiment" }),
    force: forceFlag(),
  },
  json: true,
  interruptible: true,
  examples: [
    "npm run coach-experiment -- --seeds 3 --steps 20000 --json",
    "npm run coach-experiment -- --data data/btc_usd_1h.csv --rules my-rules.json --seeds 5 --steps 50000 --folds 3",
    "npm run coach-experiment -- --checkpoints checkpoints/seed3 --start 2021-01-01",
  ],
  check(f) {
    if (f.checkpoints === undefined && f.steps === undefined) throw new CliError("missing_value", "give --steps N (train per fold) or --checkpoints DIR", "--steps");
    if (f.checkpoints !== undefined && f.steps !== undefined) throw new CliError("conflicting_flags", "--steps trains new policies; --checkpoints uses saved ones: give one", "--steps");
  },
  async run(f, ctx) {
    const trainer =
      f.steps === undefined ? null : agentTrainer({ data: f.data ?? null, preset: f.preset, steps: f.steps, checkpointsDir: null, log: ctx.log, signal: ctx.signal });
    const out = await runCoachExperiment(
      {
        data: f.data ?? null,
        rules: f.rules ?? null,
        seeds: f.seeds,
        folds: f.folds,
        checkpoints: f.checkpoints ?? null,
        ...(f.start === undefined ? {} : { start: f.start }),
        ...(f.end === undefined ? {} : { end: f.end }),
        resamples: f.resamples,
        runName: f.run,
        force: f.force,
        command: ctx.commandLine,
        log: ctx.log,
        signal: ctx.signal,
        // With --json a stop still leaves the finished pairs' object on stdout, marked with the signal (as learnability does).
        onStopped: (partial, signal) => ctx.out({ ...partial.json, stoppedBy: signal }),
      },
      trainer,
      loadAgentPolicy,
    );
    ctx.log(`\n${out.summary}\n\nreport: ${out.reportPath}`);
    ctx.out(out.json);
  },
});

await runCommand(coachExperimentCommand);
