/**
 * The process a pool worker runs its trials in (forked with IPC, one per worker, reused from trial to trial):
 * training blocks a thread for seconds at a time, and the worker's own thread must stay free to renew the
 * job's lock in Redis. Messages: {type:"run", trial, resultsDir} in; {type:"progress"|"result"|"error"} out.
 * When its worker dies (the parent pid changes: SIGKILL, OOM), it exits at once instead of finishing a trial
 * that another worker will take over.
 */
import { runTrial } from "../jobs/sweep/trial.js";
import type { TrialJobData } from "./bullmq-queue.js";

const parent = process.ppid;
const orphaned = (): boolean => process.ppid !== parent || !process.connected;
function exitIfOrphaned(): void {
  if (orphaned()) process.exit(70);
}
setInterval(exitIfOrphaned, 500).unref();
process.on("disconnect", () => process.exit(70));

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

process.on("message", (m: { type: "run" } & TrialJobData) => {
  if (m.type !== "run") return;
  runTrial(m.trial, {
    resultsDir: m.resultsDir,
    onProgress: (p) => {
      exitIfOrphaned();
      send({ type: "progress", progress: p });
    },
    shouldStop: orphaned,
  }).then(
    (result) => send({ type: "result", result }),
    (err: unknown) => send({ type: "error", message: err instanceof Error ? err.message : String(err) }),
  );
});
// Warm up before saying ready: the agent's train() loads the tfjs backend on every run (a few seconds the first
// time), so the worker joins the pool only when a trial can start at once.
import("../agent/backend.js")
  .then((b) => b.selectBackend("auto"))
  .catch(() => undefined)
  .finally(() => send({ type: "ready" }));
