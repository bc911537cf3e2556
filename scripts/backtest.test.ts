import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { train } from "../src/agent/index.js";
import { runScript } from "../src/cli/testing.js";

/** `npm run backtest` as users run it (real processes) on a tiny checkpoint trained here. */
let dir: string;
let ck: string;
const backtest = (args: readonly string[]) => runScript("scripts/backtest.ts", args, { cwd: dir });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "backtest-cli-"));
  ck = join(dir, "ck");
  await train({ preset: "default", steps: 512, trainEnd: "2022-07-01", out: ck, progress: "none", maxSeconds: null });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run backtest", () => {
  it("says in-sample, writes the report, refuses to replace it without --force, replaces it with", async () => {
    const r = await backtest(["--checkpoint", ck, "--end", "2022-03-01", "--grid", "51", "--run", "r"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/note: in-sample: the window 2021-01-01 00:00 → 2022-02-28 23:00 overlaps the training range 2021-01-01 00:00 → 2022-06-30 23:00/);
    // (The default preset's features need a week of history: the first decision comes after it.)
    expect(r.stdout).toMatch(/backtest \(greedy, in-sample\): 2021-01-\d\d 00:00 → 2022-02-28 23:00 UTC/);
    const again = await backtest(["--checkpoint", ck, "--start", "2022-07-01", "--grid", "51", "--run", "r", "--json"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^npm run backtest: output_exists at --run: reports\/r already holds a report \("Backtest: .*ck", written .*\); pass --force/m);
    const forced = await backtest(["--checkpoint", ck, "--start", "2022-07-01", "--grid", "51", "--run", "r", "--json", "--force"]);
    expect(forced.code).toBe(0);
    const j = JSON.parse(forced.stdout) as { notes: string[]; window: { start: string } };
    expect(j.notes).toEqual([]);
    expect(j.window.start).toBe("2022-07-01T00:00:00.000Z");
    expect(forced.stderr).toContain("backtest (greedy, out-of-sample)");
  });

  it.each([
    [["--start", "2030-01-01"], "bad_range at --start: expected a start at or before the data's last bar 2022-12-31T23:00Z, got 2030-01-01T00:00Z"],
    [["--start", "2022-05-01", "--end", "2022-04-01"], "bad_range at --end: expected an end after --start 2022-05-01T00:00Z, got 2022-04-01T00:00Z"],
    [["--start", "2022-05-01", "--end", "2022-05-01T03:00"], "invalid_window at --start: the window [2022-05-01T00:00Z, 2022-05-01T03:00Z) holds 3 bars; its statistics need at least 168 (MIN_BACKTEST_BARS, docs/evaluation.md)"],
    [["--checkpoint", "reports"], "checkpoint_unreadable at reports: neither a manifest.json nor sub-folders with one"],
  ])("%j: exit 1, one line", async (args, line) => {
    const r = await backtest(["--checkpoint", ck, ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([`npm run backtest: ${line}`]);
  });

  it("a bad date is a usage error (exit 2)", async () => {
    const r = await backtest(["--start", "2022-13-01"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("npm run backtest: bad_date at --start: expected a real calendar date and time, got \"2022-13-01\"");
  });

  it("--rules without --coach is a usage error (exit 2)", async () => {
    const r = await backtest(["--rules", "src/coach/default-rules.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("npm run backtest: conflicting_flags at --rules: needs --coach");
  });
});
