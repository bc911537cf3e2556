/**
 * `npm run walk-forward`: train on a window, test on the next, roll forward; one table over all folds and
 * reports/<run>/report.html (src/jobs/walk-forward-job.ts). `--help` lists every flag.
 */
import { AGENT_PRESET_NAMES } from "../src/agent/index.js";
import { defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { runWalkForwardJob } from "../src/jobs/walk-forward-job.js";

export const walkForwardCommand = defineCommand({
  name: "npm run walk-forward",
  summary: "Walk-forward evaluation: K seeds trained on each fold's window, backtested on the next, one table over all folds.",
  description:
    "Folds whose windows hold too few bars (an outage, the feature warm-up, a test window under MIN_BACKTEST_BARS) are skipped " +
    "and listed before any training. The report is rewritten after each fold: a stop (SIGINT/SIGTERM, exit 130/143) or a failure " +
    "keeps the finished folds. Checkpoints: checkpoints/<run>/fold-<i>/seed-<k>. See docs/evaluation.md.",
  flags: {
    data: flag.path("candle CSV", { placeholder: "FILE", unset: "the embedded synthetic market" }),
    trainDays: flag.number("training window, days", { gt: 0, placeholder: "D", default: 180 }),
    testDays: flag.number("test window (and step), days", { gt: 0, placeholder: "D", default: 30 }),
    anchored: flag.switch("every training window starts at the series' start (expanding) instead of sliding"),
    preset: flag.choice(AGENT_PRESET_NAMES, "agent preset", { default: "default" }),
    seeds: flag.int("seeds per fold: 0 … K − 1", { min: 1, max: 50, default: 2 }),
    steps: flag.int("env steps per training run", { min: 1, default: 200_000 }),
    run: flag.string("report and checkpoint folder name", { pattern: /^[A-Za-z0-9._-]+$/, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", default: "walk-forward" }),
    force: forceFlag(),
  },
  interruptible: true,
  examples: ["npm run walk-forward", "npm run walk-forward -- --data data/btc.csv --train-days 365 --test-days 60 --seeds 3 --steps 500000"],
  async run(f, ctx) {
    const t0 = performance.now();
    const r = await runWalkForwardJob({
      data: f.data ?? null,
      trainDays: f.trainDays,
      testDays: f.testDays,
      anchored: f.anchored,
      preset: f.preset,
      seeds: Array.from({ length: f.seeds }, (_, k) => k),
      steps: f.steps,
      runName: f.run,
      force: f.force,
      command: ctx.commandLine,
      signal: ctx.signal,
      log: ctx.log,
      write: ctx.write,
      isTTY: ctx.isTTY,
    });
    ctx.log(`\n${r.table}\n\nreport: ${r.reportPath}\ntotal: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  },
});

await runCommand(walkForwardCommand);
