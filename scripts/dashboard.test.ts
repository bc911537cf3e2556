import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../src/bus/local-redis.js";
import { runScript, spawnScript } from "../src/cli/testing.js";

let redis: LocalRedis | null = null;
afterAll(async () => {
  await redis?.destroy();
});

describe("npm run dashboard", () => {
  it("--help lists the flags with their defaults (loopback, port 8050)", async () => {
    const r = await runScript("scripts/dashboard.ts", ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--host <TEXT>\s+address to listen on \(default: 127\.0\.0\.1\)/);
    expect(r.stdout).toMatch(/--port <N>.*\(default: 8050\)/);
    expect(r.stdout).toMatch(/DASHBOARD_TOKEN/);
  });

  it("refuses without --redis (2), off loopback without a token or with an example one (1), and on an unreachable Redis (1), in one line", async () => {
    const [none, open, example, down] = await Promise.all([
      runScript("scripts/dashboard.ts", []),
      runScript("scripts/dashboard.ts", ["--redis", "redis://127.0.0.1:1", "--host", "0.0.0.0"], { env: { DASHBOARD_TOKEN: "" } }),
      runScript("scripts/dashboard.ts", ["--redis", "redis://127.0.0.1:1"], { env: { DASHBOARD_TOKEN: "replace-with-a-long-random-token" } }),
      runScript("scripts/dashboard.ts", ["--redis", "redis://dashboard:s3cret-pw@127.0.0.1:1"], { env: { DASHBOARD_TOKEN: "" } }),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^npm run dashboard: missing_value at --redis: /);
    expect(open.code).toBe(1);
    expect(open.stderr.trim()).toMatch(/^npm run dashboard: insecure_config at --host: listening on 0\.0\.0\.0 \(not loopback\) needs a token: set DASHBOARD_TOKEN/);
    expect(open.stderr.trim().split("\n")).toHaveLength(1);
    expect(example.code).toBe(1);
    expect(example.stderr.trim()).toMatch(/^npm run dashboard: insecure_config at DASHBOARD_TOKEN: DASHBOARD_TOKEN is an example secret/);
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^npm run dashboard: bus_unavailable at --redis: Redis at redis:\/\/dashboard:\*\*\*@127\.0\.0\.1:1\/? not ready/);
    expect(down.stderr + down.stdout).not.toContain("s3cret-pw");
  });

  it("--journal naming a folder, a user's text file or another program's SQLite database: exit 1, one line, the file untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dashboard-journal-"));
    try {
      const folder = join(dir, "my-folder");
      mkdirSync(folder);
      const notes = join(dir, "notes.txt");
      writeFileSync(notes, "my notes\n");
      const other = join(dir, "other.sqlite");
      const db = new Database(other);
      db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
      db.close();
      const before = readFileSync(other);
      // Refused before connecting: the unreachable Redis is never reached.
      const [f, n, o] = await Promise.all(
        [folder, notes, other].map((j) => runScript("scripts/dashboard.ts", ["--redis", "redis://127.0.0.1:1", "--journal", j], { env: { DASHBOARD_TOKEN: "" } })),
      );
      for (const r of [f!, n!, o!]) {
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).not.toContain("bus_unavailable");
      }
      expect(f!.stderr.trim()).toBe(`npm run dashboard: not_a_journal at --journal: ${folder} is a folder; expected the trader's journal file (SQLite, e.g. journals/paper-binance-BTC-USDT-1h.db)`);
      expect(n!.stderr.trim()).toMatch(/^npm run dashboard: not_a_journal at --journal: .*notes\.txt is not a trader journal \(not an SQLite file\)/);
      expect(o!.stderr.trim()).toMatch(/^npm run dashboard: not_a_journal at --journal: .*other\.sqlite is an SQLite database without the trader's meta table \(tables t\)/);
      expect(readFileSync(notes, "utf8")).toBe("my notes\n");
      expect(readFileSync(other).equals(before)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--sweep naming a folder that is not a sweep's, a missing one or a file: exit 1, one line naming --sweep, before Redis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dashboard-sweep-"));
    try {
      const mine = join(dir, "my-folder");
      mkdirSync(mine);
      writeFileSync(join(mine, "progress.json"), "{\"mine\": true}\n");
      const file = join(dir, "notes.txt");
      writeFileSync(file, "my notes\n");
      const [m, f, gone] = await Promise.all(
        [mine, file, join(dir, "nope")].map((d) => runScript("scripts/dashboard.ts", ["--redis", "redis://127.0.0.1:1", "--sweep", d], { env: { DASHBOARD_TOKEN: "" } })),
      );
      for (const r of [m!, f!, gone!]) {
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).not.toContain("bus_unavailable");
      }
      expect(m!.stderr.trim()).toBe(`npm run dashboard: not_a_sweep at --sweep: ${mine} is not a sweep folder the project wrote (no sweep.json record of npm run sweep in it)`);
      expect(f!.stderr.trim()).toBe(`npm run dashboard: not_a_sweep at --sweep: ${file} is a file, not a sweep folder (give the --out folder of npm run sweep)`);
      expect(gone!.stderr.trim()).toMatch(/^npm run dashboard: not_a_sweep at --sweep: .*nope does not exist/);
      expect(readFileSync(join(mine, "progress.json"), "utf8")).toBe("{\"mine\": true}\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves on loopback with a token it prints, answers 401 without it, and stops on SIGTERM (143)", async () => {
    redis = await startLocalRedis();
    const d = spawnScript("scripts/dashboard.ts", ["--redis", redis.url, "--port", "0"], { env: { DASHBOARD_TOKEN: "" } });
    await d.waitFor(/dashboard: open http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/, 60_000);
    const m = /open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(d.stdout())!;
    const [url, token] = [m[1]!, decodeURIComponent(m[2]!)];
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect((await fetch(`${url}/api/state`)).status).toBe(401);
    const s = await fetch(`${url}/api/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(s.status).toBe(200);
    expect(JSON.stringify(await s.json())).not.toContain(token);
    d.child.kill("SIGTERM");
    const r = await d.done;
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/dashboard: stopped/);
  });
});
