/**
 * The coach's and the bus's figures for `npm run bench` (section "coach"). Every latency has its wall time (median,
 * p99) and beside it the process's CPU time per call (median, p99, mean: process.cpuUsage, user + system, all
 * threads): on a loaded 2-core machine the wall time includes waiting for a core, the CPU time is the work's cost.
 *   coach_decision_*              one rule-path decision cycle through the LangGraph graph (MemorySaver);
 *   langgraph_2node_invoke_*      the yardstick: a trivial 2-node graph on the same machine in the same run;
 *   coach_decision_sqlite_*       the same with the durable LibsqlSaver, synchronous=FULL (an fsync per commit);
 *   coach_decision_sqlite_normal_* the same with synchronous=NORMAL (what `npm run coach` runs without --fsync);
 *   coach_decision_sqlite_normal_exit_* the same with LangGraph durability "exit" (one checkpoint per cycle);
 *   coach_decision_sync_*         the same phases without LangGraph (what a backtest runs);
 *   bus_round_trip_*              state → guidance on a local redis-server: the trader XADDs a ppo_state, the coach
 *                                 (consumer group, graph, publish) answers, the trader hears the guidance on pub/sub;
 *                                 `_server_cpu_ms_mean` is redis-server's CPU per trip (INFO cpu);
 *   bus_echo_round_trip_*         the same with a consumer that only echoes (the bus alone);
 *   bus_service_round_trip_*      the same with the coach as it runs in production: the service (runCoachService,
 *                                 LibsqlSaver synchronous=NORMAL, pruning) in its own process, the trader in this one
 *                                 (its CPU figures are the trader's; `_coach_cpu_ms_mean` is the service's per trip);
 *   bus_publish_per_s             publishes per second, 64 in flight (RedisBus coalesces them: one MULTI per topic
 *                                 and tick), with the client's and redis-server's CPU µs per message;
 *   bus_publish_sequential_*      the same, each publish awaited before the next (one MULTI each);
 *   bus_consume_per_s             entries read through a consumer group and acked per second.
 * Targets (issue 9): decision p99 < 20 ms, round trip median < 5 ms, throughput ≥ 10 000 messages/s.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consume } from "../bus/consume.js";
import { startLocalRedis } from "../bus/local-redis.js";
import { Redis } from "ioredis";
import { RedisBus } from "../bus/redis-bus.js";
import { Coach } from "./coach.js";
import { initialCycleState, runCycleSync } from "./cycle.js";
import { RULE_PATH_NODES } from "./graph.js";
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

function quantiles(ms: readonly number[]): { median: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p99: q(0.99) };
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** This process's CPU time (user + system, all threads) in ms. */
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/**
 * Wall and CPU time of each of `n` calls (after `warm` untimed ones): wall median / p99, and the process's CPU time
 * per call (median, p99, mean). On a loaded 2-core machine the wall time includes waiting for a core; the CPU
 * time is what the work itself costs.
 */
export interface Timing {
  readonly median: number;
  readonly p99: number;
  readonly cpuMedian: number;
  readonly cpuP99: number;
  readonly cpuMean: number;
}

async function timeCalls(n: number, warm: number, call: (i: number) => unknown): Promise<Timing> {
  const wall: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  for (let i = 0; i < warm + n; i++) {
    const c = cpuMs();
    const a = performance.now();
    await call(i);
    const w = performance.now() - a;
    const dc = cpuMs() - c;
    if (i >= warm) {
      wall.push(w);
      cpu.push(dc);
      total += dc;
    }
  }
  const q = quantiles(wall);
  const qc = quantiles(cpu);
  return { median: q.median, p99: q.p99, cpuMedian: qc.median, cpuP99: qc.p99, cpuMean: total / n };
}

/** Figures `<key>_ms_{median,p99}` and `<key>_cpu_ms_{median,p99,mean}`. */
function figures(key: string, t: Timing): Record<string, number> {
  return {
    [`${key}_ms_median`]: r3(t.median),
    [`${key}_ms_p99`]: r3(t.p99),
    [`${key}_cpu_ms_median`]: r3(t.cpuMedian),
    [`${key}_cpu_ms_p99`]: r3(t.cpuP99),
    [`${key}_cpu_ms_mean`]: r3(t.cpuMean),
  };
}

const line = (t: Timing): string =>
  `wall median ${r3(t.median)} ms, p99 ${r3(t.p99)} ms; CPU median ${r3(t.cpuMedian)} ms, p99 ${r3(t.cpuP99)} ms, mean ${r3(t.cpuMean)} ms`;

const timeCoach = (coach: Coach, n: number, warm: number, t0: number): Promise<Timing> => timeCalls(n, warm, (i) => coach.step(benchState(i, t0), t0 + i * H));

/** redis-server's own CPU time (user + system, ms), from INFO cpu. */
async function serverCpuMs(url: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    const info = await r.info("cpu");
    const f = (k: string): number => Number(new RegExp(`^${k}:([0-9.]+)`, "m").exec(info)?.[1] ?? NaN);
    return (f("used_cpu_user") + f("used_cpu_sys")) * 1000;
  } finally {
    r.disconnect();
  }
}

/** The yardstick: a 2-node LangGraph graph of trivial nodes, no checkpointer. */
async function twoNodeGraph(n: number): Promise<Timing> {
  const { Annotation, StateGraph, START, END } = await import("@langchain/langgraph");
  const A = Annotation.Root({ x: Annotation<number>({ reducer: (_a: number, b: number) => b, default: () => 0 }) });
  const g = new StateGraph(A)
    .addNode("a", (s: { x: number }) => ({ x: s.x + 1 }))
    .addNode("b", (s: { x: number }) => ({ x: s.x + 1 }))
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", END)
    .compile();
  return timeCalls(n, 50, () => g.invoke({ x: 0 }));
}

export async function benchCoach(opts: CoachBenchOptions = {}): Promise<Record<string, number>> {
  const log = opts.log ?? (() => {});
  const n = opts.decisions ?? 1000;
  const warm = 200;
  const t0 = Date.UTC(2024, 0, 1);
  const out: Record<string, number> = {};

  const mem = await timeCoach(new Coach({ rules: BENCH_RULES, coachId: "bench" }), n, warm, t0);
  Object.assign(out, figures("coach_decision", mem));
  const yard = await twoNodeGraph(Math.min(n, 300));
  Object.assign(out, figures("langgraph_2node_invoke", yard));
  const sqlite: Partial<Record<"full" | "normal" | "exit", Timing>> = {};
  for (const variant of ["full", "normal", "exit"] as const) {
    const dir = mkdtempSync(join(tmpdir(), "drl-coach-bench-"));
    try {
      const saver = new LibsqlSaver(join(dir, "bench.db"), { synchronous: variant === "full" ? "full" : "normal" });
      const coach = new Coach({ rules: BENCH_RULES, coachId: "bench", checkpointer: saver, durability: variant === "exit" ? "exit" : "sync" });
      sqlite[variant] = await timeCoach(coach, n, warm, t0);
      saver.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  Object.assign(out, figures("coach_decision_sqlite", sqlite.full!), figures("coach_decision_sqlite_normal", sqlite.normal!), figures("coach_decision_sqlite_normal_exit", sqlite.exit!));
  {
    let s = initialCycleState();
    const ctx = { rules: BENCH_RULES, coachId: "bench" };
    const sync = await timeCalls(n, warm, (i) => {
      s = runCycleSync(s, benchState(i, t0), t0 + i * H, ctx);
    });
    Object.assign(out, figures("coach_decision_sync", sync));
    log(`coach decision (rule path, ${n} cycles, ${RULE_PATH_NODES.length} graph node${RULE_PATH_NODES.length === 1 ? "" : "s"} on the rule path)`);
    log(`  LangGraph + MemorySaver:                 ${line(mem)}`);
    log(`  LangGraph + LibsqlSaver synchronous=FULL: ${line(sqlite.full!)}`);
    log(`  LangGraph + LibsqlSaver synchronous=NORMAL (the service's default): ${line(sqlite.normal!)}`);
    log(`  the same with durability "exit" (one checkpoint per cycle; not the service's): ${line(sqlite.exit!)}`);
    log(`  sync runner (no LangGraph):              ${line(sync)}`);
    log(`  yardstick, a trivial 2-node LangGraph graph: ${line(yard)}`);
  }

  const redis = await startLocalRedis({ appendOnly: false });
  try {
    Object.assign(out, await roundTrips(redis.url, opts.roundTrips ?? 500, t0, log));
    Object.assign(out, await serviceRoundTrips(redis.url, opts.roundTrips ?? 500, t0, log));
    Object.assign(out, await throughput(redis.url, opts.messages ?? 20_000, log));
  } finally {
    await redis.destroy();
  }
  return out;
}

/**
 * Trader → coach → trader over Redis: the time from XADD of a state to the guidance heard on pub/sub. The trader
 * and the coach run in this process: its CPU time per trip is both clients'; redis-server's is measured apart.
 */
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
    const warm = 50;
    let server0 = 0;
    const t = await timeCalls(n, warm, async (i) => {
      if (i === warm) server0 = await serverCpuMs(url);
      const heard = new Promise<void>((resolve) => (waiter = resolve));
      await trader.publish("ppo_state", benchState(i, t0));
      await heard;
    });
    const serverPerTrip = ((await serverCpuMs(url)) - server0) / n;
    ctl.abort();
    await loop;
    await sub.close();
    await trader.close();
    await coachBus.close();
    const key = mode === "echo" ? "bus_echo_round_trip" : "bus_round_trip";
    Object.assign(out, figures(key, t));
    out[`${key}_server_cpu_ms_mean`] = r3(serverPerTrip);
    log(`bus round trip state → guidance (local redis-server, ${n} trips) ${mode === "echo" ? "echo only" : "with the coach"}: ${line(t)}; redis-server CPU ${r3(serverPerTrip)} ms/trip`);
  }
  return out;
}

/**
 * Trader → coach service → trader, with the service in its own process (as `npm run coach` runs): the time from the
 * trader's XADD of a state to the guidance heard on pub/sub. In one process (roundTrips) the trader hears the
 * guidance only once the coach's whole graph run is over (the message waits for the event loop); here it hears it as
 * soon as the coach publishes, before the cycle's last checkpoint is written.
 */
async function serviceRoundTrips(url: string, n: number, t0: number, log: (l: string) => void): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "drl-coach-bench-svc-"));
  const ns = "rt-service:";
  const child = spawn(process.execPath, ["--import", "tsx", new URL("./bench-service-child.ts", import.meta.url).pathname, url, join(dir, "coach.db"), ns], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  child.stdout!.on("data", (d: Buffer) => {
    lines.push(...d.toString().split("\n").filter(Boolean));
    wake?.();
  });
  child.stderr!.on("data", (d: Buffer) => lines.push(...d.toString().split("\n").filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waitLine = async (pred: (l: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const hit = lines.find(pred);
      if (hit !== undefined) return hit;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench: the coach service process gave no ${what}:\n${lines.join("\n")}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  const cpuOfChild = async (): Promise<number> => {
    const before = lines.length;
    child.kill("SIGUSR2");
    const l = await waitLine((x) => lines.indexOf(x) >= before && x.startsWith("cpu "), "CPU figure");
    lines.splice(lines.indexOf(l), 1);
    return Number(l.slice(4));
  };
  const trader = new RedisBus({ url, namespace: ns });
  try {
    await waitLine((l) => l.startsWith("coach bench:"), "start line");
    await trader.waitReady();
    let waiter: (() => void) | null = null;
    const sub = await trader.subscribe("coach_guidance", () => waiter?.());
    const warm = 50;
    let server0 = 0;
    let coach0 = 0;
    const t = await timeCalls(n, warm, async (i) => {
      if (i === warm) [server0, coach0] = [await serverCpuMs(url), await cpuOfChild()];
      const heard = new Promise<void>((resolve) => (waiter = resolve));
      await trader.publish("ppo_state", benchState(i, t0));
      await heard;
    });
    const [server1, coach1] = [await serverCpuMs(url), await cpuOfChild()];
    await sub.close();
    const key = "bus_service_round_trip";
    const out = { ...figures(key, t), [`${key}_server_cpu_ms_mean`]: r3((server1 - server0) / n), [`${key}_coach_cpu_ms_mean`]: r3((coach1 - coach0) / n) };
    log(
      `bus round trip state → guidance (local redis-server, ${n} trips) with the coach service in its own process (LibsqlSaver NORMAL): ${line(t)} (the trader's CPU); ` +
        `coach service CPU ${out[`${key}_coach_cpu_ms_mean`]} ms/trip, redis-server CPU ${out[`${key}_server_cpu_ms_mean`]} ms/trip`,
    );
    return out;
  } finally {
    await trader.close();
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Publishes per second, `inFlight` at a time (1: each awaited before the next), with the CPU per message. */
async function publishRate(url: string, n: number, inFlight: number, msg: string): Promise<{ perS: number; cpuUs: number; serverCpuUs: number }> {
  const bus = new RedisBus({ url, namespace: `tp${inFlight}:`, maxLen: { ppo_state: n + 1000 } });
  await bus.waitReady();
  const s0 = await serverCpuMs(url);
  const c0 = cpuMs();
  const a = performance.now();
  let dropped = 0;
  for (let i = 0; i < n; i += inFlight) {
    const batch: Array<Promise<string | null>> = [];
    for (let k = 0; k < inFlight && i + k < n; k++) batch.push(bus.publish("ppo_state", msg));
    for (const id of await Promise.all(batch)) if (id === null) dropped++;
  }
  const s = (performance.now() - a) / 1000;
  const cpu = cpuMs() - c0;
  const server = (await serverCpuMs(url)) - s0;
  await bus.close();
  if (dropped > 0) throw new Error(`bench: ${dropped} of ${n} publishes were dropped`);
  return { perS: n / s, cpuUs: (cpu * 1000) / n, serverCpuUs: (server * 1000) / n };
}

async function throughput(url: string, n: number, log: (l: string) => void): Promise<Record<string, number>> {
  const msg = benchState(1, Date.UTC(2024, 0, 1));
  const inFlight = 64;
  const many = await publishRate(url, n, inFlight, msg);
  const one = await publishRate(url, Math.min(n, 5_000), 1, msg);
  const bus = new RedisBus({ url, namespace: `tp${inFlight}:` });
  await bus.waitReady();
  await bus.ensureGroup("ppo_state", "g", "0");
  const c0 = cpuMs();
  const a = performance.now();
  let read = 0;
  while (read < n) {
    const entries = await bus.readGroup("ppo_state", "g", "c", { from: "new", count: 500, blockMs: 0 });
    if (entries.length === 0) break;
    await bus.ack("ppo_state", "g", entries.map((e) => e.id));
    read += entries.length;
  }
  const consumePerS = read / ((performance.now() - a) / 1000);
  const consumeCpuUs = ((cpuMs() - c0) * 1000) / Math.max(1, read);
  await bus.close();
  const f = (x: number): string => Math.round(x).toLocaleString("en-US");
  log(
    `bus throughput (local redis-server, ${n} messages of ${msg.length} bytes): publish ${f(many.perS)}/s with ${inFlight} in flight (client CPU ${r3(many.cpuUs)} µs/msg, redis-server ${r3(many.serverCpuUs)} µs/msg), ` +
      `${f(one.perS)}/s one at a time (client ${r3(one.cpuUs)} µs/msg, redis-server ${r3(one.serverCpuUs)} µs/msg); consume + ack ${f(consumePerS)}/s (client ${r3(consumeCpuUs)} µs/msg)`,
  );
  return {
    bus_publish_per_s: Math.round(many.perS),
    bus_publish_cpu_us_per_msg: r3(many.cpuUs),
    bus_publish_server_cpu_us_per_msg: r3(many.serverCpuUs),
    bus_publish_sequential_per_s: Math.round(one.perS),
    bus_publish_sequential_cpu_us_per_msg: r3(one.cpuUs),
    bus_publish_sequential_server_cpu_us_per_msg: r3(one.serverCpuUs),
    bus_consume_per_s: Math.round(consumePerS),
    bus_consume_cpu_us_per_msg: r3(consumeCpuUs),
    bus_messages: n,
  };
}
