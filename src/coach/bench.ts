/**
 * The coach's and the bus's figures for `npm run bench` (section "coach"):
 *   coach_decision_ms_*      one rule-path decision cycle through the LangGraph graph (MemorySaver), median / p99,
 *                            and its CPU time (wall times on a loaded machine include the waits for a core);
 *   langgraph_2node_*        the yardstick: a trivial 2-node graph on the same machine in the same run;
 *   coach_decision_sqlite_*  the same with the durable LibsqlSaver (what the service runs);
 *   coach_decision_sync_*    the same phases without LangGraph (what a backtest runs);
 *   bus_round_trip_ms_*      state → guidance on a local redis-server: the trader XADDs a ppo_state, the coach
 *                            (consumer group, graph, publish) answers, the trader hears the guidance on pub/sub;
 *   bus_echo_round_trip_ms_* the same with a consumer that only echoes (the bus alone);
 *   bus_publish_per_s        publishes (XADD + PUBLISH + SET in one MULTI) per second, 64 in flight;
 *   bus_consume_per_s        entries read through a consumer group and acked per second.
 * Targets (issue 9): decision p99 < 20 ms, round trip median < 5 ms, throughput ≥ 10 000 messages/s.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consume } from "../bus/consume.js";
import { startLocalRedis } from "../bus/local-redis.js";
import { RedisBus } from "../bus/redis-bus.js";
import { Coach } from "./coach.js";
import { initialCycleState, runCycleSync } from "./cycle.js";
import { LibsqlSaver } from "./libsql-saver.js";
import { ruleSetFrom, type RuleSet } from "./rules.js";

export interface CoachBenchOptions {
  /** Decisions timed per figure (default 1000; 200 warm-up cycles before). */
  readonly decisions?: number;
  /** Round trips timed (default 500). */
  readonly roundTrips?: number;
  /** Messages of the throughput figures (default 20 000). */
  readonly messages?: number;
  readonly log?: (line: string) => void;
}

const H = 3_600_000;

/** Rules under which every state gets a new guidance (drawdown alternates between two rules' ranges). */
export const BENCH_RULES: RuleSet = ruleSetFrom({
  schemaVersion: 1,
  settings: { window: 168, shortWindow: 24 },
  rules: [
    { id: "deep", when: [{ fact: "drawdown", op: ">=", value: 0.1 }], propose: { guidance: "adjust_risk", value: 0.5 }, preference: 10 },
    { id: "mild", when: [{ fact: "drawdown", op: ">=", value: 0.05 }], propose: { guidance: "adjust_risk", value: 0.75 }, preference: 5 },
    { id: "vol", when: [{ fact: "volRegime", op: "==", value: "high" }], propose: { guidance: "size", value: 0.5 }, preference: 5 },
    { id: "calm", when: [{ fact: "drawdown", op: "<", value: 0.05 }], propose: { guidance: "none" }, preference: 1 },
  ],
});

export function benchState(seq: number, t0: number): string {
  const price = 30_000 * (1 + 0.02 * Math.sin(seq / 7) + 0.005 * Math.sin(seq * 1.3));
  const dd = seq % 2 === 0 ? 0.06 : 0.12;
  const value = 10_000 * (1 - dd);
  return JSON.stringify({
    schemaVersion: 1,
    seq,
    ts: t0 + seq * H,
    symbol: "BTC/USD",
    price,
    action: seq % 3 === 0 ? "buy" : "hold",
    amount: seq % 3 === 0 ? 0.5 : 0,
    reward: Math.sin(seq),
    portfolio: { cash: value / 2, coins: value / 2 / price, value },
    exposure: 0.5,
    drawdown: dd,
    fee: seq % 3 === 0 ? 3.75 : 0,
    intervalMs: H,
    mode: "paper",
  });
}

function quantiles(ms: number[]): { median: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p99: q(0.99) };
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

async function timeCoach(coach: Coach, n: number, warm: number, t0: number): Promise<{ median: number; p99: number; cpu: number }> {
  const ms: number[] = [];
  let cpu0 = process.cpuUsage();
  for (let i = 0; i < warm + n; i++) {
    if (i === warm) cpu0 = process.cpuUsage();
    const s = benchState(i, t0);
    const a = performance.now();
    await coach.step(s, t0 + i * H);
    if (i >= warm) ms.push(performance.now() - a);
  }
  const c = process.cpuUsage(cpu0);
  return { ...quantiles(ms), cpu: (c.user + c.system) / 1000 / n };
}

/** The yardstick: a 2-node LangGraph graph of trivial nodes, no checkpointer (CPU ms per invoke, and wall median). */
async function twoNodeGraph(n: number): Promise<{ median: number; cpu: number }> {
  const { Annotation, StateGraph, START, END } = await import("@langchain/langgraph");
  const A = Annotation.Root({ x: Annotation<number>({ reducer: (_a: number, b: number) => b, default: () => 0 }) });
  const g = new StateGraph(A)
    .addNode("a", (s: { x: number }) => ({ x: s.x + 1 }))
    .addNode("b", (s: { x: number }) => ({ x: s.x + 1 }))
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", END)
    .compile();
  for (let i = 0; i < 50; i++) await g.invoke({ x: 0 });
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    await g.invoke({ x: 0 });
    ms.push(performance.now() - a);
  }
  const c = process.cpuUsage(cpu0);
  return { median: quantiles(ms).median, cpu: (c.user + c.system) / 1000 / n };
}

export async function benchCoach(opts: CoachBenchOptions = {}): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  const n = opts.decisions ?? 1000;
  const warm = 200;
  const t0 = Date.UTC(2024, 0, 1);
  const out: Record<string, number> = {};

  const mem = await timeCoach(new Coach({ rules: BENCH_RULES, coachId: "bench" }), n, warm, t0);
  out.coach_decision_ms_median = r3(mem.median);
  out.coach_decision_ms_p99 = r3(mem.p99);
  out.coach_decision_cpu_ms_mean = r3(mem.cpu);
  const yard = await twoNodeGraph(Math.min(n, 300));
  out.langgraph_2node_invoke_ms_median = r3(yard.median);
  out.langgraph_2node_invoke_cpu_ms_mean = r3(yard.cpu);
  const dir = mkdtempSync(join(tmpdir(), "drl-coach-bench-"));
  try {
    const saver = new LibsqlSaver(join(dir, "bench.db"));
    const sq = await timeCoach(new Coach({ rules: BENCH_RULES, coachId: "bench", checkpointer: saver }), n, warm, t0);
    saver.close();
    out.coach_decision_sqlite_ms_median = r3(sq.median);
    out.coach_decision_sqlite_ms_p99 = r3(sq.p99);
    out.coach_decision_sqlite_cpu_ms_mean = r3(sq.cpu);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  {
    const ms: number[] = [];
    let s = initialCycleState();
    const ctx = { rules: BENCH_RULES, coachId: "bench" };
    for (let i = 0; i < warm + n; i++) {
      const st = benchState(i, t0);
      const a = performance.now();
      s = runCycleSync(s, st, t0 + i * H, ctx);
      if (i >= warm) ms.push(performance.now() - a);
    }
    const q = quantiles(ms);
    out.coach_decision_sync_ms_median = r3(q.median);
    out.coach_decision_sync_ms_p99 = r3(q.p99);
  }
  log(`coach decision (rule path, ${n} cycles): LangGraph + MemorySaver median ${out.coach_decision_ms_median} ms, p99 ${out.coach_decision_ms_p99} ms, CPU ${out.coach_decision_cpu_ms_mean} ms/cycle ` +
    `(yardstick: a 2-node LangGraph graph ${out.langgraph_2node_invoke_ms_median} ms, CPU ${out.langgraph_2node_invoke_cpu_ms_mean} ms); ` +
    `+ LibsqlSaver median ${out.coach_decision_sqlite_ms_median} ms, p99 ${out.coach_decision_sqlite_ms_p99} ms; sync runner median ${out.coach_decision_sync_ms_median} ms, p99 ${out.coach_decision_sync_ms_p99} ms`);

  const redis = await startLocalRedis({ appendOnly: false });
  try {
    Object.assign(out, await roundTrips(redis.url, opts.roundTrips ?? 500, t0, log));
    Object.assign(out, await throughput(redis.url, opts.messages ?? 20_000, log));
  } finally {
    await redis.destroy();
  }
  return out;
}

/** Trader → coach → trader over Redis: the time from XADD of a state to the guidance heard on pub/sub. */
async function roundTrips(url: string, n: number, t0: number, log: (l: string) => void): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const mode of ["echo", "coach"] as const) {
    const ns = `rt-${mode}:`;
    const trader = new RedisBus({ url, namespace: ns });
    const coachBus = new RedisBus({ url, namespace: ns });
    await trader.waitReady();
    await coachBus.waitReady();
    const coach = new Coach({ rules: BENCH_RULES, coachId: "bench", publish: async (g) => (await coachBus.publish("coach_guidance", JSON.stringify(g))) !== null });
    let waiter: (() => void) | null = null;
    const sub = await trader.subscribe("coach_guidance", () => waiter?.());
    await coachBus.ensureGroup("ppo_state", "coach", "$");
    const ctl = new AbortController();
    const loop = consume(coachBus, "ppo_state", {
      group: "coach",
      consumer: "c",
      signal: ctl.signal,
      blockMs: 1_000,
      claimEveryMs: 1e9,
      handler: async (e) => {
        if (mode === "echo") await coachBus.publish("coach_guidance", e.json);
        else await coach.step(e.json, t0);
      },
    });
    const ms: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      const heard = new Promise<void>((resolve) => (waiter = resolve));
      const a = performance.now();
      await trader.publish("ppo_state", benchState(i, t0));
      await heard;
      if (i >= 50) ms.push(performance.now() - a);
    }
    ctl.abort();
    await loop;
    await sub.close();
    await trader.close();
    await coachBus.close();
    const q = quantiles(ms);
    const key = mode === "echo" ? "bus_echo_round_trip_ms" : "bus_round_trip_ms";
    out[`${key}_median`] = r3(q.median);
    out[`${key}_p99`] = r3(q.p99);
  }
  log(`bus round trip state → guidance (local redis-server, ${n} trips): with the coach median ${out.bus_round_trip_ms_median} ms, p99 ${out.bus_round_trip_ms_p99} ms; echo only median ${out.bus_echo_round_trip_ms_median} ms`);
  return out;
}

async function throughput(url: string, n: number, log: (l: string) => void): Promise<Record<string, number>> {
  const bus = new RedisBus({ url, namespace: "tp:", maxLen: { ppo_state: n + 1000 } });
  await bus.waitReady();
  const msg = benchState(1, Date.UTC(2024, 0, 1));
  await bus.ensureGroup("ppo_state", "g", "$");
  const inFlight = 64;
  let a = performance.now();
  for (let i = 0; i < n; i += inFlight) {
    const batch: Promise<unknown>[] = [];
    for (let k = 0; k < inFlight && i + k < n; k++) batch.push(bus.publish("ppo_state", msg));
    await Promise.all(batch);
  }
  const publishPerS = n / ((performance.now() - a) / 1000);
  a = performance.now();
  let read = 0;
  while (read < n) {
    const entries = await bus.readGroup("ppo_state", "g", "c", { from: "new", count: 500, blockMs: 0 });
    if (entries.length === 0) break;
    await bus.ack("ppo_state", "g", entries.map((e) => e.id));
    read += entries.length;
  }
  const consumePerS = read / ((performance.now() - a) / 1000);
  await bus.close();
  log(`bus throughput (local redis-server, ${n} messages of ${msg.length} bytes): publish ${Math.round(publishPerS).toLocaleString("en-US")}/s (${inFlight} in flight), consume + ack ${Math.round(consumePerS).toLocaleString("en-US")}/s`);
  return { bus_publish_per_s: Math.round(publishPerS), bus_consume_per_s: Math.round(consumePerS), bus_messages: n };
}
