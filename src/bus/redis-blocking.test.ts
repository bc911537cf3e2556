import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consume } from "./consume.js";
import { startLocalRedis, type LocalRedis } from "./local-redis.js";
import { RedisBus } from "./redis-bus.js";

/**
 * One consumer name reading two streams (the trader consumes coach_guidance and trader_control as
 * `trader-<run>`): each stream gets its own blocking connection, so one loop's BLOCK read never queues behind the
 * other's, outlives its blocking timeout, resolves empty and leaves the entry Redis delivered meanwhile pending
 * until a reclaim a minute later (found by the dashboard's control test: a control acknowledged after ~60 s).
 */
let redis: LocalRedis;
beforeAll(async () => {
  redis = await startLocalRedis({ appendOnly: false });
});
afterAll(async () => {
  await redis.destroy();
});

describe("RedisBus blocking reads", () => {
  it("serve two streams read by one consumer name without delay", async () => {
    const bus = new RedisBus({ url: redis.url, onError: () => {} });
    await bus.waitReady();
    const stop = new AbortController();
    const got: Array<{ topic: string; at: number }> = [];
    const loops = (["coach_guidance", "trader_control"] as const).map((topic) =>
      consume(bus, topic, { group: "g", consumer: "same-name", signal: stop.signal, blockMs: 300, handler: async () => void got.push({ topic, at: Date.now() }) }),
    );
    try {
      await new Promise((r) => setTimeout(r, 500)); // both loops blocked in XREADGROUP
      for (let i = 0; i < 5; i++) {
        const sent = Date.now();
        await bus.publish("trader_control", JSON.stringify({ n: i }));
        while (got.filter((g) => g.topic === "trader_control").length <= i) {
          if (Date.now() - sent > 3_000) throw new Error(`entry ${i} of trader_control not consumed within 3 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      expect(await bus.pendingCount("trader_control", "g")).toBe(0);
    } finally {
      stop.abort();
      await Promise.all(loops);
      await bus.close();
    }
  });
});
