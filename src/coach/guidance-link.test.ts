import { afterEach, describe, expect, it } from "vitest";
import { EXAMPLES } from "../bus/messages.js";
import { startLocalRedis, type LocalRedis } from "../bus/local-redis.js";
import { RedisBus } from "../bus/redis-bus.js";
import { linkGuidance } from "./guidance-link.js";
import { GuidanceReceiver } from "./guidance-receiver.js";

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};
const g = (version: number, value: number, now: number): string =>
  JSON.stringify({ ...EXAMPLES.guidance, id: `coach-1:${version}`, version, value, issuedAt: now, expiresAt: now + 60_000 });

let redis: LocalRedis | null = null;
afterEach(async () => {
  await redis?.destroy();
  redis = null;
});

describe("guidance over Redis into the receiver", () => {
  it("R13 guidance published while the trader is down is applied on its start; bad input is acked, not redelivered", async () => {
    redis = await startLocalRedis();
    const coach = new RedisBus({ url: redis.url, commandTimeoutMs: 10_000 });
    const trader = new RedisBus({ url: redis.url, maxReconnectDelayMs: 100 });
    await coach.waitReady();
    await trader.waitReady();
    // The trader's group exists from an earlier run.
    await trader.ensureGroup("coach_guidance", "trader");
    const t = Date.now();
    await coach.publish("coach_guidance", g(1, 0.9, t));
    await coach.publish("coach_guidance", "{broken");
    await coach.publish("coach_guidance", g(3, 0.5, t));
    await coach.publish("coach_guidance", g(2, 0.1, t)); // older version arriving late
    const receiver = new GuidanceReceiver();
    const link = linkGuidance(trader, receiver, { blockMs: 50, latestPollMs: 100 });
    await until(() => receiver.counters.received >= 4);
    await until(async () => (await trader.pendingCount("coach_guidance", "trader")) === 0);
    expect(receiver.effective(Date.now()).riskScale).toBe(0.5);
    expect(receiver.counters.applied).toBe(2);
    expect(receiver.counters.rejected).toBe(1);
    expect(receiver.lastVersion).toBe(3);
    await link.stop();
    await coach.close();
    await trader.close();
  });

  it("R12 across a Redis restart the last guidance stays in force, and new guidance arrives after it", async () => {
    redis = await startLocalRedis({ appendOnly: true });
    const coach = new RedisBus({ url: redis.url, maxReconnectDelayMs: 100, commandTimeoutMs: 10_000 });
    const trader = new RedisBus({ url: redis.url, maxReconnectDelayMs: 100 });
    await coach.waitReady();
    await trader.waitReady();
    const receiver = new GuidanceReceiver({ maxAgeMs: 60_000 });
    const errors: unknown[] = [];
    const link = linkGuidance(trader, receiver, { blockMs: 50, latestPollMs: 100, onError: (e) => errors.push(e) });
    await coach.publish("coach_guidance", g(1, 0.7, Date.now()));
    await until(() => receiver.effective(Date.now()).riskScale === 0.7);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.effective(Date.now()).riskScale).toBe(0.7);
    await redis.start();
    await until(() => coach.connected);
    await coach.publish("coach_guidance", g(2, 0.4, Date.now()));
    await until(() => receiver.effective(Date.now()).riskScale === 0.4);
    expect(errors.length).toBeGreaterThan(0);
    await link.stop();
    await coach.close();
    await trader.close();
  });
});
