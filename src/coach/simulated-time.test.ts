/**
 * A replay's states carry market time: the coach judges their age by arrival, and the trader's receiver judges
 * guidance on the replay's clock and the coach's heartbeats on the wall clock. Hand-worked values (R14, R15).
 */
import { describe, expect, it } from "vitest";
import { EXAMPLES, parsePpoState, type AnyPpoState } from "../bus/messages.js";
import { initialCycleState, runCycleSync } from "./cycle.js";
import { GuidanceReceiver } from "./guidance-receiver.js";
import { ruleSetFrom } from "./rules.js";
import { elaborate, emptyMemory, remember, stateAge, type MemorySettings } from "./working-memory.js";

const H = 3_600_000;
const MARKET = Date.UTC(2021, 2, 1); // the replay's market time
const WALL = Date.UTC(2026, 11, 1, 12); // the coach's wall clock
const settings: MemorySettings = { window: 12, shortWindow: 4, volRegime: { low: 0.75, high: 1.5 }, staleIntervals: 2, defaultIntervalMs: H };

const state = (seq: number, ts: number, mode: string): AnyPpoState => {
  const p = parsePpoState({ schemaVersion: 1, seq, ts, price: 100 + seq, action: "hold", intervalMs: H, mode });
  if (!p.ok) throw new Error(JSON.stringify(p.rejection));
  return p.message;
};

describe("the age of a state (working memory)", () => {
  it("paper and live: now − ts on the wall clock, whatever arrival says", () => {
    const s = state(1, WALL - 3 * H, "paper");
    const m = remember(emptyMemory(), s, settings, WALL - 10);
    expect(stateAge(m, s, WALL, WALL - 10)).toBe(3 * H);
    expect(elaborate(m, s, WALL, settings, WALL - 10).stale).toBe(true);
    const live = state(1, WALL - H, "live");
    expect(elaborate(remember(emptyMemory(), live, settings), live, WALL, settings).stale).toBe(false);
  });

  it("replay: the arrival lag converted by the replay's pace (300 ms per hourly bar)", () => {
    let m = emptyMemory();
    // States put on the bus every 300 ms of real time, one bar apart in market time.
    for (let i = 0; i < 5; i++) m = remember(m, state(i + 1, MARKET + i * H, "replay"), settings, WALL + i * 300);
    expect(m.pace).toEqual([300 / H, 300 / H, 300 / H, 300 / H]);
    const last = state(5, MARKET + 4 * H, "replay");
    const sentAt = WALL + 4 * 300;
    // Read 100 ms after it was sent: 100 / (300 / H) = H / 3 of market time.
    expect(stateAge(m, last, sentAt + 100, sentAt)).toBeCloseTo(H / 3, 6);
    expect(elaborate(m, last, sentAt + 100, settings, sentAt).stale).toBe(false);
    // Read 900 ms late (a coach behind by three bars): 3 h, stale at staleIntervals 2.
    expect(stateAge(m, last, sentAt + 900, sentAt)).toBeCloseTo(3 * H, 6);
    expect(elaborate(m, last, sentAt + 900, settings, sentAt).stale).toBe(true);
    // Against the wall clock it would be five years old: the market time is never compared with it.
    expect(WALL - (MARKET + 4 * H)).toBeGreaterThan(5 * 365 * 24 * H);
  });

  it("replay: the first state (no pace yet) counts its real lag; the median pace ignores one pause", () => {
    const first = state(1, MARKET, "replay");
    const m0 = remember(emptyMemory(), first, settings, WALL);
    expect(stateAge(m0, first, WALL + 40, WALL)).toBe(40);
    let m = emptyMemory();
    const gaps = [300, 300, 60_000, 300, 300]; // the replay paused for a minute once
    let t = WALL;
    m = remember(m, state(1, MARKET, "replay"), settings, t);
    gaps.forEach((g, i) => {
      t += g;
      m = remember(m, state(i + 2, MARKET + (i + 1) * H, "replay"), settings, t);
    });
    const s = state(6, MARKET + 5 * H, "replay");
    expect(stateAge(m, s, t + 150, t)).toBeCloseTo(H / 2, 6);
  });

  it("an unpaced replay (several states per ms) makes any lag many bars, and no lag none", () => {
    let m = emptyMemory();
    for (let i = 0; i < 3; i++) m = remember(m, state(i + 1, MARKET + i * H, "replay"), settings, WALL);
    const s = state(3, MARKET + 2 * H, "replay");
    expect(stateAge(m, s, WALL, WALL)).toBe(0);
    expect(elaborate(m, s, WALL + 1, settings, WALL).stale).toBe(true);
  });

  it("backtest in the loop (no arrival): now − ts with now on the trader's timeline", () => {
    const rules = ruleSetFrom({ schemaVersion: 1, settings: { ttlTicks: 3 }, rules: [{ id: "r", when: [{ fact: "ticks", op: ">", value: 0 }], propose: { guidance: "size", value: 0.5 } }] });
    const s = JSON.stringify({ schemaVersion: 1, seq: 1, ts: MARKET, price: 100, action: "hold", intervalMs: H, mode: "backtest" });
    const out = runCycleSync(initialCycleState(), s, MARKET, { rules, coachId: "c" });
    expect(out.trace!.facts!.staleMs).toBe(0);
    expect(out.guidance).toMatchObject({ issuedAt: MARKET, expiresAt: MARKET + 3 * H });
  });
});

describe("the trader's receiver in a replay (R15)", () => {
  const g = (v: number, issuedAt: number) =>
    JSON.stringify({ schemaVersion: 1, id: `c:${v}`, version: v, guidance: "adjust_risk", value: 0.5, reason: "t", issuedAt, expiresAt: issuedAt + 3 * H, stateSeq: 1, source: "rule", rule: "r", coachId: "c" });
  const hb = (ts: number) => JSON.stringify({ ...EXAMPLES.heartbeat, ts });

  it("judges guidance on the replay's clock and the coach's heartbeats on the wall clock", () => {
    let wall = WALL;
    const r = new GuidanceReceiver({ maxAgeMs: 3 * H, livenessNow: () => wall, coachStaleMs: 2_000 });
    expect(r.receive(g(1, MARKET), MARKET + 1_000).outcome).toBe("applied");
    expect(r.effective(MARKET + 2 * H).riskScale).toBe(0.5);
    expect(r.effective(MARKET + 3 * H + 1).riskScale).toBe(1); // expired after 3 bars of replay time
    // A wall-clock heartbeat is not "future-dated" against 2021.
    expect(r.receiveHeartbeat(hb(WALL), MARKET + 1_000)).toBe(true);
    expect(r.coachStale(MARKET + 5 * H)).toBe(false); // replay time runs fast; the coach spoke 0 s ago
    wall += 2_001;
    expect(r.coachStale(MARKET + 5 * H)).toBe(true);
    // Without a liveness clock the same heartbeat is refused as future-dated (the old behaviour next to a replay).
    const plain = new GuidanceReceiver({ maxAgeMs: 3 * H });
    expect(plain.receiveHeartbeat(hb(WALL), MARKET)).toBe(false);
  });
});
