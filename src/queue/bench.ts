/**
 * Sweep throughput: the same small trials run (1) directly in this process, one after the other, (2) through
 * the BullMQ queue with 1 pool worker, (3) with 2 pool workers, on a redis-server of our own. Figures: wall
 * time of each, trials per minute, the 2-worker speed-up, and the queue's overhead per trial (wall time of the
 * 1-worker sweep minus the time the trials themselves took, per trial: submission, hand-out, IPC, result).
 * On a 2-core machine the speed-up is bounded by the cores, and by anything else running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandSweep, parseSweepFile, runSweep, runTrial, type ExpandedSweep } from "../jobs/sweep/index.js";
import { BullmqTrialQueue } from "./bullmq-queue.js";
import { startRedisServer } from "./local-redis.js";
import { startPoolWorker } from "./pool-worker.js";

export interface SweepBenchOptions {
  /** Trials in the sweep (default 6). */
  readonly trials?: number;
  /** Env steps per trial (one seed, one fold; default 8192). */
  readonly steps?: number;
  readonly log?: (line: string) => void;
}

export interface SweepBenchFigures {
  readonly sweep_trials: number;
  readonly sweep_steps_per_trial: number;
  readonly sweep_direct_s: number;
  readonly sweep_1_worker_s: number;
  readonly sweep_2_workers_s: number;
  readonly sweep_trials_per_min_1_worker: number;
  readonly sweep_trials_per_min_2_workers: number;
  /** 1-worker wall time over 2-worker wall time. */
  readonly sweep_speedup_2_workers: number;
  /** (1-worker wall − Σ trial seconds measured inside the trials) / trials. */
  readonly sweep_queue_overhead_per_trial_ms: number;
  /** (1-worker wall − direct wall) / trials: the queue's cost against no queue at all. */
  readonly sweep_overhead_vs_direct_per_trial_ms: number;
}

function benchSweep(name: string, trials: number, steps: number): ExpandedSweep {
  return expandSweep(
    parseSweepFile({
      name,
      base: { preset: "default", envPreset: "seed", engine: "fused" },
      grid: { "agent.ppo.learningRate": Array.from({ length: trials }, (_, i) => 0.001 * (1 + i / 10)) },
      seeds: [0],
      windows: { split: { trainStart: "2022-09-01", trainEnd: "2022-11-01", testEnd: "2022-12-01" } },
      budget: { steps },
    }),
  );
}

export async function benchSweepThroughput(opts: SweepBenchOptions = {}): Promise<SweepBenchFigures> {
  const trials = opts.trials ?? 6;
  const steps = opts.steps ?? 8_192;
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "sweep-bench-"));
  const redis = await startRedisServer();
  try {
    const sweep = benchSweep("bench", trials, steps);
    // Direct: the same trials in this process (warmed by one throw-away run first, as the workers' processes are).
    await runTrial(benchSweep("warm", 1, 512).trials[0]!, { resultsDir: join(dir, "warm") });
    let t0 = performance.now();
    for (const t of sweep.trials) await runTrial(t, { resultsDir: join(dir, "direct") });
    const direct = (performance.now() - t0) / 1000;
    log(`sweep: ${trials} trials of ${steps} steps, directly in this process: ${direct.toFixed(1)} s`);

    const viaQueue = async (workers: number): Promise<{ wall: number; inside: number }> => {
      // A queue of its own per run: the trials are content-addressed and would otherwise be reused.
      const queueName = `bench-${workers}-${process.pid}`;
      const pool = await Promise.all(Array.from({ length: workers }, (_, k) => startPoolWorker({ redis: redis.url, queueName, name: `bench-w${k}` })));
      const queue = await BullmqTrialQueue.connect(redis.url, { queueName });
      t0 = performance.now();
      const r = await runSweep({ sweep, file: "bench", root: join(dir, `q${workers}`), queue, pollMs: 20, resamples: 50 });
      const wall = (performance.now() - t0) / 1000;
      await Promise.all(pool.map((w) => w.close()));
      await queue.close();
      return { wall, inside: r.summary.trials.reduce((s, t) => s + t.seconds, 0) };
    };
    const one = await viaQueue(1);
    log(`sweep: 1 pool worker: ${one.wall.toFixed(1)} s (the trials themselves: ${one.inside.toFixed(1)} s)`);
    const two = await viaQueue(2);
    log(`sweep: 2 pool workers: ${two.wall.toFixed(1)} s, ${(one.wall / two.wall).toFixed(2)}× the 1-worker throughput`);
    return {
      sweep_trials: trials,
      sweep_steps_per_trial: steps,
      sweep_direct_s: direct,
      sweep_1_worker_s: one.wall,
      sweep_2_workers_s: two.wall,
      sweep_trials_per_min_1_worker: (60 * trials) / one.wall,
      sweep_trials_per_min_2_workers: (60 * trials) / two.wall,
      sweep_speedup_2_workers: one.wall / two.wall,
      sweep_queue_overhead_per_trial_ms: (1000 * (one.wall - one.inside)) / trials,
      sweep_overhead_vs_direct_per_trial_ms: (1000 * (one.wall - direct)) / trials,
    };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
