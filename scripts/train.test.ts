import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupAlive, runScript, spawnNpm, spawnScript, type ScriptResult } from "../src/cli/testing.js";

/**
 * `npm run train` as users run it: real processes (node + tsx, and npm), real signals, real files. Budgets are
 * tiny (a few 512-step updates); runs that are meant to be stopped get a huge budget and are signalled once
 * they print their first update.
 */
let dir: string;
const TINY = ["--steps", "1024", "--no-backtest", "--progress", "none"];
const LONG = ["--steps", "1000000000", "--no-backtest", "--progress", "lines"];
const train = (args: readonly string[], cwd?: string): Promise<ScriptResult> => runScript("scripts/train.ts", args, cwd === undefined ? {} : { cwd });
const manifest = (d: string) => JSON.parse(readFileSync(join(d, "manifest.json"), "utf8")) as { training: { status: string; stopSignal: string | null; updates: number; numUpdates: number } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "train-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run train: help and usage errors", () => {
  it("--help lists every flag with its default, and examples; exit 0", async () => {
    const r = await train(["--help"]);
    expect(r.code).toBe(0);
    for (const f of ["--data", "--train-start", "--train-end", "--preset", "--env-preset", "--episodes", "--steps", "--seed", "--out", "--force", "--resume", "--checkpoint-every", "--max-seconds", "--backend", "--engine", "--agent", "--env", "--progress", "--seeds", "--test-start", "--test-end", "--run", "--no-backtest", "--no-report", "--json", "--debug"]) {
      expect(r.stdout).toContain(f);
    }
    expect(r.stdout).toMatch(/--seeds <N>\s+independent runs K[^\n]*\n?[^\n]*\(default: 1\)/);
    expect(r.stdout).toContain("Examples:\n  npm run train -- --steps 20000 --out checkpoints/try");
  });

  it.each([
    [["--stepz", "3"], "unknown_flag at --stepz", "did you mean --steps?"],
    [["--steps"], "missing_value at --steps", "needs a value"],
    [["--steps", "abc"], "invalid_flag at --steps", 'expected an integer, got "abc"'],
    [["--steps", "0"], "invalid_flag at --steps", "expected an integer ≥ 1"],
    [["--train-end", "2019-02-30"], "bad_date at --train-end", "that month has fewer days"],
    [["--preset", "huge"], "invalid_flag at --preset", "expected one of seed, default"],
    [["--agent", "{x"], "invalid_flag at --agent", "expected a JSON object"],
    [["--out", ""], "invalid_flag at --out", "expected a path"],
  ])("%j: exit 2, one line naming the flag, no stack", async (args, head, detail) => {
    const r = await train(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`npm run train: ${head}: `);
    expect(r.stderr).toContain(detail);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });
});

describe("npm run train: outputs never destroy anything", () => {
  it("refuses a folder of the user's own files, leaving them intact", async () => {
    const mine = join(dir, "mine");
    mkdirSync(mine);
    writeFileSync(join(mine, "notes.txt"), "my notes\n");
    const r = await train([...TINY, "--out", mine]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`npm run train: foreign_output at --out: ${mine} is a folder the project did not write as a checkpoint (it holds notes.txt)`);
    expect(readFileSync(join(mine, "notes.txt"), "utf8")).toBe("my notes\n");
    // Even with --force.
    const forced = await train([...TINY, "--out", mine, "--force"]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain("foreign_output at --out");
    expect(readdirSync(mine)).toEqual(["notes.txt"]);
  });

  it("refuses '.', the folder above, the project root and a plain file, before any training", async () => {
    const cwd = join(dir, "cwd");
    mkdirSync(join(cwd, "sub"), { recursive: true });
    writeFileSync(join(cwd, "file.txt"), "x");
    for (const [out, why] of [
      [".", "it is the current folder"],
      ["..", "it holds the current folder"],
      [join(cwd, "sub", ".."), "it is the current folder"],
    ] as const) {
      const r = await train([...TINY, "--out", out], cwd);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`unsafe_output at --out: refusing to write a checkpoint to ${JSON.stringify(out)}: ${why}`);
      expect(r.stdout).not.toContain("train: agent");
    }
    const file = await train([...TINY, "--out", "file.txt"], cwd);
    expect(file.stderr).toContain("wrong_output_type at --out: file.txt is a file, a checkpoint is a folder");
    expect(readFileSync(join(cwd, "file.txt"), "utf8")).toBe("x");
    expect(readdirSync(cwd).sort()).toEqual(["file.txt", "sub"]);
  });

  it("refuses the project's checkpoints folder (it holds a tracked README, not a checkpoint)", async () => {
    const r = await train([...TINY, "--out", "checkpoints"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("foreign_output at --out: checkpoints is a folder the project did not write as a checkpoint (it holds README.md");
    expect(existsSync("checkpoints/README.md")).toBe(true);
  });

  it("an unwritable output fails before training starts", async () => {
    const r = await train([...TINY, "--out", "/proc/no-such/ck"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/npm run train: not_writable at --out: /);
    expect(r.stdout).not.toContain("train: agent");
  });

  it("replacing a checkpoint needs --force, and says what it replaced", async () => {
    const ck = join(dir, "ck");
    const first = await train([...TINY, "--out", ck]);
    expect(first.code).toBe(0);
    expect(manifest(ck).training.status).toBe("complete");
    const again = await train([...TINY, "--out", ck]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/output_exists at --out: .*ck already holds a checkpoint \(2\/2 updates, complete, written .*\); pass --force to replace it/);
    const forced = await train([...TINY, "--out", ck, "--force", "--progress", "lines"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/replacing .*ck: a checkpoint \(2\/2 updates, complete, written /);
  });
});

describe("npm run train: one run per output (lock)", () => {
  it("a second run on the same output fails at once naming the first's pid; a stale lock is taken over", async () => {
    const ck = join(dir, "locked");
    const first = spawnScript("scripts/train.ts", [...LONG, "--out", ck]);
    await first.waitFor(/update 1\//);
    const second = await train([...TINY, "--out", ck, "--force"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`output_locked at --out: ${ck} is being written by process ${first.pid}`);
    first.child.kill("SIGKILL");
    await first.done;
    // The SIGKILLed run left its lock behind: stale (dead pid), taken over.
    expect(existsSync(join(dir, ".locked.lock"))).toBe(true);
    const third = await train([...TINY, "--out", ck]);
    expect(third.code).toBe(0);
    expect(existsSync(join(dir, ".locked.lock"))).toBe(false);
  });
});

describe("npm run train: clean stops (real signals)", () => {
  it("SIGTERM to node: stops at the next update, saves an interrupted checkpoint, says how to resume, exit 143", async () => {
    const ck = join(dir, "term");
    const run = spawnScript("scripts/train.ts", [...LONG, "--out", ck]);
    await run.waitFor(/update 1\//);
    const t0 = performance.now();
    run.child.kill("SIGTERM");
    const r = await run.done;
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code).toBe(143);
    expect(seconds).toBeLessThan(15);
    const m = manifest(ck);
    expect(m.training.status).toBe("interrupted");
    expect(m.training.stopSignal).toBe("SIGTERM");
    expect(m.training.updates).toBeGreaterThan(0);
    expect(r.stderr).toContain(`npm run train: interrupted: ${ck} saved after ${m.training.updates} of ${m.training.numUpdates} updates, marked interrupted; resume: npm run train -- --resume ${ck}`);
    expect(existsSync(join(dir, ".term.lock"))).toBe(false);
    console.log(`SIGTERM to node: exited ${seconds.toFixed(2)} s after the signal`);

    // Resume refuses conflicting flags and budgets below what was trained, then continues the checkpoint.
    const conflict = await train(["--resume", ck, "--preset", "seed", "--no-backtest"]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('invalid_config at --preset: the checkpoint was trained with the "default" agent preset, not "seed"');
    const small = await train(["--resume", ck, "--steps", "512", "--no-backtest"]);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/invalid_config at --steps: the checkpoint has already trained \d+ env steps/);
    const steps = String((m.training.updates + 1) * 512);
    const resumed = await train(["--resume", ck, "--steps", steps, "--no-backtest", "--progress", "none"]);
    expect(resumed.code).toBe(0);
    expect(manifest(ck).training.status).toBe("complete");
    expect(manifest(ck).training.updates).toBe(m.training.updates + 1);
  });

  it("SIGTERM to npm reaches node: the same clean stop, no process left", async () => {
    const ck = join(dir, "npm-term");
    const run = spawnNpm("train", [...LONG, "--out", ck], { detached: true });
    await run.waitFor(/update 1\//);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code === 143 || r.signal === "SIGTERM").toBe(true);
    expect(manifest(ck).training.status).toBe("interrupted");
    expect(r.stderr).toContain("npm run train: interrupted:");
    await new Promise((res) => setTimeout(res, 200));
    expect(groupAlive(run.pid)).toBe(false);
  });

  it("SIGINT to the whole process group (Ctrl-C in a terminal): one clean stop, exit 130, no orphan", async () => {
    const ck = join(dir, "group-int");
    const run = spawnNpm("train", [...LONG, "--out", ck], { detached: true });
    await run.waitFor(/update 1\//);
    process.kill(-run.pid, "SIGINT");
    const r = await run.done;
    expect(r.code === 130 || r.signal === "SIGINT").toBe(true);
    const m = manifest(ck);
    expect(m.training.status).toBe("interrupted");
    expect(m.training.stopSignal).toBe("SIGINT");
    // npm forwards the signal the group already got: counted once, not as "exit at once".
    expect(r.stderr).not.toContain("again: exiting now");
    await new Promise((res) => setTimeout(res, 200));
    expect(groupAlive(run.pid)).toBe(false);
  });
});

describe("npm run train: --json", () => {
  it("stdout carries only the JSON line", async () => {
    const r = await train(["--steps", "512", "--progress", "lines", "--json", "--no-report"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as { updates: number; windows: Record<string, unknown> };
    expect(j.updates).toBe(1);
    expect(Object.keys(j.windows)).toContain("in-sample");
    expect(r.stderr).toContain("done: 1 updates");
  });
});
