import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test } from "vitest";
import type { RunnableConfig } from "@langchain/core/runnables";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { Coach } from "./coach.js";
import { RULE_PATH_NODES } from "./graph.js";
import { LibsqlSaver } from "./libsql-saver.js";
import { R18_RULES } from "./testdata/r18-rules.js";

// The validation suite is written for Jest-style globals: hand it vitest's before loading it.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test });
const { validate } = await import("@langchain/langgraph-checkpoint-validation");

// R18: the chosen saver passes LangGraph's checkpointer validation suite.
let dir = "";
validate<LibsqlSaver>({
  checkpointerName: "LibsqlSaver (R18)",
  beforeAll: () => {
    dir = mkdtempSync(join(tmpdir(), "drl-saver-"));
  },
  afterAll: () => rmSync(dir, { recursive: true, force: true }),
  createCheckpointer: () => new LibsqlSaver(join(dir, `cp-${Math.random().toString(36).slice(2)}.db`)),
  destroyCheckpointer: (s) => s.close(),
});

describe("pruning (the database stops growing; resume still works)", () => {
  const H = 3_600_000;
  const rules = R18_RULES;
  // Drawdown swings between 0 and 8 % every few ticks: guidance and no change alternate.
  const state = (seq: number): string => {
    const value = seq % 7 < 3 ? 920 : 1000;
    return JSON.stringify({ schemaVersion: 1, seq, ts: Date.UTC(2024, 0, 1) + seq * H, price: 100 + (seq % 5), action: "hold", drawdown: 1 - value / 1000, portfolio: { cash: value, coins: 0, value }, intervalMs: H, mode: "paper" });
  };
  const tmp = mkdtempSync(join(tmpdir(), "drl-prune-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("keeps the newest checkpoints and what they refer to; the rows stop growing over many cycles", async () => {
    const pruned = new LibsqlSaver(join(tmp, "pruned.db"));
    const unpruned = new LibsqlSaver(join(tmp, "unpruned.db"));
    const a = new Coach({ rules, coachId: "c", checkpointer: pruned });
    const b = new Coach({ rules, coachId: "c", checkpointer: unpruned });
    const counts: number[] = [];
    for (let seq = 1; seq <= 300; seq++) {
      const now = Date.UTC(2024, 0, 1) + seq * H + 1_000;
      const [ta, tb] = [await a.step(state(seq), now), await b.step(state(seq), now)];
      // Pruning changes nothing the coach decides.
      expect({ ...ta, phases: [] }).toEqual({ ...tb, phases: [] });
      if (seq % 25 === 0) {
        const r = await pruned.prune({ keep: 8 });
        expect(r.kept).toBe(8);
        counts.push(pruned.rowCounts().checkpoints + pruned.rowCounts().writes + pruned.rowCounts().blobs);
      }
    }
    const p = pruned.rowCounts();
    const u = unpruned.rowCounts();
    expect(p.checkpoints).toBe(8);
    expect(u.checkpoints).toBe((RULE_PATH_NODES.length + 2) * 300); // per cycle: the input, then one per superstep
    // Bounded: the same count after every prune from the second on (within a few blobs of the changed channels).
    expect(Math.max(...counts.slice(1)) - Math.min(...counts.slice(1))).toBeLessThanOrEqual(10);
    expect(p.blobs).toBeLessThan(u.blobs / 20);
    console.log(`rows after 300 cycles: pruned every 25 cycles (keep 8) ${JSON.stringify(p)}, unpruned ${JSON.stringify(u)}`);
    // The saved state is the same, and so is the next decision.
    expect(await a.saved()).toEqual(await b.saved());
    pruned.close();
    unpruned.close();

    // Resume after pruning: a new coach on the pruned file carries on where it stopped.
    const reopened = new LibsqlSaver(join(tmp, "pruned.db"));
    const c = new Coach({ rules, coachId: "c", checkpointer: reopened });
    expect(await c.version()).toBeGreaterThan(0);
    expect((await c.saved()).memory?.ticks).toBe(300);
    const next = await c.step(state(301), Date.UTC(2024, 0, 1) + 301 * H + 1_000);
    expect(next.cycle).toBe(301);
    expect(next.input).toBe("ok");
    reopened.close();
  });

  it("a cycle interrupted mid-graph, then pruned to one checkpoint, resumes and publishes its guidance", async () => {
    const saver = new LibsqlSaver(join(tmp, "interrupted.db"));
    let fail = false;
    const published: number[] = [];
    const coach = new Coach({
      rules,
      coachId: "i",
      checkpointer: saver,
      publish: async (g) => {
        published.push(g.version);
        return true;
      },
      onPhase: (phase) => {
        if (fail && phase === "output") throw new Error("killed");
      },
    });
    for (let seq = 1; seq <= 27; seq++) await coach.step(state(seq), Date.UTC(2024, 0, 1) + seq * H + 1_000);
    const before = published.length;
    fail = true;
    // seq 28 (8 % drawdown after four calm ticks): a guidance is formed, then the cycle node dies before publishing.
    await expect(coach.step(state(28), Date.UTC(2024, 0, 1) + 28 * H + 1_000)).rejects.toThrow(/killed/);
    expect(published.length).toBe(before);
    expect(await saver.prune({ keep: 1 })).toMatchObject({ kept: 1 });
    expect(saver.rowCounts().checkpoints).toBe(1);
    fail = false;
    const resumed = await new Coach({ rules, coachId: "i", checkpointer: saver, publish: coach.opts.publish! }).resume();
    expect(resumed?.stateSeq).toBe(28);
    expect(resumed?.output).toBe("published");
    expect(published.length).toBe(before + 1);
    saver.close();
  });

  it("keeps the pending writes of the kept checkpoints and deletes the others' (saver API)", async () => {
    const s = new LibsqlSaver(":memory:");
    let config: RunnableConfig = { configurable: { thread_id: "t", checkpoint_ns: "" } };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const cp = emptyCheckpoint();
      cp.id = uuid6(i);
      cp.channel_values = { x: i };
      cp.channel_versions = { x: i + 1 };
      config = await s.put(config, cp, { source: "loop", step: i, parents: {} }, { x: i + 1 });
      await s.putWrites(config, [["x", `w${i}`]], `task-${i}`);
      ids.push(cp.id);
    }
    expect(await s.prune({ keep: 2 })).toEqual({ checkpoints: 1, writes: 1, blobs: 1, kept: 2 });
    const latest = await s.getTuple({ configurable: { thread_id: "t" } });
    expect(latest?.pendingWrites).toEqual([["task-2", "x", "w2"]]);
    expect(latest?.checkpoint.channel_values).toEqual({ x: 2 });
    expect((await s.getTuple({ configurable: { thread_id: "t", checkpoint_id: ids[1]! } }))?.pendingWrites).toEqual([["task-1", "x", "w1"]]);
    expect(await s.getTuple({ configurable: { thread_id: "t", checkpoint_id: ids[0]! } })).toBeUndefined();
    expect(s.rowCounts()).toEqual({ checkpoints: 2, writes: 2, blobs: 2 });
    s.close();
  });

  it("refuses keep < 1", async () => {
    const s = new LibsqlSaver(":memory:");
    await expect(s.prune({ keep: 0 })).rejects.toThrow(/keep must be an integer ≥ 1, got 0/);
    s.close();
  });
});
