/**
 * `npm start`: the main job on a fresh clone (src/jobs/main-job.ts). Trains the agent's `default` preset on the
 * embedded market's in-sample window, backtests it in- and out-of-sample against the baselines, writes
 * checkpoints/<run> and reports/<run>/report.html, prints a summary. `npm start -- --help` lists every flag.
 */
import { defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { runMainJob } from "../src/jobs/main-job.js";

export const mainCommand = defineCommand({
  name: "npm start",
  summary: "The main job: train on the embedded market, backtest in- and out-of-sample against the baselines, write a checkpoint and a report.",
  description:
    "Both windows of --split are checked before training. Running it again needs --force (it replaces checkpoints/<run> and " +
    "reports/<run>, and says so) or another --run. SIGINT/SIGTERM stop training at the next update (checkpoint saved marked " +
    "interrupted, exit 130/143). See docs/evaluation.md.",
  flags: {
    seed: flag.int("seed of training and of the baselines", { min: 0, max: 0xffffffff, default: 1 }),
    steps: flag.int("training budget in env steps (≈ 175 s on an idle 2-core machine)", { min: 1, default: 2_500_000 }),
    budgetSeconds: flag.number("training stops after the update during which this many seconds passed (a cap for slow machines)", { gt: 0, placeholder: "S", default: 240 }),
    train: flag.offSwitch("train the agent (--no-train: baselines and report only)"),
    split: flag.date("first out-of-sample bar (in-sample ends just before it)", { default: "2022-07-01" }),
    run: flag.string("name of the checkpoint and report folders", { pattern: /^[A-Za-z0-9._-]+$/, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", default: "main" }),
    force: forceFlag(),
  },
  interruptible: true,
  examples: ["npm start", "npm start -- --force", "npm start -- --steps 400000 --run quick", "npm start -- --no-train --run baselines"],
  async run(f, ctx) {
    const result = await runMainJob({
      seed: f.seed,
      steps: f.steps,
      budgetSeconds: f.budgetSeconds,
      train: f.train,
      split: f.split,
      runName: f.run,
      force: f.force,
      command: ctx.commandLine,
      log: ctx.log,
      write: ctx.write,
      isTTY: ctx.isTTY,
      signal: ctx.signal,
    });
    ctx.log(`\n${result.summary}\n`);
    ctx.log(`report: ${result.reportPath}`);
    if (result.checkpointDir !== null) ctx.log(`checkpoint: ${result.checkpointDir}`);
    ctx.log(`total: ${result.seconds.toFixed(1)} s`);
  },
});

await runCommand(mainCommand);
