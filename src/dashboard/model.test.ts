import { describe, expect, it } from "vitest";
import { EXAMPLES, parseGuidance, parseHeartbeat, parsePpoState, type AnyPpoState, type CoachHeartbeat } from "../bus/messages.js";
import { parseControlAck, parseTraderHeartbeat, type TraderHeartbeat } from "../bus/trader-messages.js";
import { DashboardModel, staleGraceMs } from "./model.js";

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function state(seq: number, over: Record<string, unknown> = {}): AnyPpoState {
  const p = parsePpoState({ ...EXAMPLES.ppoState, seq, ts: T0 + seq * MIN, intervalMs: MIN, ...over });
  if (!p.ok) throw new Error(JSON.stringify(p.rejection));
  return p.message;
}

function beat(seq: number, over: Partial<TraderHeartbeat> = {}): TraderHeartbeat {
  const p = parseTraderHeartbeat({ schemaVersion: 1, traderId: "run-1", lastProcess: T0 + seq * MIN + 1_000, barTs: T0 + (seq - 1) * MIN, seq, outcome: "decided", status: "running", intervalMs: MIN, mode: "paper", ...over });
  if (!p.ok) throw new Error(JSON.stringify(p.rejection));
  return p.message;
}

function coachBeat(ts: number, over: Partial<CoachHeartbeat> = {}): CoachHeartbeat {
  const p = parseHeartbeat({ ...EXAMPLES.heartbeat, ts, periodMs: 5_000, ...over });
  if (!p.ok) throw new Error(JSON.stringify(p.rejection));
  return p.message;
}

describe("R14: order of states on the dashboard", () => {
  it("ignores a state whose seq is not above the last one, and counts it", () => {
    const m = new DashboardModel();
    expect(m.ppoState(state(5), T0)).toBe("applied");
    expect(m.ppoState(state(7), T0 + 1)).toBe("applied");
    expect(m.ppoState(state(6), T0 + 2)).toBe("old_seq");
    expect(m.ppoState(state(7, { price: 1 }), T0 + 3)).toBe("old_seq");
    expect(m.counters.oldSeq).toBe(2);
    const latest = m.latestState()!.message;
    expect(latest.form === "v1" && latest.seq).toBe(7);
    expect(latest.price).toBe(EXAMPLES.ppoState.price);
    expect(m.series().map((p) => p.ts)).toEqual([T0 + 5 * MIN, T0 + 7 * MIN]);
  });

  it("starts the order again for another trader run (a new journal's seq starts at 1)", () => {
    const m = new DashboardModel();
    m.traderHeartbeat(beat(40), T0);
    m.ppoState(state(40), T0);
    expect(m.ppoState(state(1), T0 + 1)).toBe("old_seq");
    m.traderHeartbeat(beat(1, { traderId: "run-2" }), T0 + 2);
    expect(m.ppoState(state(1), T0 + 3)).toBe("applied");
    // An older heartbeat of the same run is ignored.
    expect(m.traderHeartbeat(beat(0, { traderId: "run-2" }), T0 + 4)).toBe("old_seq");
  });

  it("flags a state about a bar older than 2 intervals as stale data (paper, live)", () => {
    const m = new DashboardModel();
    m.ppoState(state(10), T0);
    const ts = T0 + 10 * MIN;
    const bound = 2 * MIN + staleGraceMs(MIN);
    expect(m.health(ts + bound).data.status).toBe("ok");
    expect(m.health(ts + bound + 1).data.status).toBe("stale");
    expect(m.health(ts + bound + 1).data.detail).toMatch(/over 2 intervals/);
    // A replay's bars carry a simulated time: their age says nothing.
    const r = new DashboardModel();
    r.ppoState(state(10, { mode: "replay" }), T0);
    expect(r.health(ts + 100 * MIN).data.status).toBe("ok");
  });
});

describe("R23: the trader flagged stale after 2 missed ticks", () => {
  it("paper: from the heartbeat's lastProcess, after 2 intervals and a grace", () => {
    const m = new DashboardModel();
    const hb = beat(3);
    m.traderHeartbeat(hb, hb.lastProcess + 50);
    const bound = 2 * MIN + staleGraceMs(MIN);
    expect(staleGraceMs(MIN)).toBe(6_000);
    expect(m.health(hb.lastProcess + bound).trader.status).toBe("ok");
    const h = m.health(hb.lastProcess + bound + 1);
    expect(h.trader.status).toBe("stale");
    expect(h.trader.detail).toMatch(/over 2 ticks/);
    // A new heartbeat clears it.
    const next = beat(4);
    m.traderHeartbeat(next, hb.lastProcess + bound + 2);
    expect(m.health(hb.lastProcess + bound + 3).trader.status).toBe("ok");
  });

  it("a dashboard that joins late sees an old heartbeat (the latest key) as stale at once", () => {
    const m = new DashboardModel();
    const hb = beat(3);
    m.traderHeartbeat(hb, hb.lastProcess + 10 * MIN);
    expect(m.health(hb.lastProcess + 10 * MIN).trader.status).toBe("stale");
  });

  it("replay: the period is the pace the heartbeats arrive at, judged by arrival time", () => {
    const m = new DashboardModel();
    let at = T0;
    for (let s = 1; s <= 5; s++) {
      m.traderHeartbeat(beat(s, { mode: "replay", lastProcess: T0 + s * 3_600_000 }), at);
      at += 200;
    }
    const last = at - 200;
    expect(m.traderPeriodMs()).toBe(200);
    const bound = 2 * 200 + staleGraceMs(200);
    expect(m.health(last + bound).trader.status).toBe("ok");
    expect(m.health(last + bound + 1).trader.status).toBe("stale");
  });

  it("without heartbeats, the states' arrival; nothing heard: unknown", () => {
    const m = new DashboardModel();
    expect(m.health(T0).trader.status).toBe("unknown");
    m.ppoState(state(1), T0);
    expect(m.health(T0 + 2 * MIN + staleGraceMs(MIN)).trader.status).toBe("ok");
    expect(m.health(T0 + 2 * MIN + staleGraceMs(MIN) + 1).trader.status).toBe("stale");
  });
});

describe("R15: a silent coach flagged stale", () => {
  it("after 2 heartbeat periods and a grace", () => {
    const m = new DashboardModel();
    expect(m.health(T0).coach.status).toBe("unknown");
    m.coachHeartbeat(coachBeat(T0), T0 + 5);
    expect(m.health(T0 + 11_000).coach.status).toBe("ok");
    expect(m.health(T0 + 11_001).coach.status).toBe("stale");
    expect(m.health(T0 + 11_001).coach.detail).toMatch(/no heartbeat for 11\.0 s/);
    // A coach that said it stopped is stale at once.
    m.coachHeartbeat(coachBeat(T0 + 12_000, { status: "stopped" }), T0 + 12_000);
    expect(m.health(T0 + 12_000).coach.status).toBe("stale");
  });

  it("counts how many trader ticks the coach's last trace is behind", () => {
    const m = new DashboardModel();
    m.ppoState(state(10), T0);
    m.trace(JSON.stringify({ cycle: 3, stateSeq: 7, ts: T0, decision: "selected", output: "published" }), T0);
    expect(m.health(T0).coach.behindTicks).toBe(3);
  });
});

describe("R12: Redis down", () => {
  it("flags the trader, the data and the coach down while the bus is, and clears when news comes back", () => {
    const m = new DashboardModel();
    const hb = beat(3);
    m.busStatus(true, T0);
    m.traderHeartbeat(hb, hb.lastProcess);
    m.ppoState(state(3), hb.lastProcess);
    m.coachHeartbeat(coachBeat(hb.lastProcess), hb.lastProcess);
    expect(m.health(hb.lastProcess + 100).trader.status).toBe("ok");
    m.busStatus(false, hb.lastProcess + 200);
    const h = m.health(hb.lastProcess + 300);
    expect([h.redis.status, h.trader.status, h.data.status, h.coach.status]).toEqual(["down", "down", "down", "down"]);
    m.busStatus(true, hb.lastProcess + 400);
    expect(m.health(hb.lastProcess + 500).trader.status).toBe("ok");
  });
});

describe("the model's records", () => {
  it("lets the journal's record of a bar win over the state's, and a fill over a decision marker", () => {
    const m = new DashboardModel();
    m.ppoState(state(1, { action: "buy", amount: 0.5 }), T0);
    const ts = T0 + MIN;
    expect(m.tradeMarks()).toEqual([{ ts, side: "buy", price: EXAMPLES.ppoState.price, coins: null, source: "decision" }]);
    m.journalPoints([{ ts, price: 36_000, cash: 1, coins: 2, value: 72_001, executed: true, turnedIntoHold: false, notional: 10, fee: 0.1, source: "journal" }]);
    m.journalTrades([{ ts, side: "buy", price: 36_010, coins: 0.1, source: "fill" }]);
    expect(m.series()).toHaveLength(1);
    expect(m.series()[0]!.source).toBe("journal");
    expect(m.tradeMarks()).toEqual([{ ts, side: "buy", price: 36_010, coins: 0.1, source: "fill" }]);
    // A later state about the same bar does not overwrite the journal's point.
    m.ppoState(state(2, { ts: ts, price: 1 }), T0 + 1);
    expect(m.series()[0]!.price).toBe(36_000);
  });

  it("keeps guidance by id with the trader's verdict, and matches acknowledgements to controls", () => {
    const m = new DashboardModel();
    const g = parseGuidance(EXAMPLES.guidance);
    if (!g.ok) throw new Error("example");
    expect(m.guidance(g.message, T0)).toBe("applied");
    expect(m.guidance(g.message, T0 + 1)).toBe("duplicate");
    expect(m.guidanceEntries()[0]!.verdict).toBeNull();
    m.guidanceVerdict(EXAMPLES.guidance.id, "applied", null, null, T0 + 2, EXAMPLES.guidance.version);
    expect(m.guidanceEntries()).toHaveLength(1);
    expect(m.guidanceEntries()[0]!.verdict).toBe("applied");
    expect(m.guidanceEntries()[0]!.verdictVersion).toBe(EXAMPLES.guidance.version);
    // A verdict for an id the dashboard has not seen on the bus creates the entry from the journaled message.
    const other = parseGuidance(JSON.stringify({ ...EXAMPLES.guidance, id: "coach-x:9", version: 9 }));
    if (!other.ok) throw new Error("example");
    m.guidanceVerdict("coach-x:9", "rejected", "expired at expiresAt", other.message, T0 + 3, 9);
    expect(m.guidanceEntries().find((e) => e.id === "coach-x:9")).toMatchObject({ verdict: "rejected", verdictVersion: 9, version: 9 });
    expect(m.guidanceEntries()[0]!.reason).toBe(EXAMPLES.guidance.reason);

    m.control({ schemaVersion: 1, id: "dash-x:1", issuedBy: "dashboard", issuedAt: T0, command: "stopentry", args: {} }, T0);
    const ack = parseControlAck({ schemaVersion: 1, id: "dash-x:1", command: "stopentry", result: "done", message: "entries blocked; exits still run", status: "stopentry", openOrders: 0, coins: 0.5, ts: T0 + 10 });
    if (!ack.ok) throw new Error("ack");
    expect(m.controlAck(ack.message, T0 + 10)).toBe("applied");
    expect(m.ackOf("dash-x:1")!.result).toBe("done");
    expect(m.traderStatus()).toEqual({ status: "stopentry", at: T0 + 10, from: "ack" });
    // A newer state's status wins over the ack.
    m.ppoState(state(1, { status: "running" }), T0 + 20);
    expect(m.traderStatus()!.status).toBe("running");
  });

  it("reads traces defensively and refuses what is not one", () => {
    const m = new DashboardModel();
    expect(m.trace("not json", T0)).toBe("unmatched");
    expect(m.trace(JSON.stringify({ cycle: "x" }), T0)).toBe("unmatched");
    const t = { cycle: 1, stateSeq: 4, ts: T0, decision: "selected", facts: { volRegime: "high", drawdown: 0.1, nested: { a: 1 } }, proposed: [{ rule: "r1", source: "rule", guidance: "adjust_risk", value: 0.5, preference: 2 }, { bad: true }], candidates: [], chosen: { rule: "r1", source: "rule", guidance: "adjust_risk", value: 0.5, preference: 2 }, output: "published", why: "<b>high</b> volatility" };
    expect(m.trace(JSON.stringify(t), T0)).toBe("applied");
    const v = m.traceViews()[0]!;
    expect(v.facts).toEqual({ volRegime: "high", drawdown: 0.1 });
    expect(v.proposed).toHaveLength(1);
    expect(v.chosen!.rule).toBe("r1");
    expect(v.why).toBe("<b>high</b> volatility");
  });
});
