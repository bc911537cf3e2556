/**
 * The process a pool worker runs its trials in (forked with IPC, one per worker, reused from trial to trial):
 * training blocks a thread for seconds at a time, and the worker's own thread must stay free to renew the
 * job's lock in Redis. Messages: {type:"run", trial, resultsDir, until} and {type:"lease", until} in (until: the lease's end, a Date.now() time);
 * {type:"progress"|"result"|"error"} out.
 *
 * It stops at once, between two training updates, when it can no longer be sure that its worker owns the trial:
 *   - its worker died (the parent pid changes: SIGKILL, OOM): exit 70;
 *   - its lease ran out (exit 71): the worker extends the lease each time it renews the job's lock in Redis, and a
 *     lease ends before the lock can expire, so a worker that is frozen (SIGSTOP, swapped out) or cut off from
 *     Redis never has its trial process training beside the worker that the stalled-job check gives the trial to.
 */
import { runTrial } from "../jobs/sweep/trial.js";
import type { TrialJobData } from "./bullmq-queue.js";
import { EXIT_LEASE_LOST, EXIT_ORPHANED } from "./child-exit.js";

const parent = process.ppid;
/** Date.now() after which the running trial must stop (Infinity: no trial running, or no lease given). */
let leaseUntil = Infinity;
let running = false;
let verifying = false;
const orphaned = (): boolean => process.ppid !== parent || !process.connected;
function exitIfUnowned(): void {
  if (orphaned()) process.exit(EXIT_ORPHANED);
  if (!running || Date.now() <= leaseUntil || verifying) return;
  // Training blocks this thread for a while at a time: a renewal may be waiting, unread, in the IPC channel. Two
  // turns of the event loop (each reads the channel) before deciding; the lease is an absolute time, so reading
  // it late never makes it longer.
  verifying = true;
  setImmediate(() =>
    setImmediate(() => {
      verifying = false;
      if (running && Date.now() > leaseUntil) process.exit(EXIT_LEASE_LOST);
    }),
  );
}
setInterval(exitIfUnowned, 100).unref();
process.on("disconnect", () => process.exit(EXIT_ORPHANED));

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

/** `until`: the lease's end as a Date.now() time (the worker's clock is this machine's). */
type Message = ({ type: "run"; until?: number } & TrialJobData) | { type: "lease"; until: number };

process.on("message", (m: Message) => {
  if (m.type === "lease") {
    if (running) leaseUntil = Math.max(leaseUntil, m.until);
    return;
  }
  if (m.type !== "run") return;
  running = true;
  leaseUntil = m.until ?? Infinity;
  const done = (): void => {
    running = false;
    leaseUntil = Infinity;
  };
  runTrial(m.trial, {
    resultsDir: m.resultsDir,
    onProgress: (p) => {
      exitIfUnowned();
      send({ type: "progress", progress: p });
    },
    shouldStop: () => (exitIfUnowned(), false),
  }).then(
    (result) => (done(), send({ type: "result", result })),
    (err: unknown) => (done(), send({ type: "error", message: err instanceof Error ? err.message : String(err) })),
  );
});
// Warm up before saying ready: the agent's train() loads the tfjs backend on every run (a few seconds the first
// time), so the worker joins the pool only when a trial can start at once.
import("../agent/backend.js")
  .then((b) => b.selectBackend("auto"))
  .catch(() => undefined)
  .finally(() => send({ type: "ready" }));
