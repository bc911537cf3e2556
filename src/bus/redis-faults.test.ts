/**
 * Fault tests of the Redis bus against a real redis-server on a free loopback port: a restart mid-run (R12),
 * no stale replay after an outage (R14), a frozen server (half-open, R15), access control (R19).
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { aclFile } from "./acl.js";
import type { StreamEntry } from "./bus.js";
import { consume } from "./consume.js";
import { startLocalRedis, type LocalRedis } from "./local-redis.js";
import { RedisBus } from "./redis-bus.js";

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

let redis: LocalRedis | null = null;
const buses: RedisBus[] = [];
afterEach(async () => {
  for (const b of buses.splice(0)) await b.close();
  await redis?.destroy();
  redis = null;
});
const open = async (url: string): Promise<RedisBus> => {
  const b = new RedisBus({ url, maxReconnectDelayMs: 100, commandTimeoutMs: 3_000 });
  buses.push(b);
  await b.waitReady();
  return b;
};

describe("R12 Redis restarts mid-run", () => {
  it("no crash, no unhandled error; consumers and subscribers resume; nothing published before the outage is lost", async () => {
    redis = await startLocalRedis({ appendOnly: true });
    const coach = await open(redis.url);
    const trader = await open(redis.url);
    const applied: string[] = [];
    const heard: string[] = [];
    await trader.subscribe("coach_guidance", (m) => heard.push(m));
    const ctl = new AbortController();
    const loop = consume(trader, "coach_guidance", {
      group: "trader",
      consumer: "t1",
      start: "0",
      signal: ctl.signal,
      blockMs: 100,
      claimEveryMs: 1e9,
      handler: (e: StreamEntry) => void applied.push(e.json),
    });
    expect(await coach.publish("coach_guidance", "before")).not.toBeNull();
    await until(() => applied.includes("before"));

    await redis.stop();
    // During the outage: publishes are dropped and counted (never queued), reads fail and are retried.
    expect(await coach.publish("coach_guidance", "during")).toBeNull();
    expect(coach.counters.publishDropped).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 400));
    await redis.start();

    await until(() => trader.connected && coach.connected);
    // Pub/sub is at most once and the subscriber's connection may come back after the command connections: "after"
    // is re-sent until the subscriber hears it (every copy also lands on the stream, which loses none).
    await until(async () => {
      if (!heard.includes("after")) await coach.publish("coach_guidance", "after");
      return heard.includes("after");
    }, 20_000);
    await until(() => applied.includes("after"));
    // The latest key survived (AOF): a late joiner re-reads it.
    expect(await trader.latest("coach_guidance")).toBe("after");
    ctl.abort();
    const stats = await loop;
    expect(stats.busErrors).toBeGreaterThan(0);
    expect(applied[0]).toBe("before");
    expect(applied).not.toContain("during");
    expect(new Set(applied.slice(1))).toEqual(new Set(["after"]));
    expect(trader.counters.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("an entry delivered before the outage and not acked is applied after it (pending re-read)", async () => {
    redis = await startLocalRedis({ appendOnly: true });
    const bus = await open(redis.url);
    await bus.ensureGroup("coach_guidance", "trader", "0");
    await bus.publish("coach_guidance", "g1");
    expect(await bus.readGroup("coach_guidance", "trader", "t1", { from: "new", count: 10, blockMs: 0 })).toHaveLength(1);
    await redis.stop();
    await redis.start();
    await until(() => bus.connected);
    const applied: string[] = [];
    const ctl = new AbortController();
    const loop = consume(bus, "coach_guidance", { group: "trader", consumer: "t1", signal: ctl.signal, blockMs: 50, claimEveryMs: 1e9, handler: (e) => void applied.push(e.json) });
    await until(() => applied.length === 1);
    ctl.abort();
    await loop;
    expect(applied).toEqual(["g1"]);
    expect(await bus.pendingCount("coach_guidance", "trader")).toBe(0);
  });
});

describe("R14 no stale-state replay after an outage", () => {
  it("states published while Redis is down are dropped and counted, not sent as a burst on reconnect", async () => {
    redis = await startLocalRedis({ appendOnly: true });
    const trader = await open(redis.url);
    await trader.publish("ppo_state", JSON.stringify({ seq: 1 }));
    await redis.stop();
    for (let seq = 2; seq <= 4; seq++) expect(await trader.publish("ppo_state", JSON.stringify({ seq }))).toBeNull();
    expect(trader.counters.publishDropped).toBe(3);
    await redis.start();
    await until(() => trader.connected);
    await new Promise((r) => setTimeout(r, 200));
    await trader.publish("ppo_state", JSON.stringify({ seq: 5 }));
    const c = new Redis(redis.url);
    const rows = (await c.xrange("ppo_state", "-", "+")) as Array<[string, string[]]>;
    c.disconnect();
    expect(rows.map((r) => JSON.parse(r[1][1]!).seq)).toEqual([1, 5]);
  });
});

describe("R15 half-open connection", () => {
  it("a blocking read on a frozen server returns within its bound, and the bus recovers after", async () => {
    redis = await startLocalRedis({ appendOnly: false });
    const bus = await open(redis.url);
    await bus.ensureGroup("coach_guidance", "trader");
    redis.pause();
    const t0 = Date.now();
    const r = await bus.readGroup("coach_guidance", "trader", "t1", { from: "new", count: 1, blockMs: 300 }).then(
      (x) => x,
      (err: unknown) => err,
    );
    const waited = Date.now() - t0;
    // ioredis' blocking timeout resolves the read (empty) within blockMs + 1 s, instead of hanging forever.
    expect(waited).toBeLessThan(3_000);
    expect(Array.isArray(r) ? r : []).toEqual([]);
    // Plain commands fail by their timeout (a publish is dropped, not queued).
    expect(await bus.publish("coach_guidance", "x")).toBeNull();
    redis.resume();
    await until(async () => (await bus.publish("coach_guidance", "y")) !== null);
    const got = await bus.readGroup("coach_guidance", "trader", "t1", { from: "new", count: 10, blockMs: 500 });
    expect(got.map((e) => e.json)).toContain("y");
  });
});

describe("R19 Redis access control", () => {
  const users = [
    { role: "coach" as const, name: "coach", password: "coach-pw-1" },
    { role: "trader" as const, name: "trader", password: "trader-pw-1" },
    { role: "dashboard" as const, name: "dash", password: "dash-pw-1" },
  ];
  const refused = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return "allowed";
    } catch (err) {
      return err instanceof Error ? err.message.split(" ")[0]! : String(err);
    }
  };

  it("no unauthenticated access; each role can do only its job", async () => {
    redis = await startLocalRedis({ acl: aclFile(users) });
    const anon = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    anon.on("error", () => {});
    await anon.connect().catch(() => {});
    expect(await refused(anon.get("x"))).toMatch(/NOAUTH|NOPERM|WRONGPASS/);
    anon.disconnect();

    // Through the bus, as each role would run.
    const coach = await open(redis.urlFor("coach", "coach-pw-1"));
    const trader = await open(redis.urlFor("trader", "trader-pw-1"));
    expect(await coach.publish("coach_guidance", "g")).not.toBeNull();
    expect(await coach.publish("coach_heartbeat", "hb")).not.toBeNull();
    expect(await coach.publish("ppo_state", "forged")).toBeNull();
    expect(await trader.publish("ppo_state", "s")).not.toBeNull();
    expect(await trader.publish("coach_guidance", "forged")).toBeNull();
    // Each consumes the other's stream.
    await trader.ensureGroup("coach_guidance", "trader", "0");
    expect((await trader.readGroup("coach_guidance", "trader", "t", { from: "new", count: 10, blockMs: 0 })).map((e) => e.json)).toEqual(["g"]);
    await coach.ensureGroup("ppo_state", "coach", "0");
    expect((await coach.readGroup("ppo_state", "coach", "c", { from: "new", count: 10, blockMs: 0 })).map((e) => e.json)).toEqual(["s"]);
    expect(await trader.latest("coach_guidance")).toBe("g");

    const raw = (user: string, pw: string): Redis => {
      const c = new Redis(redis!.urlFor(user, pw), { maxRetriesPerRequest: 0 });
      c.on("error", () => {});
      return c;
    };
    const c = raw("coach", "coach-pw-1");
    for (const cmd of [c.config("GET", "*"), c.flushall(), c.keys("*"), c.xadd("ppo_state", "*", "json", "x"), c.publish("ppo_state", "x")]) {
      expect(await refused(cmd)).toBe("NOPERM");
    }
    const d = raw("dash", "dash-pw-1");
    expect(await d.get("coach_guidance:latest")).toBe("g");
    expect(((await d.xrange("ppo_state", "-", "+")) as unknown[]).length).toBe(1);
    for (const cmd of [d.set("x", "1"), d.xadd("coach_guidance", "*", "json", "x"), d.publish("coach_guidance", "x"), d.flushall()]) {
      expect(await refused(cmd)).toBe("NOPERM");
    }
    c.disconnect();
    d.disconnect();
  });
});
