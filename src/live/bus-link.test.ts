import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedis } from "../bus/local-redis.js";
import { parsePpoState, SCHEMA_VERSION } from "../bus/messages.js";
import { RedisBus } from "../bus/redis-bus.js";
import { parseControlAck, parseTraderHeartbeat, type TraderControlAck } from "../bus/trader-messages.js";
import { Journal } from "./journal.js";
import { HOUR, startHarness, type Harness } from "./testing/harness.js";

/**
 * The trader on a REAL redis-server (a throwaway one on a free loopback port, AOF on), with the real ccxt binance
 * class against the local fake Binance (paper mode) on a simulated clock: ppo_state and the heartbeat every
 * tick (R14, R23), coach guidance applied through the guidance layer and kept through a Redis outage (R12),
 * bad guidance refused without changing a decision (R16), a frozen Redis and a silent coach (R15), and the
 * control messages with their acknowledgements (R21).
 */
let redis: LocalRedis;
let h: Harness | null = null;
const buses: RedisBus[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
});
afterAll(async () => {
  await redis.destroy();
});
afterEach(async () => {
  await h?.close();
  h = null;
  for (const b of buses.splice(0)) await b.close();
});

/** A bus with a short command timeout only where the test needs one (R15's frozen Redis); 2 s otherwise (a loaded machine). */
async function newBus(namespace: string, commandTimeoutMs = 2_000): Promise<RedisBus> {
  const b = new RedisBus({ url: redis.url, namespace, commandTimeoutMs, onError: () => {} });
  buses.push(b);
  await until(() => b.connected, 5_000, "the bus to connect");
  return b;
}

const BUY = 1;
const SELL = 2;
let nextVersion = 1;
function guidance(kind: "adjust_risk" | "size" | "timing", value: number, issuedAt: number, ttlMs = 10 * HOUR): string {
  const v = nextVersion++;
  return JSON.stringify({ schemaVersion: 1, id: `coach-t:${v}`, version: v, guidance: kind, value, reason: "test", issuedAt, expiresAt: issuedAt + ttlMs, stateSeq: null, source: "rule", rule: "test", coachId: "coach-t" });
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function decisions(path: string) {
  const j = Journal.openReadOnly(path);
  const rows = j.db.prepare<unknown[]>("SELECT bar_ts, side, spend, amount, hold_reason, risk_code, guidance FROM decisions ORDER BY bar_ts").all() as { bar_ts: number; side: string | null; spend: number | null; amount: number | null; hold_reason: string | null; risk_code: string; guidance: string | null }[];
  j.close();
  return rows;
}

describe("the trader on the bus (real redis-server)", () => {
  it("R14/R23: ppo_state and a heartbeat every tick; Redis down for 3 ticks: no crash, nothing queued, no stale burst", async () => {
    const bus = await newBus("r14:", 300);
    h = await startHarness({ mode: "paper", script: (t) => (t % 2 === 0 ? BUY : SELL), bus });
    await h.run(3);
    await until(async () => (await bus.streamLength("ppo_state")) === 3, 2_000, "3 states");
    const hb = parseTraderHeartbeat(await bus.latest("trader_heartbeat"));
    expect(hb.ok && hb.message.seq).toBe(3);
    expect(hb.ok && hb.message.intervalMs).toBe(HOUR);
    await redis.stop();
    const dropped = bus.counters.publishDropped;
    await h.run(3);
    expect(bus.counters.publishDropped).toBeGreaterThan(dropped);
    await redis.start();
    await until(() => bus.connected, 5_000, "the bus to reconnect");
    await h.run(1);
    await until(async () => (await bus.streamLength("ppo_state")) === 4, 3_000, "the 4th state");
    const last = parsePpoState(await bus.latest("ppo_state"));
    expect(last.ok).toBe(true);
    if (!last.ok || last.message.form !== "v1") throw new Error("not a v1 state");
    // seq counts every tick (7): the ticks published while Redis was down are gone, not replayed.
    expect(last.message.seq).toBe(7);
    expect(last.message).toMatchObject({ mode: "paper", symbol: "BTC/USDT", status: "running", intervalMs: HOUR });
    const j = Journal.openReadOnly(h.journalPath);
    expect(j.decisionCount()).toBe(7);
    j.close();
  }, 60_000);

  it("R12: guidance is applied from the next tick, kept through a Redis outage while in force, then neutral; re-read after the restart", async () => {
    const bus = await newBus("r12:");
    h = await startHarness({ mode: "paper", script: () => BUY, bus, balances: { USDT: 10_000, BTC: 0 } });
    // The coach caps the exposure at 0 (adjust_risk 0): no entry may pass.
    await bus.publish("coach_guidance", guidance("adjust_risk", 0, h.clock.now()));
    const waitApplied = (n: number) => ({ beforeTick: () => until(() => (h!.links.at(-1)?.receiver.counters.applied ?? 0) >= n, 5_000, `${n} guidance applied`) });
    await h.run(1, { hooks: waitApplied(1) });
    await redis.stop();
    await h.run(5); // Redis down: 2 ticks still under the guidance (age ≤ 3 h), then neutral defaults
    await redis.start();
    await until(() => bus.connected, 5_000, "reconnect");
    await bus.publish("coach_guidance", guidance("size", 0.5, h.clock.now()));
    await h.run(1, { hooks: waitApplied(1) }); // a new process: its receiver counts from 0
    const d = decisions(h.journalPath);
    // Issued at the first tick, maxAge 3 h (3 intervals): in force at ages 0, 1, 2 and 3 h, neutral from 4 h on.
    expect(d.map((x) => x.hold_reason ?? x.side)).toEqual(["exposure_cap", "exposure_cap", "exposure_cap", "exposure_cap", "buy", "buy", "buy"]);
    // After the restart the size guidance halves the agent's buy (50% of the cash → 25%).
    const last = d.at(-1)!;
    const j = Journal.openReadOnly(h.journalPath);
    const cashBefore = j.lastDecision()!.cash;
    j.close();
    expect(last.spend!).toBeCloseTo(0.25 * cashBefore, 6);
    expect(JSON.parse(last.guidance!)).toMatchObject({ sizeScale: 0.5 });
    // Each verdict names its guidance (id, version, kind, value, the message): the dashboard joins on the id.
    const jr = Journal.openReadOnly(h.journalPath);
    const applied = jr.db.prepare<unknown[]>("SELECT id, version, kind, value, payload FROM guidance WHERE status = 'applied' ORDER BY seq").all() as { id: string; version: number; kind: string; value: number; payload: string }[];
    jr.close();
    expect(applied.map(({ id, version, kind, value }) => ({ id, version, kind, value }))).toEqual([
      { id: expect.stringMatching(/^coach-t:\d+$/) as unknown as string, version: expect.any(Number) as unknown as number, kind: "adjust_risk", value: 0 },
      { id: expect.stringMatching(/^coach-t:\d+$/) as unknown as string, version: expect.any(Number) as unknown as number, kind: "size", value: 0.5 },
    ]);
    expect(applied.map((a) => `coach-t:${a.version}`)).toEqual(applied.map((a) => a.id));
    expect((JSON.parse(applied[1]!.payload) as { id: string }).id).toBe(applied[1]!.id);
  }, 60_000);

  it("R16: every kind of bad guidance is refused on the trader's side, logged with the field, and changes no decision", async () => {
    const bus = await newBus("r16:");
    const script = (t: number) => (t % 3 === 0 ? BUY : t % 3 === 1 ? SELL : 0);
    h = await startHarness({ mode: "paper", script, bus });
    // One tick first: the trader's consumer group exists from then on (a new group starts at the stream's end).
    await h.run(1);
    const now = h.clock.now();
    const good = JSON.parse(guidance("adjust_risk", 0.8, now)) as Record<string, unknown>;
    const bad: string[] = [
      "{not json",
      "[1,2,3]",
      JSON.stringify({ ...good, value: undefined }),
      JSON.stringify({ ...good, id: "b1", value: "0.5" }),
      JSON.stringify({ ...good, id: "b2", value: 50 }),
      JSON.stringify({ ...good, id: "b3", guidance: "size", value: -1 }),
      JSON.stringify({ ...good, id: "b4" }).replace('"value":0.8', '"value":NaN'),
      JSON.stringify({ ...good, id: "b5", value: "Infinity" }),
      JSON.stringify({ ...good, id: "b6", extra: 1 }),
      JSON.stringify({ ...good, id: "b7", version: 900, issuedAt: now + 48 * HOUR, expiresAt: now + 50 * HOUR }),
      JSON.stringify({ ...good, id: "b8", version: 901, issuedAt: now - 10 * HOUR, expiresAt: now + HOUR }),
      JSON.stringify({ ...good, id: "b9", schemaVersion: 2 }),
      JSON.stringify({ ...good, id: "b10", reason: "x".repeat(1_000_000) }),
    ];
    for (const m of bad) await bus.publish("coach_guidance", m);
    await h.run(3, { hooks: { beforeTick: () => until(() => (h!.links.at(-1)?.receiver.counters.rejected ?? 0) >= bad.length, 5_000, "every bad message judged") } });
    const link = h.links.at(-1)!;
    expect(link.receiver.counters.applied).toBe(0);
    // Each was judged (the latest key may be judged again on every poll: still refused, never applied).
    expect(link.receiver.counters.rejected).toBeGreaterThanOrEqual(bad.length);
    const j = Journal.openReadOnly(h.journalPath);
    const rows = j.db.prepare<unknown[]>("SELECT id, version, status, detail FROM guidance WHERE status = 'rejected'").all() as { id: string | null; version: number | null; detail: string }[];
    j.close();
    // A refused message is still named by the id (and version) it claims; one too broken to claim any has none.
    const named = new Map(rows.map((r) => [r.id, r]));
    expect(named.get("b2")).toMatchObject({ version: good["version"], detail: expect.stringMatching(/invalid_field at value/) as unknown as string });
    expect(named.get("b7")).toMatchObject({ version: 900, detail: expect.stringMatching(/future_dated/) as unknown as string });
    expect(named.get("b8")?.version).toBe(901);
    expect(rows.some((r) => r.id === null)).toBe(true); // "{not json" and "[1,2,3]"
    expect(rows.length).toBeGreaterThanOrEqual(bad.length);
    expect(rows.map((r) => r.detail).join("\n")).toMatch(/invalid_field at value: .*50/);
    expect(rows.map((r) => r.detail).join("\n")).toMatch(/future_dated at issuedAt/);
    const withBus = decisions(h.journalPath);

    // The same ticks without a bus at all: identical decisions.
    const path = h.journalPath;
    await h.close();
    h = await startHarness({ mode: "paper", script });
    await h.run(4);
    const alone = decisions(h.journalPath);
    expect(withBus.map(({ guidance: _g, ...d }) => d)).toEqual(alone.map(({ guidance: _g, ...d }) => d));
    expect(path).not.toBe(h.journalPath);
  }, 60_000);

  it("R15: a frozen Redis (half-open) never stalls a tick past its bounds; a silent coach is stale and the trader trades on defaults", async () => {
    const bus = await newBus("r15:", 300);
    h = await startHarness({ mode: "paper", script: () => BUY, bus });
    await h.run(1);
    redis.pause();
    const t0 = Date.now();
    try {
      await h.run(2);
    } finally {
      redis.resume();
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
    const link = h.links.at(-1)!;
    expect(link.receiver.coachStale(h.clock.now())).toBe(true);
    const d = decisions(h.journalPath);
    expect(d.map((x) => x.side)).toEqual(["buy", "buy", "buy"]);
  }, 60_000);

  it("R21: control messages — stop, stop again, forceexit while stopped, start, stopentry, set_risk, coach off, bad and duplicate ids — each acknowledged", async () => {
    const bus = await newBus("r21:");
    h = await startHarness({ mode: "paper", script: (t) => (t % 2 === 0 ? BUY : SELL), bus, paceMs: 60, risk: { maxTradeFraction: 0.5 } });
    const ctl = new AbortController();
    // Runs until aborted below (a tick budget could end the run before the last control under load).
    const running = h.run(1_000_000, {}, ctl.signal);
    let n = 0;
    const send = async (command: string, args: Record<string, unknown> = {}, id = `dash:${++n}`): Promise<TraderControlAck> => {
      await bus.publish("trader_control", JSON.stringify({ schemaVersion: SCHEMA_VERSION, id, issuedBy: "test", issuedAt: Date.now(), command, args }));
      let ack: TraderControlAck | null = null;
      await until(
        async () => {
          const a = parseControlAck(await bus.latest("trader_control_ack"));
          if (a.ok && a.message.id === id) ack = a.message;
          return ack !== null;
        },
        // Generous: a control waits for the running tick (exclusive), which may be placing or cancelling an order.
        60_000,
        `the ack of ${command}`,
      );
      return ack!;
    };
    await until(() => h!.reports.length >= 2, 20_000, "two ticks");
    const stop = await send("stop", { cancelOpen: false });
    expect(stop).toMatchObject({ result: "done", status: "stopped" });
    const again = await send("stop", { cancelOpen: false });
    expect(again.result).toBe("already");
    expect(again.message).toMatch(/already stopped; still holding .* coins/);
    const ticksAtStop = h.reports.length;
    await until(() => h!.reports.length >= ticksAtStop + 3, 20_000, "ticks while stopped");
    const exit = await send("forceexit");
    expect(exit).toMatchObject({ result: "done", status: "stopped" });
    expect(exit.message).toMatch(/^sold /);
    const start = await send("start");
    expect(start).toMatchObject({ result: "done", status: "running" });
    expect(await send("stopentry")).toMatchObject({ result: "done", status: "stopentry" });
    const cap = await send("set_risk", { maxTradeFraction: 0.9 });
    expect(cap.message).toMatch(/maxTradeFraction 0.5/);
    expect((await send("set_risk", { maxTradeFraction: 0.1 })).message).toMatch(/maxTradeFraction 0.1,/);
    expect((await send("coach", { enabled: false })).result).toBe("done");
    expect((await send("coach", { enabled: false })).result).toBe("already");
    const bad = await send("explode", {}, "dash:bad");
    expect(bad.result).toBe("rejected");
    expect(bad.message).toMatch(/command/);
    const dup = await send("stopentry", {}, "dash:5");
    expect(dup.result).toBe("already");
    expect(dup.message).toMatch(/already handled/);
    const ticksNow = h.reports.length;
    await until(() => h!.reports.length >= ticksNow + 3, 20_000, "ticks with entries stopped");
    expect((await send("kill")).status).toBe("stopped");
    ctl.abort();
    await running;
    const j = Journal.openReadOnly(h.journalPath);
    const rows = j.db.prepare<unknown[]>("SELECT bar_ts, side, risk_code FROM decisions ORDER BY bar_ts").all() as { bar_ts: number; side: string | null; risk_code: string }[];
    const controls = j.db.prepare<unknown[]>("SELECT command, result FROM controls ORDER BY seq").all() as { command: string; result: string }[];
    j.close();
    // While stopped: no order from the agent; with entries stopped: sells only.
    const stoppedRows = rows.filter((r) => r.risk_code === "stopped");
    expect(stoppedRows.length).toBeGreaterThan(0);
    expect(stoppedRows.every((r) => r.side === null)).toBe(true);
    const entryRows = rows.filter((r) => r.risk_code === "entries_paused");
    expect(entryRows.length).toBeGreaterThan(0);
    expect(entryRows.every((r) => r.side === null)).toBe(true);
    expect(controls.map((c) => `${c.command}:${c.result}`).slice(0, 4)).toEqual(["stop:done", "stop:already", "forceexit:done", "start:done"]);
  }, 180_000);
});
