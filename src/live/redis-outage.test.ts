import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../bus/local-redis.js";
import { trainTestCheckpoint } from "./testing/checkpoints.js";

/**
 * R12 as an operator sees it: `npm run trade --replay … --redis URL` (a real process) with nothing listening on the
 * port says so in ONE line (not one per reconnect attempt), says nothing more while Redis stays away (the "still
 * unreachable" line comes once a minute: src/bus/connection-log.test.ts), and one line when a real redis-server
 * comes up on that port; with Redis there from the start, not a word.
 */
const dir = mkdtempSync(join(tmpdir(), "redis-outage-"));
let ck: string;
let redis: LocalRedis;

beforeAll(async () => {
  ck = await trainTestCheckpoint(dir, "seed");
  redis = await startLocalRedis({ appendOnly: false });
  await redis.stop(); // its port, with nothing listening
}, 120_000);
afterAll(async () => {
  await redis.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function trade(journal: string, extra: readonly string[], onLine?: (line: string) => void): Promise<{ code: number | null; lines: string[] }> {
  const args = ["--import", "tsx", "scripts/trade.ts", "--checkpoint", ck, "--replay", "embedded", "--symbol", "BTC/USD", "--timeframe", "1h", "--journal", journal, "--redis", redis.url, "--json", ...extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let rest = "";
  const take = (d: Buffer) => {
    rest += d.toString();
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      onLine?.(l);
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, lines: rest === "" ? lines : [...lines, rest] })));
}

const busLines = (lines: readonly string[]) => lines.filter((l) => /^(warn|info|error|alert): .*(redis|bus|ECONNREFUSED|writeable)/i.test(l));

describe("R12: an unreachable Redis is one line, and its return one more (real process, real port)", () => {
  it("unreachable at start, then a redis-server on the port: exactly two lines about it", async () => {
    let sawDown = false;
    // 335 paced bars (30 ms each: about 10 s): Redis comes up about 3 s after the first line.
    const run = trade(join(dir, "down.db"), ["--start", "2021-03-01", "--end", "2021-03-15", "--tick-ms", "30"], (l) => {
      if (!sawDown && /unreachable/.test(l)) {
        sawDown = true;
        setTimeout(() => void redis.start(), 3_000);
      }
    });
    const { code, lines } = await run;
    expect(code).toBe(0);
    const about = busLines(lines);
    expect(about, lines.join("\n")).toHaveLength(2);
    expect(about[0]).toMatch(new RegExp(`^warn: redis redis://127\\.0\\.0\\.1:${redis.port} unreachable \\(.*\\); running without the bus`));
    expect(about[1]).toMatch(new RegExp(`^info: redis redis://127\\.0\\.0\\.1:${redis.port} reachable again after \\d+(\\.\\d)? s \\(\\d+ failed attempt`));
    expect(JSON.parse(lines.find((l) => l.startsWith("{"))!)).toMatchObject({ mode: "replay", ticks: 335, stoppedBy: "end" });
  }, 90_000);

  it("reachable from the start: no line about the bus", async () => {
    await redis.start();
    const { code, lines } = await trade(join(dir, "up.db"), ["--start", "2021-03-01", "--end", "2021-03-03"]);
    expect(code).toBe(0);
    expect(busLines(lines), lines.join("\n")).toEqual([]);
  }, 60_000);
});
