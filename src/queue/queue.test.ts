/**
 * The sweep on a real redis-server with two worker processes, one of them killed (SIGKILL) mid-trial: BullMQ's
 * stalled-job check hands its trial to the other worker, the sweep completes with every trial's result exactly
 * once, and the taken-over trial's result is the one a fresh run from the same seeds gives. Generous timeouts:
 * worker processes start in seconds on an idle machine, in tens of seconds on a busy one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandSweep, parseSweepFile, runTrial, sweepTable, type SweepFileInput, type TrialResult } from "../jobs/sweep/index.js";
import { childPids as childrenOf, processAlive as alive } from "../cli/testing.js";
import { BullmqTrialQueue } from "./bullmq-queue.js";
import { runSweepOnQueue } from "./commands.js";
import { startRedisServer, type LocalRedis } from "./local-redis.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const dir = mkdtempSync(join(tmpdir(), "sweep-queue-"));
let redis: LocalRedis;
const procs: ChildProcess[] = [];
type WorkerProc = { proc: ChildProcess; output: () => string };
let a: WorkerProc;
let b: WorkerProc;

beforeAll(async () => {
  redis = await startRedisServer();
  [a, b] = await Promise.all([startWorker("A", 1_500), startWorker("B", 1_500)]);
}, 240_000);
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SWEEP: SweepFileInput = {
  name: "killed",
  base: { preset: "default", envPreset: "seed", engine: "fused" },
  grid: { "agent.ppo.learningRate": [0.001, 0.002] },
  seeds: [0, 1],
  windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } },
  budget: { steps: 16_384 },
};

/** A worker process (`npm run worker`), resolved once it serves the queue. */
function startWorker(name: string, lockMs: number, queue = "test-trials"): Promise<{ proc: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, ["--import", TSX, join(ROOT, "scripts/worker.ts"), "--redis", redis.url, "--name", name, "--lock-ms", String(lockMs), "--queue", queue], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.push(proc);
  // If the test process ends without its teardown, the workers must not outlive it.
  process.once("exit", () => void proc.kill("SIGKILL"));
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("serving")) resolve({ proc, output: () => out });
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`worker ${name} exited (${code}) before serving: ${out}`)));
  });
}


describe("sweep on BullMQ with two worker processes", () => {
  it("survives a worker killed mid-trial: every trial's result exactly once, the taken-over one reproducible", async () => {
    const file = join(dir, "killed.json");
    writeFileSync(file, JSON.stringify(SWEEP));
    let killed: { trial: string; orphans: number[] } | null = null;
    const out = join(dir, "out");
    const r = await runSweepOnQueue({
      file,
      redis: redis.url,
      workers: 0,
      out,
      queueName: "test-trials",
      pollMs: 50,
      onProgress: (p) => {
        // Killed once its first run is on disk and the second is training: B resumes from that file.
        const onA = p.active.find((s) => s.worker === "A" && s.progress !== null && s.progress.run >= 1 && s.progress.update >= 1);
        if (killed === null && onA !== undefined) {
          const orphans = childrenOf(a.proc.pid!);
          a.proc.kill("SIGKILL");
          killed = { trial: onA.id, orphans };
        }
      },
    });
    expect(killed).not.toBeNull();
    const k = killed as unknown as { trial: string; orphans: number[] };
    // The killed worker's trial process noticed and exited (it does not finish a trial another worker owns).
    expect(k.orphans.length).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while (k.orphans.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(k.orphans.filter(alive)).toEqual([]);

    const sweep = expandSweep(parseSweepFile(SWEEP));
    expect(r.summary.failed).toEqual([]);
    expect(r.summary.trials.map((t) => t.id).sort()).toEqual(sweep.trials.map((t) => t.id).sort());
    const rows = sweepTable(r.summary).rows.map((row) => row[1]);
    for (const t of sweep.trials) {
      expect(rows.filter((id) => id === t.id)).toHaveLength(1);
      expect(existsSync(join(out, "trials", t.id, "result.json"))).toBe(true);
    }
    // B finished the killed trial (A is dead); the queue holds each trial once, completed.
    const queue = await BullmqTrialQueue.connect(redis.url, { queueName: "test-trials" });
    const statuses = await queue.status(sweep.trials.map((t) => t.id));
    expect(statuses.map((s) => s.state)).toEqual(["completed", "completed"]);
    expect(statuses.find((s) => s.id === k.trial)!.worker).toBe("B");
    expect(await queue.queue.getJobCounts("completed", "failed", "active", "wait")).toEqual({ completed: 2, failed: 0, active: 0, wait: 0 });
    const outcome = await queue.outcome(k.trial);
    await queue.close();
    expect(b.output()).toMatch(new RegExp(`B: trial ${k.trial} \\(\\d\\) started \\(attempt \\d, after a stalled worker\\)`));

    // Reproducible from its seeds: a fresh run of the same trial gives the same runs, bit for bit.
    const spec = sweep.trials.find((t) => t.id === k.trial)!;
    const fresh = await runTrial(spec, { resultsDir: join(dir, "fresh") });
    const got = (outcome as { result: TrialResult }).result;
    expect(got.resumedRuns).toBe(1);
    const strip = (res: TrialResult) => res.runs.map(({ seconds: _s, trainSeconds: _t, checkpoint: _c, ...run }) => run);
    expect(strip(got)).toEqual(strip(fresh));
  }, 300_000);

  it("a resubmitted sweep reuses the finished trials; a worker stopped mid-trial hands its trial back at once", async () => {
    const file = join(dir, "killed.json");
    const lines: string[] = [];
    const r = await runSweepOnQueue({ file, redis: redis.url, workers: 0, out: join(dir, "out"), queueName: "test-trials", log: (l) => lines.push(l) });
    expect(r.reused).toBe(2);
    expect(lines[0]).toMatch(/2 trial\(s\), 2 already done/);

    // SIGTERM during a trial: the job is back to waiting as the worker exits (its 1.5 s lock has not expired, so
    // this is the hand-back, not the stalled check); then the sweep is aborted, its trial left queued.
    writeFileSync(join(dir, "two.json"), JSON.stringify({ ...SWEEP, name: "two", grid: { "agent.ppo.learningRate": [0.004] } }));
    const two = expandSweep(parseSweepFile({ ...SWEEP, name: "two", grid: { "agent.ppo.learningRate": [0.004] } })).trials[0]!;
    const queue = await BullmqTrialQueue.connect(redis.url, { queueName: "test-trials" });
    const controller = new AbortController();
    let exitState: string | null = null;
    let exitCode: number | null = null;
    const sweep = runSweepOnQueue({
      file: join(dir, "two.json"),
      redis: redis.url,
      workers: 0,
      out: join(dir, "two"),
      queueName: "test-trials",
      pollMs: 50,
      signal: controller.signal,
      onProgress: (p) => {
        if (exitCode === null && p.active.some((s) => s.worker === "B" && s.progress !== null && s.progress.update >= 1)) {
          exitCode = -1;
          b.proc.once("exit", (code) => {
            exitCode = code;
            void queue.status([two.id]).then(([s]) => {
              exitState = s!.state;
              controller.abort();
            });
          });
          b.proc.kill("SIGTERM");
        }
      },
    });
    await expect(sweep).rejects.toThrow(/its trials stay queued/);
    expect(exitCode).toBe(143);
    expect(exitState).toBe("waiting");
    expect(b.output()).toMatch(new RegExp(`B: trial ${two.id} handed back to the queue`));
    await queue.close();
  }, 240_000);
});

describe("sweep on BullMQ: a worker frozen mid-trial (SIGSTOP) is fenced", () => {
  let c: WorkerProc;
  let d: WorkerProc;
  beforeAll(async () => {
    [c, d] = await Promise.all([startWorker("C", 1_500, "test-frozen"), startWorker("D", 1_500, "test-frozen")]);
  }, 240_000);

  it("its trial process stops before another worker takes the trial; thawed, it marks nothing failed or done", async () => {
    const spec: SweepFileInput = { ...SWEEP, name: "frozen", grid: { "agent.ppo.learningRate": [0.0011, 0.0021] }, seeds: [0], budget: { steps: 65_536 } };
    const file = join(dir, "frozen.json");
    writeFileSync(file, JSON.stringify(spec));
    let frozen: { trial: string; trialProcesses: number[] } | null = null;
    // When D first reports progress on the frozen trial, C's trial process must be gone already. The budget keeps
    // the trial training for seconds after the freeze, well past the 1.2 s lease: a trial that finished inside its
    // lease leaves its (idle, reused) trial process alive, which is correct but would prove nothing here.
    let cTrainingWhenDStarted: boolean | null = null;
    const r = await runSweepOnQueue({
      file,
      redis: redis.url,
      workers: 0,
      out: join(dir, "frozen"),
      queueName: "test-frozen",
      pollMs: 50,
      onProgress: (p) => {
        const onC = p.active.find((s) => s.worker === "C" && s.progress !== null && s.progress.update >= 1);
        if (frozen === null && onC !== undefined) {
          frozen = { trial: onC.id, trialProcesses: childrenOf(c.proc.pid!) };
          c.proc.kill("SIGSTOP"); // the worker freezes; its trial process would train on
        }
        const f = frozen as { trial: string; trialProcesses: number[] } | null;
        if (f !== null && cTrainingWhenDStarted === null && p.active.some((s) => s.id === f.trial && s.worker === "D")) {
          cTrainingWhenDStarted = f.trialProcesses.some(alive);
        }
      },
    });
    expect(frozen).not.toBeNull();
    const f = frozen as unknown as { trial: string; trialProcesses: number[] };
    expect(f.trialProcesses.length).toBeGreaterThan(0);
    // Progress is polled: on a quick run D may finish the trial between two polls (null, not observed); then at
    // least C's trial process must be gone by now. Observed, it must have been gone before D started.
    expect(cTrainingWhenDStarted).not.toBe(true);
    if (cTrainingWhenDStarted === null) expect(f.trialProcesses.some(alive)).toBe(false);
    expect(r.summary.failed).toEqual([]);
    expect(r.summary.trials).toHaveLength(2);

    // Thawed, C finds its lock gone: it logs one line and leaves the job alone (D's result stands).
    c.proc.kill("SIGCONT");
    const deadline = Date.now() + 30_000;
    while (!c.output().includes(`C: lost the lock of trial ${f.trial}`) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(c.output()).toContain(`C: lost the lock of trial ${f.trial}`);
    await new Promise((res) => setTimeout(res, 500));
    const queue = await BullmqTrialQueue.connect(redis.url, { queueName: "test-frozen" });
    expect(await queue.queue.getJobCounts("completed", "failed", "active", "wait")).toEqual({ completed: 2, failed: 0, active: 0, wait: 0 });
    const statuses = await queue.status(r.summary.trials.map((t) => t.id));
    expect(statuses.find((s) => s.id === f.trial)!.worker).toBe("D");
    await queue.close();
    expect(c.proc.exitCode).toBeNull(); // C serves on
  }, 300_000);
});
