import { describe, expect, it } from "vitest";
import { busSuite } from "./bus.case.js";
import { MemoryBus, MemoryStreams } from "./memory-bus.js";

busSuite({ name: "memory", create: async () => new MemoryBus() });

describe("MemoryStreams (the synchronous core a backtest steps)", () => {
  it("uses the given clock for entry ids and is deterministic", () => {
    let t = 1_700_000_000_000;
    const run = (): string[] => {
      const s = new MemoryStreams({ now: () => t });
      s.ensureGroup("ppo_state", "g", "0");
      const ids = [s.publish("ppo_state", "a"), s.publish("ppo_state", "b")];
      t += 1000;
      ids.push(s.publish("ppo_state", "c"));
      t -= 1000;
      return ids;
    };
    expect(run()).toEqual(["1700000000000-0", "1700000000000-1", "1700000001000-0"]);
    expect(run()).toEqual(run());
  });
  it("a closed bus drops publishes and counts them", async () => {
    const bus = new MemoryBus();
    await bus.close();
    expect(await bus.publish("ppo_state", "x")).toBeNull();
    expect(bus.counters.publishDropped).toBe(1);
  });
});
