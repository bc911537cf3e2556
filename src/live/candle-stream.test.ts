import { describe, expect, it } from "vitest";
import { CandleStream, DEFAULT_CANDLE_STREAM_OPTIONS, type CandleUpdate, type CandleWatcher } from "./candle-stream.js";

/**
 * The closed-candle rule for an exchange whose stream carries no "closed" flag (Binance's own flag is exercised
 * end to end with ccxt.pro in ws-feed.test.ts): a candle is closed once its successor has started on the same
 * connection, never on a reconnect's word; and however many reconnect attempts fail, one line per transition.
 * The exchange side is a scripted CandleWatcher (no such exchange runs here).
 */
const H = 3_600_000;
const row = (i: number, close: number): CandleUpdate["row"] => [i * H, 100, 110, 90, close, 1];

/** Hands out the scripted batches one per watch(); "drop" rejects like a disconnect; then waits until stopped. */
function scripted(batches: Array<CandleUpdate[] | "drop">): CandleWatcher & { resets: number } {
  let stopped: (() => void) | null = null;
  const w = {
    host: "scripted",
    resets: 0,
    async watch(): Promise<CandleUpdate[]> {
      const next = batches.shift();
      if (next === "drop") throw Object.assign(new Error("connection closed by remote server, closing code 1006"), { name: "NetworkError" });
      if (next !== undefined) return next;
      await new Promise<void>((resolve) => (stopped = resolve));
      throw new Error("closed");
    },
    async reset(): Promise<void> {
      w.resets++;
    },
    async close(): Promise<void> {
      stopped?.();
    },
  };
  return w;
}

const settle = () => new Promise((r) => setTimeout(r, 60));

describe("CandleStream without a closed flag", () => {
  it("R22: a candle closes when its successor starts on the same connection; the forming one never; not across a reconnect", async () => {
    const lines: string[] = [];
    const w = scripted([
      [{ row: row(1, 101), final: null }],
      [{ row: row(1, 102), final: null }],
      [{ row: row(2, 103), final: null }], // 1 closed at 102 (its last value), 2 forming
      [{ row: row(2, 104), final: null }],
      "drop", // 2's last value (104) may miss trades made while down: not final
      [{ row: row(3, 105), final: null }],
      [{ row: row(4, 106), final: null }], // 3 closed (same connection), 4 forming
    ]);
    const s = new CandleStream(w, { ...DEFAULT_CANDLE_STREAM_OPTIONS, barMs: H, silenceMs: 5_000, backoffMs: [1], log: (_l, m) => void lines.push(m) });
    s.start();
    await settle();
    expect(s.closedAfter(0)).toEqual([row(1, 102), row(3, 105)]);
    expect(s.transitions.map((t) => t.state)).toEqual(["live", "down", "live"]);
    expect(lines).toHaveLength(3);
    await s.stop();
  });

  it("many failed reconnect attempts are one transition and one line", async () => {
    const lines: string[] = [];
    const w = scripted([[{ row: row(1, 101), final: true }], "drop", "drop", "drop", "drop", "drop", "drop", [{ row: row(2, 102), final: true }]]);
    const s = new CandleStream(w, { ...DEFAULT_CANDLE_STREAM_OPTIONS, barMs: H, silenceMs: 5_000, backoffMs: [1, 2], log: (level, m) => void lines.push(`${level}: ${m}`) });
    s.start();
    await settle();
    expect(w.resets).toBe(6);
    expect(s.transitions.map((t) => t.state)).toEqual(["live", "down", "live"]);
    expect(lines.map((l) => l.replace(/:.*/, ""))).toEqual(["info", "warn", "info"]);
    expect(lines[1]).toMatch(/^warn: candle stream down \(NetworkError: connection closed by remote server, closing code 1006\): polling REST, reconnecting with backoff$/);
    expect(s.closedAfter(0)).toEqual([row(1, 101), row(2, 102)]);
    await s.stop();
  });
});
