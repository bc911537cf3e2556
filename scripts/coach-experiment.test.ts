import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnScript } from "../src/cli/testing.js";

const cwd = mkdtempSync(join(tmpdir(), "coach-exp-cli-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** `npm run coach-experiment` stopped by a signal keeps its finished pairs (a real process, a real SIGTERM). */
describe("npm run coach-experiment: a clean stop", () => {
  it("SIGTERM after the first pair: exit 143, the finished pairs summarised and reported, the one training is dropped", async () => {
    const run = spawnScript("scripts/coach-experiment.ts", ["--seeds", "2", "--folds", "2", "--steps", "20000", "--resamples", "100", "--run", "stop", "--json"], { cwd, timeoutMs: 240_000 });
    await run.waitFor(/fold 0 seed 0: return off/, 200_000);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/stopping at the next safe point/);
    // Fold 0 seed 1 was training when the signal came (it stops at its next update); rarely it had just finished.
    const m = /^npm run coach-experiment: interrupted: (?:fold 0 seed 1 stopped after \d+ of \d+ updates|stopped by SIGTERM); ([12]) of 4 pairs finished, summarised above and in (\S+report\.html)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const finished = m![1]!;
    const report = join(cwd, m![2]!);
    expect(r.stderr).toContain(`agent: ${finished} pairs`);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, "utf8")).toContain(`stopped: ${finished} of 4 pairs finished`);
    // With --json the finished pairs' object is the last stdout line, marked with the signal.
    const json = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { stoppedBy: string; coachOn: unknown };
    expect(json.stoppedBy).toBe("SIGTERM");
    expect(json.coachOn).toBeDefined();
  }, 260_000);
});
