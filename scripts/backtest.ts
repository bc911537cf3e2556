/**
 * `npm run backtest`: a saved policy (or the seeds of one run) over a date window, against buy-and-hold, a
 * random policy, an MA crossover and the perfect-foresight bound (optionally again with the coach in the loop); a report and an optional JSON line
 * (src/jobs/backtest-job.ts, fields in docs/evaluation.md). `--help` lists every flag.
 */
import { CliError, defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { loadAgentPolicy } from "../src/eval/agent-policy.js";
import { MIN_BACKTEST_BARS } from "../src/eval/window.js";
import { runBacktestJob } from "../src/jobs/backtest-job.js";

export const backtestCommand = defineCommand({
  name: "npm run backtest",
  summary: "Backtest a checkpoint (or the seeds of one run) against the baselines, with a report.",
  description:
    `The window is [--start, --end), at least ${MIN_BACKTEST_BARS} bars. A folder of seed-<s> checkpoints is evaluated as seeds only when they ` +
    "share agent, env, data and budget. The output says when the window is in-sample, when the data is not the checkpoint's " +
    "training data, and when a checkpoint is interrupted or partial. Without --checkpoint: baselines only. See docs/evaluation.md.",
  flags: {
    checkpoint: flag.path("checkpoint folder, or a folder of per-seed checkpoint folders", { placeholder: "DIR", unset: "baselines only" }),
    data: flag.path("candle CSV (timestamp,open,high,low,close,volume)", { placeholder: "FILE", unset: "the embedded synthetic market" }),
    start: flag.date("first bar of the window (inclusive, UTC)", { unset: "the data's first bar" }),
    end: flag.date("end of the window (exclusive, UTC)", { unset: "the data's end" }),
    sample: flag.switch("sample actions instead of taking the most likely one"),
    seeds: flag.int("runs: the first K checkpoints of a multi-seed folder, or K sampled runs of one checkpoint", { min: 1, max: 1000, default: 1 }),
    run: flag.string("report folder name under reports/", { pattern: /^[A-Za-z0-9._-]+$/, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", default: "backtest" }),
    force: forceFlag(),
    grid: flag.int("grid points of the perfect-foresight DP", { min: 11, max: 100_001, default: 501 }),
    coach: flag.switch("run the first agent run (the MA-crossover baseline without --checkpoint) again with the coach in the loop"),
    rules: flag.path("the coach's rules file; needs --coach", { placeholder: "FILE", unset: "src/coach/default-rules.json" }),
  },
  json: true,
  check(f) {
    if (f.rules !== undefined && !f.coach) throw new CliError("conflicting_flags", "needs --coach", "--rules");
  },
  examples: [
    "npm run backtest -- --checkpoint checkpoints/main --start 2022-07-01",
    "npm run backtest -- --checkpoint checkpoints/seed3 --seeds 3 --data data/btc.csv --start 2019-06-27 --end 2019-12-31 --json",
    "npm run backtest -- --run baselines --force",
    "npm run backtest -- --checkpoint checkpoints/main --coach --run coached",
  ],
  async run(f, ctx) {
    const out = await runBacktestJob(
      {
        checkpoint: f.checkpoint ?? null,
        data: f.data ?? null,
        ...(f.start === undefined ? {} : { start: f.start }),
        ...(f.end === undefined ? {} : { end: f.end }),
        sample: f.sample,
        seeds: f.seeds,
        runName: f.run,
        force: f.force,
        gridSize: f.grid,
        ...(f.coach ? { coach: { rules: f.rules ?? null } } : {}),
        command: ctx.commandLine,
        log: ctx.log,
      },
      loadAgentPolicy,
    );
    ctx.log(`\n${out.summary}\n\nreport: ${out.reportPath}`);
    ctx.out(out.json);
  },
});

await runCommand(backtestCommand);
