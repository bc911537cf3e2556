/**
 * The BullMQ adapter of the sweeps: the TrialQueue over Redis, the pool worker that runs trials in a process
 * of its own, and a local redis-server for tests and benchmarks. The sweep core (src/jobs/sweep/) never
 * imports this folder; the scripts compose the two. docs/sweeps.md.
 */
export { BullmqTrialQueue, connectionFor, DEFAULT_QUEUE_NAME, probeRedis, QueueError, type TrialJobData, type TrialJobProgress } from "./bullmq-queue.js";
export { startPoolWorker, type PoolWorker, type PoolWorkerOptions } from "./pool-worker.js";
export { freePort, startRedisServer, type LocalRedis } from "./local-redis.js";
