import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../src/bus/local-redis.js";
import { runScript, spawnScript } from "../src/cli/testing.js";

const dir = mkdtempSync(join(tmpdir(), "coach-cli-"));
let redis: LocalRedis | null = null;
afterAll(async () => {
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run coach", () => {
  it("refuses to start without a Redis URL (exit 2, naming the flag)", async () => {
    const r = await runScript("scripts/coach.ts", []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^npm run coach: missing_value at --redis: /);
  }, 120_000);

  it("fails with one line on a bad rules file, a bad --llm and an unreachable Redis", async () => {
    const rules = join(dir, "bad-rules.json");
    writeFileSync(rules, JSON.stringify({ schemaVersion: 1, rules: [{ id: "r1", when: [{ fact: "volatilty", op: ">", value: 1 }], propose: { guidance: "none" } }] }));
    const [bad, llm, down] = await Promise.all([
      runScript("scripts/coach.ts", ["--redis", "redis://127.0.0.1:1", "--rules", rules, "--state", join(dir, "s1")]),
      runScript("scripts/coach.ts", ["--redis", "redis://127.0.0.1:1", "--llm", "gpt4"]),
      runScript("scripts/coach.ts", ["--redis", "redis://127.0.0.1:1", "--state", join(dir, "s2")]),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^npm run coach: invalid_rules at .*bad-rules\.json: rules\[0\] \(id "r1"\): when\[0\]\.fact: unknown fact "volatilty"/);
    // A malformed --llm is a usage error: exit 2 naming the flag, nothing done.
    expect(llm.code).toBe(2);
    expect(llm.stderr).toMatch(/^npm run coach: invalid_flag at --llm: expected provider:model/);
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^npm run coach: bus_unavailable at --redis: Redis at redis:\/\/127\.0\.0\.1:1 not ready/);
    // A refused start leaves no empty state folder behind.
    expect(existsSync(join(dir, "s1"))).toBe(false);
    expect(existsSync(join(dir, "s2"))).toBe(false);
  }, 240_000);

  it("runs as a service: a state in, guidance out, a heartbeat; SIGTERM stops it (143)", async () => {
    redis = await startLocalRedis();
    const coach = spawnScript("scripts/coach.ts", ["--redis", redis.url, "--state", join(dir, "state"), "--heartbeat-ms", "200"]);
    await coach.waitFor(/coach coach-1: rules/, 120_000);
    const c = new Redis(redis.url);
    const state = (seq: number, value: number) =>
      JSON.stringify({ schemaVersion: 1, seq, ts: Date.now() - 60_000, price: 100, action: "hold", portfolio: { cash: value, coins: 0, value }, drawdown: 1 - value / 1000, intervalMs: 3_600_000 });
    await c.xadd("ppo_state", "*", "json", state(0, 1000));
    await c.xadd("ppo_state", "*", "json", state(1, 850));
    await coach.waitFor(/cycle 2 seq 1: selected → adjust_risk=0\.5 v1/, 60_000);
    const g = JSON.parse((await c.get("coach_guidance:latest"))!);
    expect(g).toMatchObject({ guidance: "adjust_risk", value: 0.5, version: 1, rule: "deep-drawdown", stateSeq: 1 });
    expect(JSON.parse((await c.get("coach_heartbeat:latest"))!)).toMatchObject({ coachId: "coach-1", status: "ok" });
    // Each cycle's trace is on the coach_trace stream (published before the cycle's log line).
    expect(await c.xlen("coach_trace")).toBe(2);
    expect(JSON.parse(((await c.xrevrange("coach_trace", "+", "-", "COUNT", 1)) as Array<[string, string[]]>)[0]![1][1]!)).toMatchObject({ cycle: 2, decision: "selected", output: "published" });
    coach.child.kill("SIGTERM");
    const r = await coach.done;
    expect(r.code).toBe(143);
    expect(r.stdout).toMatch(/stopped after 2 cycles, 1 guidance published/);
    c.disconnect();
  }, 240_000);
});
