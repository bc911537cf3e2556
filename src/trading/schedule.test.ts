import { describe, expect, it } from "vitest";
import { barOpenAt, isCandleStale, isTraderStale, lastClosedBar, nextTick, tickStartFor } from "./schedule.js";

const M5 = 300_000;
const OFF = 1_000;
const T = Date.UTC(2024, 0, 1, 12, 0); // a 5-minute boundary

describe("tick scheduling (R23)", () => {
  it("bar arithmetic", () => {
    expect(barOpenAt(T + 299_999, M5)).toBe(T);
    expect(lastClosedBar(T + 300_000, M5)).toBe(T);
    expect(lastClosedBar(T + 299_999, M5)).toBe(T - M5);
    expect(tickStartFor(T, M5, OFF)).toBe(T + M5 + OFF);
  });

  it("a clock just before a candle boundary waits for the close plus the offset", () => {
    const now = T + M5 - 1; // 11:59:59.999 of the bar T … T+5m
    const t = nextTick(now, M5, OFF, T - M5);
    expect(t.barTs).toBe(T);
    expect(t.at).toBe(T + M5 + OFF);
    // Just after the boundary but inside the offset: still waits.
    expect(nextTick(T + M5 + 500, M5, OFF, T - M5).at).toBe(T + M5 + OFF);
  });

  it("a tick that overruns the interval makes the next one be skipped, not stacked", () => {
    // Tick of bar T started at T+5m+1s and ended 7 minutes later, past the start of bar T+5m's tick.
    const end = T + M5 + OFF + 7 * 60_000;
    const t = nextTick(end, M5, OFF, T);
    expect(t.barTs).toBe(T + 2 * M5);
    expect(t.at).toBe(T + 3 * M5 + OFF);
    expect(t.skipped).toBe(1);
    // Never two ticks for the same bar, never a start in the past.
    expect(t.at).toBeGreaterThanOrEqual(end);
  });

  it("a normal tick that ends in time is followed by the next bar's tick", () => {
    const t = nextTick(T + M5 + OFF + 40, M5, OFF, T);
    expect(t).toEqual({ barTs: T + M5, at: T + 2 * M5 + OFF, skipped: 0 });
  });

  it("at start-up a bar that has just closed may run late within the allowance", () => {
    const now = T + M5 + 20_000;
    expect(nextTick(now, M5, OFF, null, 30_000)).toEqual({ barTs: T, at: now, skipped: 0 });
    expect(nextTick(now, M5, OFF, null, 10_000)).toEqual({ barTs: T + M5, at: T + 2 * M5 + OFF, skipped: 0 });
    // Already decided on T: never again.
    expect(nextTick(now, M5, OFF, T, 30_000).barTs).toBe(T + M5);
    // Down for an hour: the ticks missed are counted, none is replayed.
    const back = nextTick(T + 3_600_000 + 2_000, M5, OFF, T, 30_000);
    expect(back.barTs).toBe(T + 3_600_000 - M5);
    expect(back.skipped).toBe(10);
  });

  it("stale candles and a stale trader", () => {
    // At a normal tick the latest closed bar is one bar plus the offset old.
    expect(isCandleStale(T, T + M5 + OFF, M5, OFF)).toBe(false);
    expect(isCandleStale(T, T + 2 * M5 + OFF, M5, OFF)).toBe(false);
    expect(isCandleStale(T, T + 2 * M5 + OFF + 1, M5, OFF)).toBe(true);
    expect(isTraderStale(T, T + 2 * M5 + OFF, M5, OFF)).toBe(false);
    expect(isTraderStale(T, T + 2 * M5 + OFF + 1, M5, OFF)).toBe(true);
  });

  it("rejects a nonsensical offset", () => {
    expect(() => nextTick(T, M5, M5, null)).toThrow(RangeError);
  });
});
