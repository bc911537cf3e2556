/**
 * The sweep's TrialQueue on BullMQ (an adapter: the sweep core knows only the TrialQueue interface). One job
 * per trial, its id the trial's content hash, so that adding a trial that is already queued, running or
 * finished does nothing: a resubmitted sweep reuses what is done. Jobs are kept when they complete or fail (the
 * result lives in the job's return value, and in the trial's files). docs/sweeps.md.
 */
import { Queue, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { TrialOutcome, TrialQueue, TrialState, TrialStatus } from "../jobs/sweep/queue.js";
import type { TrialSpec } from "../jobs/sweep/spec.js";
import type { TrialProgress, TrialResult } from "../jobs/sweep/trial.js";

/** The queue every sweep submitter and worker meets on, unless told another. */
export const DEFAULT_QUEUE_NAME = "drl-sweep-trials";

/** What a job carries: the trial and where its files go (a path every worker can write). */
export interface TrialJobData {
  readonly trial: TrialSpec;
  readonly resultsDir: string;
}

/** The job's progress: the trial's progress plus the worker that reports it. */
export interface TrialJobProgress extends TrialProgress {
  readonly worker: string;
}

/** BullMQ connection options for a redis:// URL (workers need maxRetriesPerRequest: null). */
export function connectionFor(url: string): { url: string; maxRetriesPerRequest: null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`--redis: expected a URL such as redis://127.0.0.1:6379, got "${url}"`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new RangeError(`--redis: expected a redis:// or rediss:// URL, got "${url}"`);
  return { url, maxRetriesPerRequest: null };
}

/** The queue adapter's errors: a Redis that cannot be reached, named by the flag that gave it. */
export class QueueError extends Error {
  override readonly name = "QueueError";
  constructor(
    readonly code: "redis_unreachable",
    message: string,
    readonly field = "--redis",
  ) {
    super(`${code} at ${field}: ${message}`);
  }
}

/**
 * Checks that Redis answers (one PING within `timeoutMs`), so that a wrong URL fails at once with one line
 * instead of BullMQ retrying forever; throws QueueError("redis_unreachable").
 */
export async function probeRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let first: Error | null = null;
  client.on("error", (err: Error) => (first ??= err)); // the first one says why (ECONNREFUSED, ENOTFOUND, auth)
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    const why = (first as Error | null)?.message ?? (err instanceof Error ? err.message : String(err));
    throw new QueueError("redis_unreachable", `cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, "//…@")}: ${why}`);
  } finally {
    client.disconnect();
  }
}

/**
 * Runs `close`; when it has not finished within `ms` (BullMQ waits on a Redis that does not answer, for ever),
 * runs `disconnect` (ends the connections without a word to Redis) and returns false. A stop must never hang on
 * a lost Redis.
 */
export async function closeOrDisconnect(close: () => Promise<void>, disconnect: () => Promise<void>, ms: number): Promise<boolean> {
  const closing = close().then(
    () => true,
    () => true,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const closed = await Promise.race([closing, late]);
  clearTimeout(timer);
  if (!closed) {
    // disconnect() itself may wait on a connection that never ends: at most a second more.
    await Promise.race([disconnect().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }
  return closed;
}

/** How long a close waits for Redis before it disconnects (ms). */
export const CLOSE_TIMEOUT_MS = 5_000;

function stateOf(s: string): TrialState {
  if (s === "completed" || s === "failed" || s === "active") return s;
  if (s === "unknown") return "missing";
  return "waiting"; // waiting, delayed, prioritized, waiting-children
}

export class BullmqTrialQueue implements TrialQueue {
  private constructor(readonly queue: Queue<TrialJobData, TrialResult>) {}

  static async connect(redisUrl: string, opts: { readonly queueName?: string; readonly onError?: (err: Error) => void } = {}): Promise<BullmqTrialQueue> {
    const connection = connectionFor(redisUrl);
    await probeRedis(redisUrl);
    const queue = new Queue<TrialJobData, TrialResult>(opts.queueName ?? DEFAULT_QUEUE_NAME, { connection });
    // Connection errors after the probe (Redis restarting) are retried by BullMQ; they are reported, not thrown.
    queue.on("error", opts.onError ?? (() => {}));
    await queue.waitUntilReady();
    return new BullmqTrialQueue(queue);
  }

  private async job(id: string): Promise<Job<TrialJobData, TrialResult> | undefined> {
    return (await this.queue.getJob(id)) as Job<TrialJobData, TrialResult> | undefined;
  }

  async submit(trials: readonly TrialSpec[], resultsDir: string): Promise<ReadonlyMap<string, TrialState>> {
    const before = new Map<string, TrialState>();
    for (const trial of trials) {
      const job = await this.job(trial.id);
      const state = job === undefined ? "missing" : stateOf(await job.getState());
      before.set(trial.id, state);
      if (job === undefined || state === "missing") {
        await this.queue.add("trial", { trial, resultsDir }, { jobId: trial.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
      } else if (state === "failed") {
        await job.retry("failed");
      }
    }
    return before;
  }

  async status(ids: readonly string[]): Promise<readonly TrialStatus[]> {
    return Promise.all(
      ids.map(async (id): Promise<TrialStatus> => {
        const job = await this.job(id);
        if (job === undefined) return { id, state: "missing", progress: null, worker: null };
        const state = stateOf(await job.getState());
        const p = job.progress;
        const progress = typeof p === "object" && p !== null && "runs" in p ? (p as unknown as TrialJobProgress) : null;
        return { id, state, progress, worker: progress?.worker ?? job.processedBy ?? null };
      }),
    );
  }

  async outcome(id: string): Promise<TrialOutcome | null> {
    const job = await this.job(id);
    if (job === undefined) return null;
    const state = await job.getState();
    if (state === "completed") return { result: job.returnvalue };
    if (state === "failed") return { reason: job.failedReason || "failed" };
    return null;
  }

  /** Closes the queue's connections; false when Redis did not answer within `timeoutMs` (disconnected instead). */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<boolean> {
    return closeOrDisconnect(
      () => this.queue.close(),
      () => this.queue.disconnect(),
      timeoutMs,
    );
  }
}
