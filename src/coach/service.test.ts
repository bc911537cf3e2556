import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../bus/local-redis.js";
import { RedisBus } from "../bus/redis-bus.js";
import { LibsqlSaver } from "./libsql-saver.js";

const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "drl-r18-"));
let redis: LocalRedis | null = null;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// Every run prunes its checkpoints after each cycle down to the newest one: resume must need nothing more.
const child = (url: string, db: string, killNode = "", killSeq = -1): { proc: ChildProcess; out: string[]; exited: Promise<number | string | null> } => {
  const proc = spawn(process.execPath, ["--import", "tsx", new URL("./testdata/coach-child.ts", import.meta.url).pathname, url, db, killNode, String(killSeq), "1:1"], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  const out: string[] = [];
  proc.stdout!.on("data", (d: Buffer) => out.push(...d.toString().split("\n").filter(Boolean)));
  proc.stderr!.on("data", (d: Buffer) => out.push(...d.toString().split("\n").filter(Boolean)));
  const exited = new Promise<number | string | null>((resolve) => proc.once("exit", (code, sig) => resolve(sig ?? code)));
  return { proc, out, exited };
};

// Generous bounds: each child process loads tsx and LangGraph, which takes seconds on a loaded 2-core machine.
const until = async (cond: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

const BASE = Date.now() - 24 * H;
const state = (seq: number, value: number, peak: number): string =>
  JSON.stringify({ schemaVersion: 1, seq, ts: BASE + seq * H, price: 100, action: "hold", drawdown: 1 - value / peak, portfolio: { cash: value, coins: 0, value }, intervalMs: H });

describe("R18 coach restart and persistence", () => {
  it("a coach killed mid-graph (pruning its checkpoints every cycle) resumes the cycle from its checkpoint; the guidance version never goes backwards", async () => {
    redis = await startLocalRedis();
    const db = join(dir, "coach.db");
    // A publish that times out on a loaded machine is dropped (by design, R14): the test resends until it lands.
    const trader = new RedisBus({ url: redis.url, commandTimeoutMs: 10_000 });
    await trader.waitReady();
    const send = async (json: string): Promise<void> => until(async () => (await trader.publish("ppo_state", json)) !== null);
    const raw = new Redis(redis.url);
    raw.on("error", () => {});
    const versions = async (): Promise<number[]> =>
      ((await raw.xrange("coach_guidance", "-", "+")) as Array<[string, string[]]>).map((r) => (JSON.parse(r[1][1]!) as { version: number }).version);

    // First run: dies on entering `output` for seq 3 — the guidance (v2) is formed and checkpointed, not published.
    const first = child(redis.url, db, "output", 3);
    await until(() => first.out.some((l) => l.startsWith("coach coach-r18")));
    await send(state(0, 1000, 1000)); // calm: nothing
    await send(state(1, 900, 1000)); // drawdown 10 %: v1
    await until(async () => (await versions()).length === 1).catch((e) => {
      throw new Error(`${String(e)}; first run:\n${first.out.join("\n")}`);
    });
    await send(state(2, 900, 1000)); // same guidance in force: unchanged
    await send(state(3, 850, 1000)); // 1 tick left of 3 → refresh: v2, killed before output
    expect(await first.exited).toBe("SIGKILL");
    expect(await versions()).toEqual([1]);

    // Second run: resumes the interrupted cycle, publishes v2 once, then carries on from v3.
    const second = child(redis.url, db);
    await until(async () => (await versions()).length === 2).catch((e) => {
      throw new Error(`${String(e)}; first run:\n${first.out.join("\n")}\nsecond run:\n${second.out.join("\n")}`);
    });
    await until(() => second.out.some((l) => l.includes("resumed an interrupted cycle")));
    await send(state(4, 800, 1000));
    await send(state(5, 800, 1000));
    await send(state(6, 800, 1000));
    await until(async () => (await versions()).length >= 3);
    second.proc.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    // Pruned after every cycle: the database holds the newest checkpoint only (it grew by 3 per cycle before).
    const saver = new LibsqlSaver(db);
    expect(saver.rowCounts().checkpoints).toBe(1);
    saver.close();

    // Third run with the checkpoint file gone: the version floor comes from the bus.
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    const third = child(redis.url, join(dir, "fresh.db"));
    await until(() => third.out.some((l) => l.startsWith("coach coach-r18")));
    const before = await versions();
    await send(state(7, 1000, 1000));
    await send(state(8, 800, 1000));
    await until(async () => (await versions()).length > before.length);
    third.proc.kill("SIGTERM");
    await third.exited;

    const all = await versions();
    // Strictly increasing: no version reused, none goes backwards.
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
    expect(all.slice(0, 2)).toEqual([1, 2]);
    // The killed cycle's state (seq 3) was redelivered to the second run and ignored as already seen.
    expect(second.out.some((l) => l.includes("ppo_state seq 3 ≤ 3 already seen: ignored"))).toBe(true);
    // The heartbeat is there for the trader (R15).
    expect(JSON.parse((await raw.get("coach_heartbeat:latest")) ?? "{}")).toMatchObject({ coachId: "coach-r18", status: "stopped" });
    raw.disconnect();
    await trader.close();
    expect(third.out.some((l) => l.includes(`version ${before.at(-1)}`))).toBe(true);
  }, 400_000);
});
