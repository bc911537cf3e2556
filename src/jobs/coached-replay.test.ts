/**
 * The coach next to a paced replay (R14, R15 on simulated time), with real parts: a real redis-server, the real
 * coach service and the real trade job replaying the embedded market at 300 ms per hourly bar. A replay's states
 * carry market time (2021): the coach judges their age by arrival (working-memory.ts, `stateAge`), issues guidance
 * on the replay's timeline, and the trader applies it for the bars it covers in replay time, not in wall time.
 * Next to it, a paper state about a bar that closed three hours ago is still judged stale on the wall clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../bus/local-redis.js";
import { RedisBus } from "../bus/redis-bus.js";
import type { DecisionTrace } from "../coach/cycle.js";
import { ruleSetFrom } from "../coach/rules.js";
import { runCoachService } from "../coach/service.js";
import { Journal } from "../live/journal.js";
import { trainTestCheckpoint } from "../live/testing/checkpoints.js";
import { replayJobOptions, runTradeJob } from "./trade-job.js";

const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "drl-coached-replay-"));
let redis: LocalRedis | null = null;
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

// Guidance on the first state and on the 12th (a second one, after the first expired); nothing otherwise.
const rules = ruleSetFrom({
  schemaVersion: 1,
  settings: { shortWindow: 4, window: 12, staleIntervals: 2, ttlTicks: 3, refreshTicks: 50 },
  rules: [
    { id: "stale-state", when: [{ fact: "stale", op: "==", value: true }], propose: { guidance: "none" }, preference: 100 },
    { id: "first", when: [{ fact: "ticks", op: "<=", value: 1 }], propose: { guidance: "adjust_risk", value: 0.5 }, preference: 10 },
    { id: "twelfth", when: [{ fact: "ticks", op: "==", value: 12 }], propose: { guidance: "size", value: 0.5 }, preference: 10 },
    { id: "quiet", when: [{ fact: "ticks", op: ">", value: 0 }], propose: { guidance: "none" }, preference: 1 },
  ],
});

const startCoach = async (namespace: string, traces: DecisionTrace[]): Promise<AbortController> => {
  const bus = new RedisBus({ url: redis!.url, namespace, onError: () => {} });
  await bus.waitReady();
  const stop = new AbortController();
  const run = runCoachService({ bus, rules, checkpointer: new MemorySaver(), coachId: "coach-sim", signal: stop.signal, heartbeatMs: 300, blockMs: 100, onTrace: (t) => traces.push(t) }).finally(() => bus.close());
  closers.push(async () => {
    stop.abort();
    await run;
  });
  // The service creates its consumer group on start: states published before that are not its to read.
  await until(async () => (await bus.latest("coach_heartbeat")) !== null, 20_000, "coach heartbeat");
  return stop;
};

describe("the coach next to a paced replay (simulated time)", () => {
  beforeAll(async () => {
    redis = await startLocalRedis();
  }, 30_000);

  it("R14: guidance is issued on the replay's timeline, received, applied for the bars it covers, and expires after them", async () => {
    const ck = await trainTestCheckpoint(dir, "exposure");
    const traces: DecisionTrace[] = [];
    await startCoach("sim:", traces);
    const journalPath = join(dir, "replay.db");
    const stopTrader = new AbortController();
    const tradeLog: string[] = [];
    const trade = runTradeJob(replayJobOptions({
      checkpoint: ck,
      replay: { data: null, start: "2021-03-01", end: "2021-03-03", tickMs: 300 },
      journal: journalPath,
      redis: redis!.url,
      busNamespace: "sim:",
      risk: "standard",
      traderOptions: { groupCommit: 1 },
      signal: stopTrader.signal,
      log: (line) => tradeLog.push(line),
    }));
    closers.push(async () => {
      stopTrader.abort();
      await trade;
    });
    const raw = new Redis(redis!.url);
    raw.on("error", () => {});
    closers.push(async () => raw.disconnect());
    const guidance = async () => ((await raw.xrange("sim:coach_guidance", "-", "+")) as Array<[string, string[]]>).map((r) => JSON.parse(r[1][1]!) as { id: string; guidance: string; issuedAt: number; expiresAt: number; stateSeq: number });
    await until(async () => (await guidance()).length >= 2 && traces.length >= 18, 60_000, "two guidance and 18 coach cycles").catch((e: unknown) => {
      throw new Error(`${String(e)}\ntraces: ${traces.map((t) => `${t.stateSeq}:${t.decision}:${t.chosen?.rule}:${t.facts?.staleMs}`).join(" ")}\ntrader:\n${tradeLog.slice(-10).join("\n")}`);
    });
    stopTrader.abort();
    await trade;

    // The coach judged the replay's states fresh (2021 market time, read within a bar of the replay's pace).
    const fresh = traces.filter((t) => t.facts !== null && !t.facts.stale);
    expect(fresh.length).toBeGreaterThanOrEqual(traces.length - 1);
    expect(traces.some((t) => t.chosen?.rule === "stale-state")).toBe(false);
    expect(traces.filter((t) => t.output === "published").map((t) => t.chosen?.rule)).toEqual(["first", "twelfth"]);
    const [g1, g2] = await guidance();
    // Issued at the state's market time, expiring three bars of replay time later.
    expect(new Date(g1!.issuedAt).getUTCFullYear()).toBe(2021);
    expect(g1!.expiresAt - g1!.issuedAt).toBe(3 * H);
    expect(g2!.stateSeq - g1!.stateSeq).toBe(11);

    const j = Journal.openReadOnly(journalPath);
    try {
      const applied = j.db.prepare<unknown[]>("SELECT detail FROM guidance WHERE status = 'applied'").all() as Array<{ detail: string }>;
      expect(applied.map((r) => r.detail.split(":").slice(0, 2).join(":"))).toEqual(["coach_guidance coach-sim:1", "coach_guidance coach-sim:2"]);
      expect(j.db.prepare<unknown[]>("SELECT COUNT(*) AS n FROM guidance WHERE status = 'rejected'").get()).toMatchObject({ n: 0 });
      const decisions = j.db.prepare<unknown[]>("SELECT bar_ts, guidance FROM decisions ORDER BY bar_ts").all() as Array<{ bar_ts: number; guidance: string | null }>;
      for (const g of [g1!, g2!]) {
        const under = decisions.filter((d) => d.guidance !== null && (JSON.parse(d.guidance) as { active: Array<{ id: string }> }).active.some((a) => a.id === g.id)).map((d) => d.bar_ts);
        // The state's bar closed at issuedAt; the next decisions apply it while their bar's close ≤ expiresAt (the
        // backtest's rule, whatever the decision's offset after the close): the three bars after it (ttlTicks 3),
        // whatever the wall clock says (it is 1.2 s later).
        const stateBar = g.issuedAt - H;
        expect(under.length).toBeGreaterThanOrEqual(2);
        for (const b of under) expect([stateBar + H, stateBar + 2 * H, stateBar + 3 * H]).toContain(b);
        expect(under).toContain(stateBar + 2 * H);
        expect(under).toContain(stateBar + 3 * H);
      }
    } finally {
      j.close();
    }
  }, 240_000);

  it("R14: a paper state about a bar that closed 3 h ago is still stale on the wall clock; a fresh one is not", async () => {
    const traces: DecisionTrace[] = [];
    await startCoach("paper:", traces);
    const bus = new RedisBus({ url: redis!.url, namespace: "paper:", onError: () => {} });
    await bus.waitReady();
    closers.push(() => bus.close());
    const state = (seq: number, ts: number, mode: string): string =>
      JSON.stringify({ schemaVersion: 1, seq, ts, price: 100, action: "hold", portfolio: { cash: 1000, coins: 0, value: 1000 }, intervalMs: H, mode });
    await until(async () => (await bus.publish("ppo_state", state(1, Date.now() - 3 * H, "paper"))) !== null, 10_000, "publish");
    await until(() => traces.length >= 1, 20_000, "first cycle");
    await bus.publish("ppo_state", state(2, Date.now() - 60_000, "paper"));
    await until(() => traces.length >= 2, 20_000, "second cycle");
    expect(traces[0]!.facts!.stale).toBe(true);
    expect(traces[0]!.facts!.staleMs).toBeGreaterThan(3 * H - 60_000);
    expect(traces[0]!.chosen?.rule).toBe("stale-state");
    expect(traces[0]!.guidance).toBeNull();
    expect(traces[1]!.facts!.stale).toBe(false);
  }, 60_000);
});
