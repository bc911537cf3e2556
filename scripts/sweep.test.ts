import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { childPids, groupAlive, processAlive as alive, runScript, spawnNpm, spawnScript } from "../src/cli/testing.js";
import { BullmqTrialQueue } from "../src/queue/bullmq-queue.js";
import { startRedisServer, type LocalRedis } from "../src/queue/local-redis.js";

/** `npm run sweep`, `npm run worker` and `npm run portfolio` as users run them: real processes, a real redis-server. */
let dir: string;
let redis: LocalRedis;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sweep-cli-"));
  redis = await startRedisServer();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run sweep / worker / portfolio: help and errors", () => {
  it("--help lists every flag with its default, and examples; exit 0", async () => {
    for (const [script, flags] of [
      ["scripts/sweep.ts", ["--file", "--redis", "--workers", "--out", "--resume", "--queue", "--lock-ms", "--json"]],
      ["scripts/worker.ts", ["--redis", "--workers", "--queue", "--lock-ms", "--name"]],
      ["scripts/portfolio.ts", ["--asset", "--missing-bars", "--train-start", "--train-end", "--test-end", "--steps", "--seeds", "--seed", "--env", "--out", "--force", "--no-report", "--json"]],
    ] as const) {
      const r = await runScript(script, ["--help"]);
      expect(r.code).toBe(0);
      for (const f of flags) expect(r.stdout).toContain(f);
      expect(r.stdout).toContain("Examples:");
    }
  }, 120_000);

  it.each([
    ["scripts/sweep.ts", ["--redis", "redis://127.0.0.1:1"], "npm run sweep: missing_value at --file"],
    ["scripts/sweep.ts", ["--file", "x.json", "--redis", "http://x"], "npm run sweep: invalid_flag at --redis"],
    ["scripts/worker.ts", [], "npm run worker: missing_value at --redis"],
    ["scripts/portfolio.ts", ["--asset", "btc.csv"], "npm run portfolio: invalid_flag at --asset: expected SYMBOL=FILE.csv"],
  ] as const)("%s %j: exit 2, one line naming the flag", async (script, args, head) => {
    const r = await runScript(script, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(head);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a bad sweep file and an unreachable Redis: exit 1, one line naming the field", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ name: "bad", grid: { "agent.ppo.gamma": [0.9, 3] }, windows: { split: { trainEnd: "2022-07-01" } }, budget: { steps: 100 } }));
    const bad = await runScript("scripts/sweep.ts", ["--file", file, "--redis", redis.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`npm run sweep: invalid_sweep at ${file}: trial 1 (agent.ppo.gamma=3): agent.ppo.gamma: `);
    const down = await runScript("scripts/worker.ts", ["--redis", "redis://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("npm run worker: redis_unreachable at --redis: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED");
  });
});

/** The processes whose parent is `pid`, as [pid, command line] (ps; none: []). */
function childrenOf(pid: number): [number, string][] {
  try {
    const lines = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" }).trim().split("\n");
    return lines.filter((l) => l.trim() !== "").map((l) => {
      const [p, ...args] = l.trim().split(/\s+/);
      return [Number(p), args.join(" ")];
    });
  } catch {
    return [];
  }
}

describe("npm run worker: a stop while the pool workers start", () => {
  // Each pool worker warms its trial process up for seconds; a stop then used to wait for every worker to finish
  // starting (about 20 s for two on a loaded machine), and a signal to the process group killed the warming trial
  // process first and came out as "internal_error: the trial process exited (SIGINT) while starting".
  it.each([
    ["SIGTERM to npm", "SIGTERM", "npm", 143],
    ["SIGINT to the process group", "SIGINT", "group", 130],
  ] as const)("%s: stops at once (exit 143 / 130), no internal error, no process left", async (_label, signal, target, code) => {
    const run = spawnNpm("worker", ["--redis", redis.url, "--workers", "2", "--queue", `start-stop-${signal}`], { detached: true });
    // The first trial process is forked: the worker is warming up.
    const t0 = Date.now();
    for (;;) {
      if (childrenOf(run.pid).some(([node]) => childrenOf(node).some(([, args]) => args.includes("trial-child")))) break;
      if (Date.now() - t0 > 60_000) throw new Error(`no trial process after 60 s:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(target === "group" ? -run.pid : run.pid, signal);
    const r = await run.done;
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`npm run worker: interrupted: stopped by ${signal} while worker`);
    expect(r.stderr).not.toContain("internal_error");
    expect(r.stderr).not.toContain("serving"); // it did not finish starting first
    // No process of the group outlives it (a killed trial process's tsx/esbuild helper exits on its own, within moments).
    for (let i = 0; i < 20 && groupAlive(run.pid); i++) await new Promise((res) => setTimeout(res, 100));
    const left = groupAlive(run.pid) ? execFileSync("ps", ["-o", "pid,stat,args", "-g", String(run.pid)], { encoding: "utf8" }) : "";
    expect(left).toBe("");
  }, 120_000);
});

describe("npm run sweep: a real run", () => {
  it("runs a one-trial sweep with a local worker; --json's last line has `trials`; a second run reuses it", async () => {
    const file = join(dir, "one.yaml");
    writeFileSync(
      file,
      [
        "name: one",
        "base: { preset: default, envPreset: seed, engine: fused }",
        "grid: { agent.ppo.learningRate: [0.002] }",
        "seeds: [0]",
        "windows: { split: { trainStart: '2022-10-01', trainEnd: '2022-11-15', testEnd: '2022-12-15' } }",
        "budget: { steps: 1024 }",
      ].join("\n"),
    );
    const args = ["--file", file, "--redis", redis.url, "--workers", "1", "--out", join(dir, "out"), "--queue", "cli-test", "--json"];
    const r = await runScript("scripts/sweep.ts", args);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!) as { trials: { varied: Record<string, number>; seeds: number[]; outOfSample: { sharpe: { mean: number | null } } }[]; reused: number };
    expect(json.trials).toHaveLength(1);
    expect(json.trials[0]!.varied).toEqual({ "agent.ppo.learningRate": 0.002 });
    expect(json.trials[0]!.seeds).toEqual([0]);
    expect(json.reused).toBe(0);
    expect(r.stderr).toMatch(/sweep one: 1 trial\(s\), 0 already done/);
    const again = await runScript("scripts/sweep.ts", [...args.filter((a) => a !== "1" && a !== "--workers"), "--workers", "0", "--resume"]);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout.trim()) as { reused: number }).reused).toBe(1);
  }, 240_000);
});


describe("npm run sweep --resume after the submitting process died", () => {
  it("SIGKILL mid-trial (its local worker with it): --resume finishes the sweep, every trial once, nothing run again", async () => {
    const file = join(dir, "resume.json");
    const spec = {
      name: "resume",
      base: { preset: "default", envPreset: "seed", engine: "fused" },
      grid: { "agent.ppo.learningRate": [0.001, 0.002, 0.003] },
      seeds: [0],
      windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } },
      budget: { steps: 6_144 },
    };
    writeFileSync(file, JSON.stringify(spec));
    const out = join(dir, "resume-out");
    const args = ["--file", file, "--redis", redis.url, "--workers", "1", "--lock-ms", "1000", "--out", out, "--queue", "resume-test", "--json"];
    const first = spawnScript("scripts/sweep.ts", args, { timeoutMs: 200_000 });
    const queue = await BullmqTrialQueue.connect(redis.url, { queueName: "resume-test" });
    try {
      // Killed once the second trial is training (the first is done): one trial finished, one mid-way, one queued.
      let killedOn: string | null = null;
      let trialProcesses: number[] = [];
      const deadline = Date.now() + 180_000;
      while (killedOn === null && Date.now() < deadline && first.child.exitCode === null) {
        const jobs = await queue.queue.getJobs(["active"]);
        const counts = await queue.queue.getJobCounts("completed");
        const active = jobs.find((j) => typeof j.progress === "object" && (j.progress as { update?: number }).update! >= 1);
        if (active !== undefined && counts["completed"] === 1) {
          trialProcesses = childPids(first.pid);
          first.child.kill("SIGKILL");
          killedOn = active.id!;
        } else await new Promise((res) => setTimeout(res, 50));
      }
      expect(killedOn).not.toBeNull();
      await first.done;
      // Its trial process noticed and exited: it does not train on beside the next worker.
      expect(trialProcesses.length).toBeGreaterThan(0);
      const gone = Date.now() + 5_000;
      while (trialProcesses.some(alive) && Date.now() < gone) await new Promise((res) => setTimeout(res, 100));
      expect(trialProcesses.filter(alive)).toEqual([]);

      const again = await runScript("scripts/sweep.ts", [...args, "--resume"], { timeoutMs: 200_000 });
      expect(again.stderr).not.toMatch(/\n\s+at /);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/sweep resume: 3 trial\(s\), 1 already done/);
      const json = JSON.parse(again.stdout.trim().split("\n").at(-1)!) as { trials: { id: string }[]; failed: unknown[]; reused: number };
      expect(json.reused).toBe(1);
      expect(json.failed).toEqual([]);
      expect(json.trials.map((t) => t.id).sort()).toEqual([...new Set(json.trials.map((t) => t.id))].sort());
      expect(json.trials).toHaveLength(3);
      expect(json.trials.map((t) => t.id)).toContain(killedOn);
      expect(await queue.queue.getJobCounts("completed", "failed", "active", "wait")).toEqual({ completed: 3, failed: 0, active: 0, wait: 0 });
      // The stalled-job check gave the killed trial to the new worker.
      expect(again.stderr).toMatch(new RegExp(`trial ${killedOn} \\(\\d\\) started \\(attempt \\d, after a stalled worker\\)`));
      for (const t of json.trials) expect(existsSync(join(out, "trials", t.id, "result.json"))).toBe(true);
    } finally {
      if (first.child.exitCode === null) first.child.kill("SIGKILL");
      await queue.close();
    }
  }, 400_000);
});

describe("npm run worker / sweep: Redis gone, then a stop", () => {
  it("SIGTERM to a worker mid-trial and SIGINT to the submitter: each exits (143, 130) instead of waiting on Redis, one line saying why", async () => {
    const own = await startRedisServer();
    const file = join(dir, "gone.json");
    writeFileSync(file, JSON.stringify({ name: "gone", base: { preset: "default", envPreset: "seed", engine: "fused" }, seeds: [0], windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } }, budget: { steps: 200_000 } }));
    const worker = spawnScript("scripts/worker.ts", ["--redis", own.url, "--queue", "gone", "--name", "W"], { timeoutMs: 150_000 });
    const sweep = spawnScript("scripts/sweep.ts", ["--file", file, "--redis", own.url, "--workers", "0", "--queue", "gone", "--out", join(dir, "gone-out")], { timeoutMs: 150_000 });
    try {
      await worker.waitFor(/W: trial t-[0-9a-f]+ \(0\) started/, 120_000);
      own.process.kill("SIGKILL");
      await worker.waitFor(/W: connect ECONNREFUSED/, 20_000);
      // A stop that hung on the lost Redis would be killed by spawnScript's timeout: code null, not 143.
      worker.child.kill("SIGTERM");
      const w = await worker.done;
      expect(w.code).toBe(143);
      expect(w.stdout + w.stderr).toMatch(/W: Redis did not answer within 5 s; disconnected, trial t-[0-9a-f]+ not handed back \(another worker takes it once its lock expires\)/);
      sweep.child.kill("SIGINT");
      const s = await sweep.done;
      expect(s.code).toBe(130);
      expect(s.stderr).toContain("npm run sweep: interrupted: stopped waiting for sweep gone; its trials stay queued");
      expect(s.stderr + s.stdout).not.toMatch(/\n\s+at /);
    } finally {
      for (const p of [worker, sweep]) if (p.child.exitCode === null) p.child.kill("SIGKILL");
      await own.stop();
    }
  }, 200_000);
});
