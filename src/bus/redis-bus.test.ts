import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busSuite } from "./bus.case.js";
import { startLocalRedis, type LocalRedis } from "./local-redis.js";
import { RedisBus } from "./redis-bus.js";

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

  it("refuses clearly when nothing listens at the URL", async () => {
    const bus = new RedisBus({ url: "redis://127.0.0.1:1", maxReconnectDelayMs: 50 });
    await expect(bus.waitReady(300)).rejects.toThrow(/not ready within 300 ms/);
    expect(await bus.publish("ppo_state", "x")).toBeNull();
    expect(bus.counters.publishDropped).toBe(1);
    await bus.close();
  });
});
