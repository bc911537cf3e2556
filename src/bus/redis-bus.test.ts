import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busSuite } from "./bus.case.js";
import { startLocalRedis, type LocalRedis } from "./local-redis.js";
import { PUBLISH_BATCH_MAX, RedisBus } from "./redis-bus.js";

let redis: LocalRedis;
let n = 0;
beforeAll(async () => {
  redis = await startLocalRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

// Each bus gets its own namespace: the same server, isolated keys.
busSuite({
  name: "redis",
  create: async () => {
    const bus = new RedisBus({ url: redis.url, namespace: `t${n++}:` });
    await bus.waitReady();
    return bus;
  },
});

describe("RedisBus", () => {
  it("writes one field `json` per entry, under the topic's key", async () => {
    const bus = new RedisBus({ url: redis.url, namespace: "raw:" });
    await bus.waitReady();
    await bus.publish("ppo_state", '{"a":1}');
    const { Redis } = await import("ioredis");
    const c = new Redis(redis.url);
    const rows = (await c.xrange("raw:ppo_state", "-", "+")) as Array<[string, string[]]>;
    expect(rows[0]![1]).toEqual(["json", '{"a":1}']);
    expect(await c.get("raw:ppo_state:latest")).toBe('{"a":1}');
    c.disconnect();
    await bus.close();
  });

  it("publishes issued together share one MULTI per topic, in call order, each with its own entry id", async () => {
    const bus = new RedisBus({ url: redis.url, namespace: "batch:" });
    await bus.waitReady();
    const { Redis } = await import("ioredis");
    const c = new Redis(redis.url);
    const multis = async (): Promise<number> => Number(/cmdstat_multi:calls=(\d+)/.exec(await c.info("commandstats"))?.[1] ?? 0);
    const heard: string[] = [];
    const sub = await bus.subscribe("ppo_state", (m) => heard.push(m));
    const before = await multis();
    const n = PUBLISH_BATCH_MAX + 44;
    const ids = await Promise.all([
      ...Array.from({ length: n }, (_, i) => bus.publish("ppo_state", `{"seq":${i}}`)),
      bus.publish("coach_heartbeat", "hb", { latestTtlMs: 60_000 }),
    ]);
    // n states: two transactions (PUBLISH_BATCH_MAX, then the rest); the heartbeat: its own.
    expect((await multis()) - before).toBe(3);
    expect(bus.publishBatches).toBe(3);
    const rows = (await c.xrange("batch:ppo_state", "-", "+")) as Array<[string, string[]]>;
    expect(rows.map((r) => r[1][1])).toEqual(Array.from({ length: n }, (_, i) => `{"seq":${i}}`));
    expect(ids.slice(0, n)).toEqual(rows.map((r) => r[0]));
    expect(new Set(ids.slice(0, n)).size).toBe(n);
    expect(ids[n]).toMatch(/^\d+-\d+$/);
    expect(await c.get("batch:ppo_state:latest")).toBe(`{"seq":${n - 1}}`);
    expect(await c.pttl("batch:coach_heartbeat:latest")).toBeGreaterThan(50_000);
    expect(await c.pttl("batch:ppo_state:latest")).toBe(-1);
    expect(bus.counters.published).toBe(n + 1);
    // Pub/sub subscribers hear every one, in order.
    for (let t = 0; heard.length < n && t < 200; t++) await new Promise((r) => setTimeout(r, 10));
    expect(heard).toEqual(Array.from({ length: n }, (_, i) => `{"seq":${i}}`));
    // One awaited after another: one transaction each.
    const b2 = bus.publishBatches;
    for (let i = 0; i < 3; i++) await bus.publish("ppo_state", `{"seq":${n + i}}`);
    expect(bus.publishBatches - b2).toBe(3);
    await sub.close();
    c.disconnect();
    await bus.close();
  });

  it("a batch that cannot be sent drops each of its publishes and counts them", async () => {
    const bus = new RedisBus({ url: "redis://127.0.0.1:1", maxReconnectDelayMs: 50 });
    const ids = await Promise.all([bus.publish("ppo_state", "a"), bus.publish("ppo_state", "b"), bus.publish("coach_guidance", "c")]);
    expect(ids).toEqual([null, null, null]);
    expect(bus.counters.publishDropped).toBe(3);
    expect(bus.counters.published).toBe(0);
    await bus.close();
  });

  it("refuses clearly when nothing listens at the URL", async () => {
    const bus = new RedisBus({ url: "redis://127.0.0.1:1", maxReconnectDelayMs: 50 });
    await expect(bus.waitReady(300)).rejects.toThrow(/not ready within 300 ms/);
    expect(await bus.publish("ppo_state", "x")).toBeNull();
    expect(bus.counters.publishDropped).toBe(1);
    await bus.close();
  });
});
