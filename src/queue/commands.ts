/**
 * What `npm run sweep` and `npm run worker` do, composed from the sweep core and this adapter (the scripts only
 * parse flags): a sweep submitted to BullMQ with N local pool workers, and a pool of workers that serves the
 * queue until it is stopped.
 */
import { resolve } from "node:path";
import { expandSweep, readSweepFile, runSweep, type RunSweepResult, type SweepProgress } from "../jobs/sweep/index.js";
import { BullmqTrialQueue } from "./bullmq-queue.js";
import { startPoolWorker, type PoolWorker } from "./pool-worker.js";

export interface SweepOnQueueOptions {
  /** The sweep file (JSON or YAML). */
  readonly file: string;
  readonly redis: string;
  /** Pool workers started in this process (0: only submit and wait; workers elsewhere run the trials). */
  readonly workers: number;
  /** Output folder (default checkpoints/sweeps/<name>); must be a path every worker can write. */
  readonly out?: string;
  readonly resume?: boolean;
  readonly queueName?: string;
  readonly lockMs?: number;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: SweepProgress) => void;
  readonly progressEveryMs?: number;
  /** How often the queue is polled (default 250 ms). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly command?: string;
}

export async function runSweepOnQueue(opts: SweepOnQueueOptions): Promise<RunSweepResult> {
  const log = opts.log ?? (() => {});
  const file = readSweepFile(opts.file);
  const sweep = expandSweep(file, { where: opts.file });
  const root = resolve(opts.out ?? `checkpoints/sweeps/${file.name}`);
  // Redis lost while waiting: one line per new error (BullMQ reconnects; progress resumes when it is back).
  let lastError = "";
  const onError = (err: Error): void => {
    if (err.message !== lastError) log(`sweep ${file.name}: queue: ${err.message} (retrying)`);
    lastError = err.message;
  };
  const queue = await BullmqTrialQueue.connect(opts.redis, { onError, ...(opts.queueName === undefined ? {} : { queueName: opts.queueName }) });
  const workers: PoolWorker[] = [];
  try {
    for (let k = 0; k < opts.workers; k++) {
      workers.push(
        await startPoolWorker({
          redis: opts.redis,
          log,
          ...(opts.queueName === undefined ? {} : { queueName: opts.queueName }),
          ...(opts.lockMs === undefined ? {} : { lockMs: opts.lockMs }),
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
    }
    return await runSweep({
      sweep,
      file: opts.file,
      root,
      queue,
      resume: opts.resume ?? false,
      log,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.progressEveryMs === undefined ? {} : { progressEveryMs: opts.progressEveryMs }),
      ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.command === undefined ? {} : { command: opts.command }),
    });
  } finally {
    // Local workers hand a running trial back to the queue (after an abort the sweep can be resumed).
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
  }
}

export interface WorkerPoolOptions {
  readonly redis: string;
  /** Pool workers in this process, each running one trial at a time. */
  readonly workers: number;
  readonly queueName?: string;
  readonly lockMs?: number;
  /** Names the workers `<name>`, `<name>-1`, … (default host:pid:k). */
  readonly name?: string;
  readonly log?: (line: string) => void;
  /** Serve until aborted. */
  readonly signal: AbortSignal;
}

/** Joins the pool and serves trials until `signal` aborts; returns the number of trials finished. */
export async function runWorkerPool(opts: WorkerPoolOptions): Promise<number> {
  const log = opts.log ?? (() => {});
  const workers: PoolWorker[] = [];
  try {
    for (let k = 0; k < opts.workers; k++) {
      const name = opts.name === undefined ? undefined : k === 0 ? opts.name : `${opts.name}-${k}`;
      workers.push(
        await startPoolWorker({
          redis: opts.redis,
          log,
          signal: opts.signal,
          ...(name === undefined ? {} : { name }),
          ...(opts.queueName === undefined ? {} : { queueName: opts.queueName }),
          ...(opts.lockMs === undefined ? {} : { lockMs: opts.lockMs }),
        }),
      );
    }
  } catch (err) {
    // A stop (or a failure) while starting: the workers already serving stop too.
    await Promise.all(workers.map((w) => w.close()));
    throw err;
  }
  log(`worker pool: ${workers.map((w) => w.name).join(", ")} serving ${opts.redis.replace(/\/\/[^@/]*@/, "//…@")}`);
  if (!opts.signal.aborted) await new Promise<void>((r) => opts.signal.addEventListener("abort", () => r(), { once: true }));
  await Promise.all(workers.map((w) => w.close()));
  const done = workers.reduce((s, w) => s + w.completed, 0);
  log(`worker pool: stopped after ${done} trial(s)`);
  return done;
}
