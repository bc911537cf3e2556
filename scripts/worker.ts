/**
 * `npm run worker`: joins the sweep pool. Takes trials from the BullMQ queue, runs each in a process of its own,
 * writes its results where the sweep said (a path this machine must see), until SIGINT/SIGTERM (a running trial
 * is handed back to the queue at once). Any machine that has the data can run one (src/queue/). docs/sweeps.md.
 */
import { CliError, defineCommand, flag, runCommand } from "../src/cli/index.js";
import { DEFAULT_QUEUE_NAME } from "../src/queue/bullmq-queue.js";
import { runWorkerPool } from "../src/queue/commands.js";

export const workerCommand = defineCommand({
  name: "npm run worker",
  summary: "Serve sweep trials from a BullMQ queue until stopped.",
  description:
    "Each worker runs one trial at a time in a trial process of its own. A worker killed mid-trial loses its trial to another " +
    "worker after --lock-ms (BullMQ's stalled-job check); stopped with SIGINT/SIGTERM it hands the trial back at once (exit 130/143).",
  flags: {
    redis: flag.string("the Redis URL of the queue", { placeholder: "URL", unset: "required (e.g. redis://127.0.0.1:6379)" }),
    workers: flag.int("workers in this process (one trial each at a time)", { min: 1, max: 256, default: 1 }),
    queue: flag.string("the BullMQ queue", { placeholder: "NAME", default: DEFAULT_QUEUE_NAME }),
    lockMs: flag.int("how long a silent worker keeps its trial before another may take it (ms)", { min: 500, default: 30_000 }),
    name: flag.string("worker name shown in progress and stored on the jobs", { placeholder: "NAME", unset: "host:pid:k" }),
  },
  interruptible: true,
  examples: ["npm run worker -- --redis redis://10.0.0.5:6379", "npm run worker -- --redis redis://127.0.0.1:6379 --workers 2 --name lab-1"],
  check: (f) => {
    if (f.redis === undefined) throw new CliError("missing_value", "the Redis URL is required, e.g. redis://127.0.0.1:6379", "--redis");
    if (!/^rediss?:\/\/./.test(f.redis)) throw new CliError("invalid_flag", `expected a redis:// URL, got ${JSON.stringify(f.redis)}`, "--redis");
  },
  async run(f, ctx) {
    await runWorkerPool({ redis: f.redis!, workers: f.workers, queueName: f.queue, lockMs: f.lockMs, log: ctx.log, signal: ctx.signal, ...(f.name === undefined ? {} : { name: f.name }) });
  },
});

await runCommand(workerCommand);
