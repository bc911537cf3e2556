import { describe, expect, it } from "vitest";
import { spawnScript } from "../src/cli/testing.js";

/** `npm run learnability` stopped by a signal keeps what finished (a real process, a real SIGTERM). */
describe("npm run learnability: a clean stop", () => {
  it("SIGTERM after the first run: exit 143, the table and the JSON hold the finished run, the stopped one is not counted", async () => {
    const run = spawnScript("scripts/learnability.ts", ["--markets", "trend", "--variants", "seed", "--seeds", "3", "--steps", "20000", "--json"], { timeoutMs: 240_000 });
    await run.waitFor(/trend \/ seed \/ seed 1: agent/, 200_000);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(143);
    const json = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { runs: { seed: number }[]; cells: { runs: number }[]; stoppedBy: string };
    expect(json.stoppedBy).toBe("SIGTERM");
    // Seed 1 finished; seed 2 was training (or about to) when the signal came, and seed 3 never started.
    expect(json.runs.map((x) => x.seed)).toEqual([1]);
    expect(json.cells).toEqual([expect.objectContaining({ runs: 1 })]);
    expect(r.stderr).toMatch(/\| trend \| seed \| 1 \|/);
    expect(r.stderr).toMatch(/stopped by SIGTERM after 1 of 3 runs; the table above has the finished ones/);
  }, 260_000);
});
