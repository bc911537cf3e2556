import { describe, expect, it } from "vitest";
import { MemoryBus } from "../bus/memory-bus.js";
import { EXAMPLES } from "../bus/messages.js";
import { BusFeed } from "./bus-feed.js";
import { DashboardModel } from "./model.js";

const T0 = 1_700_000_000_000;
const H = 3_600_000;
const state = (seq: number): string => JSON.stringify({ ...EXAMPLES.ppoState, seq, ts: T0 + seq * H, intervalMs: H });
const guidance = (v: number): string => JSON.stringify({ ...EXAMPLES.guidance, id: `coach-1:${v}`, version: v, stateSeq: v });

/** A dashboard that joins a running trader late, with no journal: its history comes from the bus's streams. */
describe("the bus feed's history (a late joiner without --journal)", () => {
  async function joined(backfill: number): Promise<{ model: DashboardModel; bus: MemoryBus; feed: BusFeed; lines: string[] }> {
    const bus = new MemoryBus();
    for (let s = 1; s <= 30; s++) await bus.publish("ppo_state", state(s));
    for (let v = 1; v <= 4; v++) await bus.publish("coach_guidance", guidance(v));
    const model = new DashboardModel({ staleTicks: 2, maxPoints: 5_000 });
    const lines: string[] = [];
    const feed = new BusFeed(bus, model, { backfill, log: (l) => void lines.push(l), checkMs: 60_000 });
    await feed.start();
    return { model, bus, feed, lines };
  }

  it("reads the newest states and guidance oldest first, feeds the latest once, then goes on live", async () => {
    const { model, bus, feed, lines } = await joined(20);
    // The newest 20 states (seq 11 … 30) and the newest 2 guidance messages (20 / 10), in order: nothing refused as old.
    expect(model.series().map((p) => p.ts)).toEqual(Array.from({ length: 20 }, (_, i) => T0 + (11 + i) * H));
    expect(model.guidanceEntries().map((g) => g.id).sort()).toEqual(["coach-1:3", "coach-1:4"]);
    expect(model.counters).toMatchObject({ rejected: 0, oldSeq: 0, received: 22 });
    expect(lines).toEqual(["dashboard: 20 ppo_state message(s) read from the stream's history", "dashboard: 2 coach_guidance message(s) read from the stream's history"]);
    await bus.publish("ppo_state", state(31));
    expect(model.series().at(-1)!.ts).toBe(T0 + 31 * H);
    expect(model.series()).toHaveLength(21);
    await feed.stop();
  });

  it("without a backfill (a journal gives the history) only the latest state is read", async () => {
    const { model, feed } = await joined(0);
    expect(model.series().map((p) => p.ts)).toEqual([T0 + 30 * H]);
    expect(model.guidanceEntries().map((g) => g.id)).toEqual(["coach-1:4"]);
    await feed.stop();
  });
});
