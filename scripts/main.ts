/**
 * `npm start`: the main job on a fresh clone. Trains the agent's `default` preset on the embedded market's
 * in-sample window, backtests it in-sample and out-of-sample against the baselines, writes the checkpoint
 * (checkpoints/main) and the report (reports/main/report.html), and prints a summary table.
 *
 * Flags: --seed N, --steps N (training budget in env steps), --budget-seconds S (a wall-clock cap on training),
 *        --no-train (baselines only), --split YYYY-MM-DD (first out-of-sample bar), --run NAME.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { runMainJob } from "../src/jobs/main-job.js";

const flagsSchema = z.object({
  /** Seed of training and of the baselines. */
  seed: z.coerce.number().int().min(0).default(1),
  /** Training budget in env steps: ≈ 70 s on an idle 2-core machine (59k steps/s), ≈ 2 minutes under load. */
  steps: z.coerce.number().int().positive().default(4_000_000),
  /** Training stops after the update during which this many seconds passed (a cap for slow machines). */
  "budget-seconds": z.coerce.number().positive().default(240),
  /** Skip training (baselines and report only). */
  "no-train": z.boolean().default(false),
  /** First out-of-sample bar (in-sample ends just before it). */
  split: z.string().default("2022-07-01"),
  /** Name of the checkpoint and report folders. */
  run: z.string().regex(/^[A-Za-z0-9._-]+$/).default("main"),
});

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    steps: { type: "string" },
    "budget-seconds": { type: "string" },
    "no-train": { type: "boolean" },
    split: { type: "string" },
    run: { type: "string" },
  },
  strict: true,
});
const parsed = flagsSchema.safeParse(values);
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  console.error(`npm start: --${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const flags = parsed.data;
const result = await runMainJob({
  seed: flags.seed,
  steps: flags.steps,
  budgetSeconds: flags["budget-seconds"],
  train: !flags["no-train"],
  split: flags.split,
  runName: flags.run,
  command: `npm start -- ${process.argv.slice(2).join(" ")}`.trim(),
  log: (line) => console.log(line),
});
console.log(`\n${result.summary}\n`);
console.log(`report: ${result.reportPath}`);
if (result.checkpointDir !== null) console.log(`checkpoint: ${result.checkpointDir}`);
console.log(`total: ${result.seconds.toFixed(1)} s`);
