/**
 * One test suite for the Bus interface, run against every implementation (memory.test.ts, redis-bus.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bus, StreamEntry } from "./bus.js";
import { consume } from "./consume.js";

export interface BusFactory {
  readonly name: string;
  /** A fresh bus with empty streams. */
  create(): Promise<Bus>;
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

export function busSuite(factory: BusFactory): void {
  describe(`Bus contract: ${factory.name}`, () => {
    let bus: Bus;
    beforeEach(async () => {
      bus = await factory.create();
    });
    afterEach(async () => {
      await bus.close();
    });

    it("publish writes the stream, the channel and the latest key", async () => {
      const heard: string[] = [];
      const sub = await bus.subscribe("coach_guidance", (m) => heard.push(m));
      expect(await bus.latest("coach_guidance")).toBeNull();
      const id1 = await bus.publish("coach_guidance", '{"n":1}');
      const id2 = await bus.publish("coach_guidance", '{"n":2}');
      expect(id1).toMatch(/^\d+-\d+$/);
      expect(id2).not.toBe(id1);
      await until(() => heard.length === 2);
      expect(heard).toEqual(['{"n":1}', '{"n":2}']);
      expect(await bus.latest("coach_guidance")).toBe('{"n":2}');
      expect(await bus.streamLength("coach_guidance")).toBe(2);
      expect(await bus.latest("ppo_state")).toBeNull();
      await sub.close();
    });

    it("a group created with $ sees only new entries; one created with 0 sees all", async () => {
      await bus.publish("ppo_state", "old");
      await bus.ensureGroup("ppo_state", "late", "$");
      await bus.ensureGroup("ppo_state", "all", "0");
      await bus.publish("ppo_state", "new");
      const late = await bus.readGroup("ppo_state", "late", "c1", { from: "new", count: 10, blockMs: 0 });
      const all = await bus.readGroup("ppo_state", "all", "c1", { from: "new", count: 10, blockMs: 0 });
      expect(late.map((e) => e.json)).toEqual(["new"]);
      expect(all.map((e) => e.json)).toEqual(["old", "new"]);
      // ensureGroup on an existing group keeps its position.
      await bus.ensureGroup("ppo_state", "all", "0");
      expect(await bus.readGroup("ppo_state", "all", "c1", { from: "new", count: 10, blockMs: 0 })).toEqual([]);
    });

    it("unacked entries come back as pending with a growing delivery count; acked ones do not", async () => {
      await bus.ensureGroup("coach_guidance", "g", "0");
      await bus.publish("coach_guidance", "a");
      await bus.publish("coach_guidance", "b");
      const first = await bus.readGroup("coach_guidance", "g", "c", { from: "new", count: 10, blockMs: 0 });
      expect(first.map((e) => [e.json, e.deliveries])).toEqual([["a", 1], ["b", 1]]);
      expect(await bus.pendingCount("coach_guidance", "g")).toBe(2);
      expect(await bus.ack("coach_guidance", "g", [first[0]!.id])).toBe(1);
      expect(await bus.ack("coach_guidance", "g", [first[0]!.id])).toBe(0);
      const again = await bus.readGroup("coach_guidance", "g", "c", { from: "pending", count: 10, blockMs: 0 });
      expect(again.map((e) => [e.json, e.deliveries])).toEqual([["b", 2]]);
      // Another consumer's pending entries are not ours.
      expect(await bus.readGroup("coach_guidance", "g", "other", { from: "pending", count: 10, blockMs: 0 })).toEqual([]);
    });

    it("a blocking read waits for a publish, and returns empty within its bound", async () => {
      await bus.ensureGroup("ppo_state", "g");
      const t0 = Date.now();
      expect(await bus.readGroup("ppo_state", "g", "c", { from: "new", count: 10, blockMs: 150 })).toEqual([]);
      const waited = Date.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(100);
      expect(waited).toBeLessThan(2_000);
      const read = bus.readGroup("ppo_state", "g", "c", { from: "new", count: 10, blockMs: 2_000 });
      await new Promise((r) => setTimeout(r, 30));
      await bus.publish("ppo_state", "x");
      expect((await read).map((e) => e.json)).toEqual(["x"]);
    });

    it("claimStale takes over entries a dead consumer left pending", async () => {
      await bus.ensureGroup("coach_guidance", "g", "0");
      await bus.publish("coach_guidance", "orphan");
      await bus.readGroup("coach_guidance", "g", "dead-consumer", { from: "new", count: 10, blockMs: 0 });
      expect(await bus.claimStale("coach_guidance", "g", "alive", 60_000, 10)).toEqual([]);
      await new Promise((r) => setTimeout(r, 30));
      const claimed = await bus.claimStale("coach_guidance", "g", "alive", 10, 10);
      expect(claimed.map((e) => [e.json, e.deliveries])).toEqual([["orphan", 2]]);
      const mine = await bus.readGroup("coach_guidance", "g", "alive", { from: "pending", count: 10, blockMs: 0 });
      expect(mine.map((e) => e.json)).toEqual(["orphan"]);
    });

    it("a late joiner reads the stream's newest entries, oldest first", async () => {
      expect(await bus.recent("ppo_state", 5)).toEqual([]);
      for (let i = 0; i < 7; i++) await bus.publish("ppo_state", `s${i}`);
      const last3 = await bus.recent("ppo_state", 3);
      expect(last3.map((e) => e.json)).toEqual(["s4", "s5", "s6"]);
      // Ids increase along the stream (they are the entries' stream ids, as a consumer group sees them).
      const idKey = (id: string): [number, number] => id.split("-").map(Number) as [number, number];
      for (let i = 1; i < last3.length; i++) {
        const [p, q] = [idKey(last3[i - 1]!.id), idKey(last3[i]!.id)];
        expect(p[0] < q[0] || (p[0] === q[0] && p[1] < q[1])).toBe(true);
      }
      expect((await bus.recent("ppo_state", 100)).map((e) => e.json)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
      expect(await bus.recent("ppo_state", 0)).toEqual([]);
      expect(await bus.recent("coach_guidance", 3)).toEqual([]);
    });

    it("streams are bounded", async () => {
      for (let i = 0; i < 400; i++) await bus.publish("coach_heartbeat", String(i));
      const len = await bus.streamLength("coach_heartbeat");
      // MAXLEN ~ 100: Redis trims whole nodes, so a little over the bound.
      expect(len).toBeGreaterThanOrEqual(100);
      expect(len).toBeLessThan(250);
    });

    it("the latest key can expire (a heartbeat)", async () => {
      await bus.publish("coach_heartbeat", "hb", { latestTtlMs: 50 });
      expect(await bus.latest("coach_heartbeat")).toBe("hb");
      await new Promise((r) => setTimeout(r, 120));
      expect(await bus.latest("coach_heartbeat")).toBeNull();
    });

    // R13: ack after apply, pending re-read after a restart, poison to the dead-letter stream.
    it("R13 consume: applies, acks, re-reads pending after a crash, dead-letters a poison entry", async () => {
      await bus.ensureGroup("coach_guidance", "trader", "0");
      // The coach publishes 3 entries while the trader is down.
      for (const m of ["g1", "g2", "g3"]) await bus.publish("coach_guidance", m);
      // A first trader run takes delivery of g1..g3 and dies before acking anything.
      const lost = await bus.readGroup("coach_guidance", "trader", "trader-1", { from: "new", count: 10, blockMs: 0 });
      expect(lost).toHaveLength(3);
      await bus.publish("coach_guidance", "poison");
      await bus.publish("coach_guidance", "g4");

      const applied: string[] = [];
      const settled: Array<[string, string]> = [];
      const ctl = new AbortController();
      const run = consume(bus, "coach_guidance", {
        group: "trader",
        consumer: "trader-1",
        signal: ctl.signal,
        blockMs: 50,
        maxDeliveries: 3,
        retryDelayMs: 5,
        claimEveryMs: 1e9,
        handler: (e: StreamEntry) => {
          if (e.json === "poison") throw new Error("handler bug");
          applied.push(e.json);
        },
        onSettled: (e, outcome) => settled.push([e.json, outcome]),
      });
      await until(() => applied.length === 4 && settled.length === 5);
      ctl.abort();
      const stats = await run;
      // Pending ones first (in order), then the new ones.
      expect(applied).toEqual(["g1", "g2", "g3", "g4"]);
      expect(settled).toContainEqual(["poison", "dead_lettered"]);
      expect(stats.deadLettered).toBe(1);
      expect(stats.failed).toBe(3);
      expect(await bus.pendingCount("coach_guidance", "trader")).toBe(0);
      const dead = await bus.deadLetters("coach_guidance");
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ json: "poison", group: "trader", deliveries: 3, reason: "handler bug" });
    });
  });
}
