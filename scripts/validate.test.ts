import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** `npm run validate` end to end: the script run by node + tsx on files written here. */
const run = promisify(execFile);
const H = 3_600_000;
const T0 = Date.UTC(2020, 0, 1);
let dir: string;

async function validate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/validate.ts", ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "validate-cli-"));
  const rows = [0, 1, 2, 5, 6].map((h) => `${T0 + h * H},10,12,9,11,1`);
  writeFileSync(join(dir, "good.csv"), ["timestamp,open,high,low,close,volume", ...rows].join("\n") + "\n");
  writeFileSync(join(dir, "bad.csv"), `timestamp,open,high,low,close,volume\n${T0},10,12,9,11,1\n${T0},10,9,9,11,1\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/validate.ts", () => {
  it("prints the report of a valid file with its gaps table, exit 0", async () => {
    const r = await validate(join(dir, "good.csv"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("good.csv: valid, 5 rows (1h), 2020-01-01T00:00:00.000Z .. 2020-01-01T06:00:00.000Z");
    expect(r.stdout).toContain("1 gaps, 2 missing bars; largest 2 bars 2020-01-01T03:00:00.000Z .. 2020-01-01T04:00:00.000Z");
  });

  it("lists every broken rule of an invalid file, exit 1; --json gives the same as data", async () => {
    const r = await validate(join(dir, "bad.csv"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("bad.csv:3 column 1 (timestamp): duplicate_timestamp");
    expect(r.stdout).toContain("bad.csv:3 column 3 (high): high_below_open_close");
    const j = await validate(join(dir, "bad.csv"), join(dir, "good.csv"), "--json");
    expect(j.code).toBe(1);
    const lines = j.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const all = JSON.parse(lines[0]!) as { valid: boolean; files: Record<string, unknown>[] };
    expect(all.valid).toBe(false);
    const [bad, good] = all.files;
    expect(bad).toMatchObject({ valid: false, code: "duplicate_timestamp" });
    expect((bad!["issues"] as unknown[]).length).toBe(2);
    expect(good).toMatchObject({ valid: true, report: { rows: 5, gaps: { count: 1, missingBars: 2 } } });
  });

  it("checks alignment to --timeframe, reports unreadable files, rejects bad flags with exit 2", async () => {
    const r = await validate(join(dir, "good.csv"), "--timeframe", "4h");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("misaligned_timestamp");
    expect((await validate(join(dir, "missing.csv"))).code).toBe(1);
    expect((await validate(join(dir, "good.csv"), "--timeframe", "2h")).code).toBe(2);
    expect((await validate()).code).toBe(2);
  });

  it("a daily file checked as hourly is named wrong_timeframe, not 23 missing bars a day; hourly data with an outage is gaps", async () => {
    const D = 24 * H;
    writeFileSync(join(dir, "daily.csv"), ["timestamp,open,high,low,close,volume", ...Array.from({ length: 30 }, (_, i) => `${T0 + i * D},10,12,9,11,1`)].join("\n") + "\n");
    const r = await validate(join(dir, "daily.csv"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("daily.csv:3 column 1 (timestamp): wrong_timeframe: expected 1h bars (timeframe 1h; a gap is a longer step somewhere, not everywhere), got 1d bars: no two bars are closer than 1440 minutes; give the file's own timeframe (e.g. --timeframe 1d)");
    expect((await validate(join(dir, "daily.csv"), "--timeframe", "1d")).code).toBe(0);
    const hours = [...Array.from({ length: 30 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 200 + i)];
    writeFileSync(join(dir, "outage.csv"), ["timestamp,open,high,low,close,volume", ...hours.map((h) => `${T0 + h * H},10,12,9,11,1`)].join("\n") + "\n");
    const o = await validate(join(dir, "outage.csv"));
    expect(o.code).toBe(0);
    expect(o.stdout).toContain("1 gaps, 170 missing bars; largest 170 bars 2020-01-02T06:00:00.000Z .. 2020-01-09T07:00:00.000Z");
  });
});
