/**
 * A worker of the sweep pool: takes one trial at a time from the BullMQ queue and runs it in its trial
 * process (trial-child.ts), forwarding progress to the job. Any number of them, on any machine that has the
 * data and sees the results folder, join the same queue (`npm run worker -- --redis URL`); `npm run sweep`
 * starts N of them in its own process.
 *
 * Faults: a worker killed mid-trial stops renewing its lock; after `lockMs` BullMQ's stalled-job check (run by
 * every live worker every `lockMs`) moves the job back to waiting and another worker runs it, from the runs the
 * first one finished (their files are written atomically), each reproducible from its seed. Its trial process
 * exits as soon as its worker is gone. A worker that is alive but cannot renew its lock (frozen, cut off from
 * Redis) is fenced: its trial process holds a lease that every successful lock renewal extends and that ends
 * before the lock can expire (LEASE_FRACTION of lockMs), so it has stopped before another worker can take the
 * trial; if the worker still holds the lock when it notices (it was only slow), it runs the trial again in a
 * fresh trial process, from the finished runs. Closing a worker (SIGINT/SIGTERM) kills its trial process and
 * hands the job back to the queue at once.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { WaitingError, Worker, type Job } from "bullmq";
import type { TrialProgress, TrialResult } from "../jobs/sweep/trial.js";
import { stopSignalOf } from "../util/abort.js";
import { InterruptedError, type StopSignal } from "../util/errors.js";
import { EXIT_LEASE_LOST } from "./child-exit.js";
import { CLOSE_TIMEOUT_MS, closeOrDisconnect, connectionFor, DEFAULT_QUEUE_NAME, probeRedis, type TrialJobData, type TrialJobProgress } from "./bullmq-queue.js";

export interface PoolWorkerOptions {
  readonly redis: string;
  readonly queueName?: string;
  /** Shown in progress and stored on the job (default host:pid:k). */
  readonly name?: string;
  /** How long a silent worker keeps its trial before another may take it (BullMQ lockDuration; default 30 s). */
  readonly lockMs?: number;
  /** Trial lines (started, finished, failed). */
  readonly log?: (line: string) => void;
  /** How long close() waits for Redis before it disconnects without handing the trial back (default 5 s). */
  readonly closeTimeoutMs?: number;
  /** Aborting it while the worker starts (its trial process warms up for seconds) ends the start at once. */
  readonly signal?: AbortSignal;
}

export interface PoolWorker {
  readonly name: string;
  /** Trials this worker finished. */
  readonly completed: number;
  /** Stops taking trials, hands a running one back to the queue, ends the trial process. */
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./trial-child.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

type ChildMessage = { type: "ready" } | { type: "progress"; progress: TrialProgress } | { type: "result"; result: TrialResult } | { type: "error"; message: string };

let counter = 0;

/**
 * A trial process's lease, as a fraction of lockMs after the worker last renewed (or took) the lock: the lock
 * itself lasts lockMs from that renewal, so the trial process stops with 0.2 × lockMs to spare (renewals come
 * every lockMs / 2, so one late renewal does not end the lease).
 */
export const LEASE_FRACTION = 0.8;

export async function startPoolWorker(opts: PoolWorkerOptions): Promise<PoolWorker> {
  await probeRedis(opts.redis);
  const name = opts.name ?? `${hostname()}:${process.pid}:${counter++}`;
  const log = opts.log ?? (() => {});
  const lockMs = opts.lockMs ?? 30_000;
  let child: ChildProcess | null = null;
  let closing = false;
  let completed = 0;

  let ready: Promise<ChildProcess> | null = null;
  /** The trial process, started and warmed up (it says "ready") whenever none is alive: messages sent before it listens would be lost. */
  const ensureChild = (): Promise<ChildProcess> => {
    const alive = child !== null && child.exitCode === null && child.signalCode === null && child.connected;
    if (alive && ready !== null) return ready;
    // The child runs the project's TypeScript through tsx, as the scripts do.
    const c = fork(CHILD, [], { execArgv: ["--import", TSX], stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    child = c;
    ready = new Promise<ChildProcess>((resolve, reject) => {
      const onMessage = (m: ChildMessage): void => {
        if (m.type === "ready") (c.off("message", onMessage), c.off("exit", onExit), resolve(c));
      };
      const onExit = (code: number | null, signal: string | null): void => reject(new ChildGone(`${name}: the trial process exited (${signal ?? code}) while starting`, false, signal));
      c.on("message", onMessage);
      c.once("exit", onExit);
    });
    return ready;
  };
  // The trial process first, warm: the worker takes no trial it cannot start at once. A stop while it warms up
  // (seconds on a loaded machine) ends the start now; so does the trial process dying of SIGINT/SIGTERM (a signal
  // to the whole process group reaches it too, possibly before this process sees its own).
  const stopStart = (): void => {
    const c = child as ChildProcess | null;
    if (c !== null && c.exitCode === null) c.kill("SIGKILL");
  };
  const stoppedWhileStarting = (sig: StopSignal): InterruptedError => new InterruptedError(sig, `stopped by ${sig} while worker ${name} was starting; no trial was taken`);
  const early = stopSignalOf(opts.signal);
  if (early !== null) throw stoppedWhileStarting(early);
  opts.signal?.addEventListener("abort", stopStart, { once: true });
  try {
    await ensureChild();
  } catch (err) {
    const sig = stopSignalOf(opts.signal) ?? (err instanceof ChildGone ? err.stopSignal : null);
    if (sig !== null) throw stoppedWhileStarting(sig);
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", stopStart);
  }

  const leaseMs = Math.floor(LEASE_FRACTION * lockMs);
  /** The job whose lock this worker renews for its trial process (one at a time: concurrency 1). */
  let leased: string | null = null;
  /** The trial process's lease as this worker gave it (Date.now() time): past it, the job may be another's. */
  let leaseUntil = 0;
  const runInChild = async (data: TrialJobData, onProgress: (p: TrialProgress) => void): Promise<TrialResult> => {
    const c = await ensureChild();
    return new Promise((resolve, reject) => {
      const onMessage = (m: ChildMessage): void => {
        if (m.type === "progress") onProgress(m.progress);
        else if (m.type === "result") (cleanup(), resolve(m.result));
        else if (m.type === "error") (cleanup(), reject(new Error(m.message)));
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(new ChildGone(`the trial process exited (${signal ?? code})`, code === EXIT_LEASE_LOST, signal));
      };
      const cleanup = (): void => {
        c.off("message", onMessage);
        c.off("exit", onExit);
      };
      c.on("message", onMessage);
      c.once("exit", onExit);
      leaseUntil = Date.now() + leaseMs;
      c.send({ type: "run", ...data, until: leaseUntil });
    });
  };

  const processor = async (job: Job<TrialJobData, TrialResult>, token?: string): Promise<TrialResult> => {
    const { trial } = job.data;
    log(`${name}: trial ${trial.id} (${trial.index}) started${job.attemptsStarted > 1 || job.stalledCounter > 0 ? ` (attempt ${job.attemptsStarted}, after a stalled worker)` : ""}`);
    let lastSent = 0;
    const onProgress = (p: TrialProgress): void => {
      const now = Date.now();
      // Progress read after the lease ended (this worker was frozen, its trial process's last messages still in
      // the channel) is not written: the job may be another worker's by now.
      if (now > leaseUntil) return;
      if (now - lastSent < 100 && p.update !== 0) return;
      lastSent = now;
      const progress: TrialJobProgress = { ...p, worker: name };
      job.updateProgress(progress as unknown as object).catch(() => {});
    };
    leased = job.id ?? null;
    try {
      let result: TrialResult | null = null;
      while (result === null) {
        try {
          result = await runInChild(job.data, onProgress);
        } catch (err) {
          if (!(err instanceof ChildGone && err.leaseLost) || closing) throw err;
          // The lease ended before a renewal came (this worker was frozen, slow, or cut off from Redis). If the
          // lock is still this worker's, nobody else runs the trial: run it again from its finished runs.
          const stillOurs = await job.extendLock(token ?? "", lockMs).then(
            (n) => n === 1,
            () => false,
          );
          if (!stillOurs) throw new LockLost(`${name}: lost the lock of trial ${trial.id} (no renewal for ${leaseMs} ms: frozen or cut off from Redis?); its trial process stopped, the stalled-job check hands the trial to another worker`);
          log(`${name}: trial ${trial.id}: a lock renewal came late; the trial process restarts from the finished runs`);
        }
      }
      completed++;
      log(`${name}: trial ${trial.id} done in ${result.seconds.toFixed(1)} s${result.resumedRuns > 0 ? ` (${result.resumedRuns} run(s) resumed from files)` : ""}`);
      return result;
    } catch (err) {
      if (err instanceof ChildGone && (closing || err.stopSignal !== null)) {
        // Shutting down (or the trial process was stopped by SIGINT/SIGTERM, e.g. sent to the process group before
        // this worker saw its own): the trial goes back to the queue, now rather than after the lock, never failed.
        await job.moveToWait(token);
        log(`${name}: trial ${trial.id} handed back to the queue`);
        throw new WaitingError();
      }
      if (err instanceof LockLost) {
        // Not a failure of the trial: the job is left as Redis has it (the stalled-job check moves it back to
        // waiting once the lock has expired), never marked failed or completed by a worker that does not own it.
        log(err.message);
        throw new WaitingError();
      }
      log(`${name}: trial ${trial.id} failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      leased = null;
    }
  };

  const worker = new Worker<TrialJobData, TrialResult>(opts.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    connection: connectionFor(opts.redis),
    name,
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 3,
  });
  // Connection errors are retried by BullMQ; one line each (not ioredis's stack traces).
  let lastError = "";
  worker.on("error", (err) => {
    if (err.message !== lastError) log(`${name}: ${err.message}`);
    lastError = err.message;
  });
  // Each renewal of the running trial's lock extends its trial process's lease.
  worker.on("locksRenewed", ({ jobIds }: { jobIds: string[] }) => {
    const c = child as ChildProcess | null;
    if (leased === null || !jobIds.includes(leased)) return;
    leaseUntil = Date.now() + leaseMs;
    if (c !== null && c.connected) c.send({ type: "lease", until: leaseUntil });
  });
  await worker.waitUntilReady();

  return {
    name,
    get completed() {
      return completed;
    },
    async close() {
      closing = true;
      const c = child as ChildProcess | null;
      const running = leased;
      const closed = closeOrDisconnect(
        () => worker.close(),
        () => worker.disconnect(),
        opts.closeTimeoutMs ?? CLOSE_TIMEOUT_MS,
      );
      if (c !== null && c.exitCode === null) c.kill("SIGKILL");
      if (!(await closed)) {
        log(`${name}: Redis did not answer within ${((opts.closeTimeoutMs ?? CLOSE_TIMEOUT_MS) / 1000).toFixed(0)} s; disconnected${running === null ? "" : `, trial ${running} not handed back (another worker takes it once its lock expires)`}`);
      }
      child = null;
    },
  };
}

class ChildGone extends Error {
  override readonly name = "ChildGone";
  /** SIGINT/SIGTERM when the trial process died of one (a stop, not the trial's failure); null otherwise. */
  readonly stopSignal: StopSignal | null;
  constructor(
    message: string,
    /** It stopped because its lease ran out (EXIT_LEASE_LOST), not because it crashed or was killed. */
    readonly leaseLost = false,
    signal: string | null = null,
  ) {
    super(message);
    this.stopSignal = signal === "SIGINT" || signal === "SIGTERM" ? signal : null;
  }
}

/** The worker no longer holds the trial's lock: another worker may run it (not a failure of the trial). */
class LockLost extends Error {
  override readonly name = "LockLost";
}
