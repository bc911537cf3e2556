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
import { cpuSecondsSince } from "../jobs/sweep/trial.js";
import { BullmqTrialQueue } from "./bullmq-queue.js";
import { startRedisServer } from "./local-redis.js";
import { startPoolWorker } from "./pool-worker.js";

export interface SweepBenchOptions {
  /** Trials in each sweep (default 6). */
  readonly trials?: number;
  /** Env steps per trial (one seed, one fold; default 32768: about a second of training). */
  readonly steps?: number;
  /** Rounds of (direct, 1 worker, 2 workers), side by side; medians are reported (default 3). */
  readonly rounds?: number;
  readonly log?: (line: string) => void;
}

export interface SweepBenchFigures {
  readonly sweep_trials: number;
  readonly sweep_steps_per_trial: number;
  readonly sweep_rounds: number;
  /** Medians over the rounds. */
  readonly sweep_direct_s: number;
  readonly sweep_1_worker_s: number;
  readonly sweep_2_workers_s: number;
  readonly sweep_trials_per_min_1_worker: number;
  readonly sweep_trials_per_min_2_workers: number;
  /** Median over the rounds of (1-worker wall time / 2-worker wall time), taken round by round. */
  readonly sweep_speedup_2_workers: number;
  /** Median of (1-worker wall − Σ trial seconds measured inside the trials) / trials. */
  readonly sweep_queue_overhead_per_trial_ms: number;
  /** Median of (1-worker wall − direct wall) / trials: the queue's cost against no queue at all. */
  readonly sweep_overhead_vs_direct_per_trial_ms: number;
  /**
   * CPU seconds (user + system) beside the wall times, medians over the rounds: this process (the submitter, and
   * the pool workers' own threads, which live here) plus the trial processes' CPU inside their trials.
   */
  readonly sweep_direct_cpu_s: number;
  readonly sweep_1_worker_cpu_s: number;
  readonly sweep_2_workers_cpu_s: number;
  /** Median of this process's CPU during the 1-worker sweep per trial: submitting, polling, handing out, IPC. */
  readonly sweep_queue_overhead_cpu_per_trial_ms: number;
}

/** A sweep of `trials` trials; `round` changes the seed, so every round's trials are new jobs. */
function benchSweep(name: string, trials: number, steps: number, round: number): ExpandedSweep {
  return expandSweep(
    parseSweepFile({
      name,
      base: { preset: "default", envPreset: "seed", engine: "fused" },
      grid: { "agent.ppo.learningRate": Array.from({ length: trials }, (_, i) => 0.001 * (1 + i / 10)) },
      seeds: [round],
      windows: { split: { trainStart: "2022-09-01", trainEnd: "2022-11-01", testEnd: "2022-12-01" } },
      budget: { steps },
    }),
  );
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchSweepThroughput(opts: SweepBenchOptions = {}): Promise<SweepBenchFigures> {
  const trials = opts.trials ?? 6;
  const steps = opts.steps ?? 32_768;
  const rounds = opts.rounds ?? 3;
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "sweep-bench-"));
  const redis = await startRedisServer();
  // One worker on queue q1, two on q2, started (and warmed) once; every round submits new trials.
  const q1 = `bench-1-${process.pid}`;
  const q2 = `bench-2-${process.pid}`;
  const pool = await Promise.all([
    startPoolWorker({ redis: redis.url, queueName: q1, name: "one" }),
    startPoolWorker({ redis: redis.url, queueName: q2, name: "two-a" }),
    startPoolWorker({ redis: redis.url, queueName: q2, name: "two-b" }),
  ]);
  const queues = { 1: await BullmqTrialQueue.connect(redis.url, { queueName: q1 }), 2: await BullmqTrialQueue.connect(redis.url, { queueName: q2 }) };
  try {
    // A warm-up round, not counted: every process (this one and the three trial processes) has compiled the
    // training code's hot paths before anything is timed (the first trials of a process run several times slower).
    for (const t of benchSweep("warm", 2, steps, 999).trials) await runTrial(t, { resultsDir: join(dir, "warm") });
    const direct: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    const inside: number[] = [];
    const directCpu: number[] = [];
    const oneCpu: number[] = [];
    const twoCpu: number[] = [];
    const hereCpu: number[] = [];
    const viaQueue = async (workers: 1 | 2, round: number): Promise<{ wall: number; inside: number; cpu: number; here: number }> => {
      const sweep = benchSweep(`bench-${workers}`, round === 999 ? 2 * workers : trials, steps, round);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await runSweep({ sweep, file: "bench", root: join(dir, `q${workers}-${round}`), queue: queues[workers], pollMs: 20, resamples: 50 });
      const here = cpuSecondsSince(c0);
      // The trials' CPU was spent in the trial processes: each result carries its own.
      const outcomes = await Promise.all(sweep.trials.map((t) => queues[workers].outcome(t.id)));
      const inTrials = outcomes.reduce((s, o) => s + (o !== null && "result" in o ? o.result.cpuSeconds : 0), 0);
      return { wall: (performance.now() - t0) / 1000, inside: r.summary.trials.reduce((s, t) => s + t.seconds, 0), cpu: here + inTrials, here };
    };
    await viaQueue(1, 999);
    await viaQueue(2, 999);
    for (let round = 0; round < rounds; round++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (const t of benchSweep("direct", trials, steps, round).trials) await runTrial(t, { resultsDir: join(dir, `direct-${round}`) });
      direct.push((performance.now() - t0) / 1000);
      directCpu.push(cpuSecondsSince(c0));
      const a = await viaQueue(1, round);
      one.push(a.wall);
      inside.push(a.inside);
      oneCpu.push(a.cpu);
      hereCpu.push(a.here);
      const b = await viaQueue(2, round);
      two.push(b.wall);
      twoCpu.push(b.cpu);
      log(
        `sweep round ${round + 1}/${rounds}: ${trials} trials of ${steps} steps: direct ${direct.at(-1)!.toFixed(1)} s (CPU ${directCpu.at(-1)!.toFixed(1)} s), ` +
          `1 worker ${a.wall.toFixed(1)} s (CPU ${a.cpu.toFixed(1)} s; trials inside: ${a.inside.toFixed(1)} s), 2 workers ${b.wall.toFixed(1)} s (CPU ${b.cpu.toFixed(1)} s)`,
      );
    }
    const speedups = one.map((w, i) => w / two[i]!);
    const figures: SweepBenchFigures = {
      sweep_trials: trials,
      sweep_steps_per_trial: steps,
      sweep_rounds: rounds,
      sweep_direct_s: median(direct),
      sweep_1_worker_s: median(one),
      sweep_2_workers_s: median(two),
      sweep_trials_per_min_1_worker: (60 * trials) / median(one),
      sweep_trials_per_min_2_workers: (60 * trials) / median(two),
      sweep_speedup_2_workers: median(speedups),
      sweep_queue_overhead_per_trial_ms: median(one.map((w, i) => (1000 * (w - inside[i]!)) / trials)),
      sweep_overhead_vs_direct_per_trial_ms: median(one.map((w, i) => (1000 * (w - direct[i]!)) / trials)),
      sweep_direct_cpu_s: median(directCpu),
      sweep_1_worker_cpu_s: median(oneCpu),
      sweep_2_workers_cpu_s: median(twoCpu),
      sweep_queue_overhead_cpu_per_trial_ms: median(hereCpu.map((c) => (1000 * c) / trials)),
    };
    log(`sweep: 2 workers give ${figures.sweep_speedup_2_workers.toFixed(2)}× the throughput of 1 (median of ${rounds} side-by-side rounds); queue overhead ${figures.sweep_queue_overhead_per_trial_ms.toFixed(0)} ms per trial`);
    return figures;
  } finally {
    await Promise.all(pool.map((w) => w.close()));
    await queues[1].close();
    await queues[2].close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
