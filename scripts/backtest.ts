/**
 * `npm run backtest -- --checkpoint DIR [--data CSV] [--start DATE] [--end DATE] [--sample] [--seeds K] [--coach [--rules FILE]] [--json]`
 * Runs a saved policy over a whole window (the env's full-series mode), against buy-and-hold, a random policy,
 * an MA crossover and the perfect-foresight bound; writes reports/<run>/report.html; prints a table, or with
 * --json one JSON object on the last line (fields: docs/evaluation.md). Without --checkpoint: baselines only.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { runBacktestJob } from "../src/jobs/backtest-job.js";
import { loadAgentPolicy } from "../src/eval/agent-policy.js";

const flagsSchema = z.object({
  /** Checkpoint folder (or a folder of per-seed checkpoint folders). */
  checkpoint: z.string().optional(),
  /** Candle CSV (timestamp,open,high,low,close,volume); default: the embedded market. */
  data: z.string().optional(),
  /** First bar of the window (inclusive), ISO date. */
  start: z.string().optional(),
  /** End of the window (exclusive), ISO date. */
  end: z.string().optional(),
  /** Sample actions instead of taking the most likely one. */
  sample: z.boolean().default(false),
  /** Number of runs (checkpoints of a multi-seed folder, or sampled runs of one). */
  seeds: z.coerce.number().int().min(1).max(1000).default(1),
  /** Print one JSON object on the last line. */
  json: z.boolean().default(false),
  /** Report folder name under reports/. */
  run: z.string().regex(/^[A-Za-z0-9._-]+$/).default("backtest"),
  /** Grid points of the perfect-foresight DP. */
  grid: z.coerce.number().int().min(11).max(100_001).default(501),
  /** Run the first agent run (the MA-crossover baseline without --checkpoint) again with the coach in the loop. */
  coach: z.boolean().default(false),
  /** The coach's rules file (default: src/coach/default-rules.json); needs --coach. */
  rules: z.string().optional(),
});

const { values } = parseArgs({
  options: {
    checkpoint: { type: "string" },
    data: { type: "string" },
    start: { type: "string" },
    end: { type: "string" },
    sample: { type: "boolean" },
    seeds: { type: "string" },
    json: { type: "boolean" },
    run: { type: "string" },
    grid: { type: "string" },
    coach: { type: "boolean" },
    rules: { type: "string" },
  },
  strict: true,
});
const parsed = flagsSchema.safeParse(values);
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  console.error(`npm run backtest: --${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const f = parsed.data;
if (f.rules !== undefined && !f.coach) {
  console.error("npm run backtest: --rules: needs --coach");
  process.exit(2);
}
try {
  const out = await runBacktestJob(
    {
      checkpoint: f.checkpoint ?? null,
      data: f.data ?? null,
      ...(f.start === undefined ? {} : { start: f.start }),
      ...(f.end === undefined ? {} : { end: f.end }),
      sample: f.sample,
      seeds: f.seeds,
      runName: f.run,
      gridSize: f.grid,
      ...(f.coach ? { coach: { rules: f.rules ?? null } } : {}),
      command: `npm run backtest -- ${process.argv.slice(2).join(" ")}`,
      log: (line) => (f.json ? console.error(line) : console.log(line)),
    },
    loadAgentPolicy,
  );
  if (f.json) {
    console.error(out.summary);
    console.log(JSON.stringify(out.json));
  } else {
    console.log(`\n${out.summary}\n\nreport: ${out.reportPath}`);
  }
} catch (err) {
  // Errors are data: print the code and the place, not a stack.
  if (err instanceof Error && "code" in err) {
    console.error(`npm run backtest: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
