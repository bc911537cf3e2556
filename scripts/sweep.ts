/**
 * `npm run sweep`: expands a sweep file into trials, enqueues one BullMQ job per trial (ids = the trials' content
 * hashes: finished trials are reused), starts N pool workers here, shows the sweep's progress, and writes one
 * ranked table, report.html and summary.json (src/queue/commands.ts over src/jobs/sweep/). docs/sweeps.md.
 */
import { CliError, defineCommand, flag, runCommand } from "../src/cli/index.js";
import { DEFAULT_QUEUE_NAME } from "../src/queue/bullmq-queue.js";
import { runSweepOnQueue } from "../src/queue/commands.js";

export const sweepCommand = defineCommand({
  name: "npm run sweep",
  summary: "Run a sweep (configs × seeds × folds) on a pool of BullMQ workers, then rank its trials.",
  description:
    "Trials already finished (in this queue) are reused, failed and missing ones are queued again. Workers on other machines " +
    "join with `npm run worker -- --redis URL`; every worker needs the data and must see --out. SIGINT/SIGTERM stop waiting: " +
    "the trials stay queued (local workers hand theirs back) and --resume picks the sweep up. With --json the last line has " +
    "`trials` (one entry per trial). See docs/sweeps.md.",
  flags: {
    file: flag.path("the sweep file (JSON or YAML)", { placeholder: "FILE", unset: "required" }),
    redis: flag.string("the Redis URL of the queue", { placeholder: "URL", unset: "required (e.g. redis://127.0.0.1:6379)" }),
    workers: flag.int("pool workers to start in this process (0: only machines running npm run worker work)", { min: 0, max: 256, default: 1 }),
    out: flag.path("output folder (trials' results and checkpoints, table, report); a path every worker can write", { placeholder: "DIR", unset: "checkpoints/sweeps/<name>" }),
    resume: flag.switch("continue a sweep whose submitting process died (its folder's record must be there)"),
    queue: flag.string("the BullMQ queue", { placeholder: "NAME", default: DEFAULT_QUEUE_NAME }),
    lockMs: flag.int("how long a silent local worker keeps its trial before another may take it (ms)", { min: 500, default: 30_000 }),
  },
  json: true,
  interruptible: true,
  examples: [
    "npm run sweep -- --file sweeps/example.json --redis redis://127.0.0.1:6379 --workers 2",
    "npm run sweep -- --file sweeps/example.json --redis redis://10.0.0.5:6379 --workers 0 --json",
    "npm run sweep -- --file sweeps/example.json --redis redis://10.0.0.5:6379 --resume",
  ],
  check: (f) => {
    if (f.file === undefined) throw new CliError("missing_value", "the sweep file is required", "--file");
    if (f.redis === undefined) throw new CliError("missing_value", "the Redis URL is required, e.g. redis://127.0.0.1:6379", "--redis");
    if (!/^rediss?:\/\/./.test(f.redis)) throw new CliError("invalid_flag", `expected a redis:// URL, got ${JSON.stringify(f.redis)}`, "--redis");
  },
  async run(f, ctx) {
    const r = await runSweepOnQueue({
      file: f.file!,
      redis: f.redis!,
      workers: f.workers,
      resume: f.resume,
      queueName: f.queue,
      lockMs: f.lockMs,
      log: ctx.log,
      progressEveryMs: ctx.isTTY ? 2_000 : 10_000,
      signal: ctx.signal,
      command: ctx.commandLine,
      ...(f.out === undefined ? {} : { out: f.out }),
    });
    ctx.log(`\n${r.table}\n\ntable: ${r.tablePath}\nreport: ${r.reportPath}`);
    ctx.out(r.json);
  },
});

await runCommand(sweepCommand);
