import { describe, expect, it } from "vitest";
import { EnvError } from "../env/errors.js";
import { alignMarkets } from "./align.js";
import { seriesAt, T0 } from "./test-markets.js";

const HOUR = 3_600_000;

describe("alignMarkets", () => {
  // A: hours 0–9 without 3 and 7; B: hours 1–11 without 5. Common range: hours 1 … 9.
  const a = seriesAt("A/USD", [0, 1, 2, 4, 5, 6, 8, 9], [10, 11, 12, 14, 15, 16, 18, 19]);
  const b = seriesAt("B/USD", [1, 2, 3, 4, 6, 7, 8, 9, 10, 11], [101, 102, 103, 104, 106, 107, 108, 109, 110, 111]);

  it("drop: keeps the timestamps every asset has, and reports what it dropped and trimmed", () => {
    const m = alignMarkets([a, b], { missingBars: "drop" });
    // Union of 1…9 is 1–9 (9 hours); A lacks 3 and 7, B lacks 5: hours 1, 2, 4, 6, 8, 9 remain.
    expect(Array.from(m.timestamp, (t) => (t - T0) / HOUR)).toEqual([1, 2, 4, 6, 8, 9]);
    expect(Array.from(m.candles[0]!.close)).toEqual([11, 12, 14, 16, 18, 19]);
    expect(Array.from(m.candles[1]!.close)).toEqual([101, 102, 104, 106, 108, 109]);
    expect(m.tradable.every((ok) => ok.every((x) => x === 1))).toBe(true);
    const r = m.report;
    expect(r.droppedRows).toBe(3);
    expect(r.filledBars).toBe(0);
    expect(r.clockGaps).toBe(3); // 2→4, 4→6, 6→8
    expect(r.assets.map((x) => [x.symbol, x.missing, x.trimmedBefore, x.trimmedAfter])).toEqual([
      ["A/USD", 2, 1, 0],
      ["B/USD", 1, 0, 2],
    ]);
    expect(r.assets[0]!.missingExamples).toEqual([new Date(T0 + 3 * HOUR).toISOString(), new Date(T0 + 7 * HOUR).toISOString()]);
    expect(r.lines.join("\n")).toMatch(/A\/USD: 8 rows; 2 bar\(s\) missing/);
  });

  it("fill: keeps every timestamp, fills flat at the previous close with volume 0, marks it untradable", () => {
    const m = alignMarkets([a, b], { missingBars: "fill" });
    expect(Array.from(m.timestamp, (t) => (t - T0) / HOUR)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const A = m.candles[0]!;
    // Hour 3 (row 2) is filled from hour 2's close 12; hour 7 (row 6) from hour 6's 16.
    expect(Array.from(A.close)).toEqual([11, 12, 12, 14, 15, 16, 16, 18, 19]);
    expect([A.open[2], A.high[2], A.low[2], A.volume[2]]).toEqual([12, 12, 12, 0]);
    expect(Array.from(m.tradable[0]!)).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(m.tradable[1]!)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(m.candles[1]!.close)).toEqual([101, 102, 103, 104, 104, 106, 107, 108, 109]);
    expect(m.report.filledBars).toBe(3);
    expect(m.report.droppedRows).toBe(0);
  });

  it("fill: a common range that starts with a hole starts at the first complete row", () => {
    const x = seriesAt("X/USD", [0, 2, 3], [1, 2, 3]);
    const y = seriesAt("Y/USD", [0, 1, 2, 3], [5, 6, 7, 8]);
    const z = seriesAt("Z/USD", [1, 2, 3], [9, 9, 9]);
    const m = alignMarkets([x, y, z], { missingBars: "fill" });
    // Common range 1…3; at hour 1 X has no bar and nothing to fill from: hours 2 and 3 remain.
    expect(Array.from(m.timestamp, (t) => (t - T0) / HOUR)).toEqual([2, 3]);
    expect(m.report.droppedRows).toBe(1);
  });

  it("names what is wrong", () => {
    const code = (run: () => unknown): string => {
      try {
        run();
      } catch (e) {
        if (e instanceof EnvError) return `${e.code}@${e.field}`;
        throw e;
      }
      return "no error";
    };
    expect(code(() => alignMarkets([a, a]))).toBe("invalid_market@assets[1].symbol");
    expect(code(() => alignMarkets([a, seriesAt("C/USD", [20, 21], [1, 2])]))).toBe("invalid_market@assets");
    expect(code(() => alignMarkets([a, seriesAt("D/USD", [1, 1], [1, 2])]))).toBe("invalid_market@assets[1].timestamp[1]");
    expect(code(() => alignMarkets([]))).toBe("invalid_market@assets");
  });
});
