import { describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "./candles.js";
import { DateRangeError } from "./errors.js";
import { indexAtOrAfter, parseDate, selectRange, splitByDate, walkForwardSplits } from "./splits.js";

const H = 3_600_000;
const D = 86_400_000;

/** Hourly bars from `start` (ms) for `n` hours, skipping the hour offsets in `skip`; close = hour offset. */
function hourly(start: number, n: number, skip: number[] = []): Candles {
  const hours: number[] = [];
  for (let i = 0; i < n; i++) if (!skip.includes(i)) hours.push(i);
  const c = allocCandles({ symbol: "X/Y", exchange: "test", timeframe: "1h" }, hours.length);
  hours.forEach((h, i) => {
    c.timestamp[i] = start + h * H;
    c.open[i] = c.high[i] = c.low[i] = c.close[i] = h + 1;
    c.volume[i] = 1;
  });
  return c;
}

function errorOf(f: () => unknown): DateRangeError {
  try {
    f();
  } catch (e) {
    if (e instanceof DateRangeError) return e;
    throw e;
  }
  throw new Error("expected a DateRangeError");
}

describe("parseDate", () => {
  it("reads dates and datetimes as UTC", () => {
    expect(parseDate("2018-05-06")).toBe(Date.UTC(2018, 4, 6));
    expect(parseDate("2018-05-06T13:45")).toBe(Date.UTC(2018, 4, 6, 13, 45));
    expect(parseDate("2018-05-06 13:45:30")).toBe(Date.UTC(2018, 4, 6, 13, 45, 30));
    expect(parseDate("2018-05-06T13:45:30.5Z")).toBe(Date.UTC(2018, 4, 6, 13, 45, 30, 500));
    expect(parseDate("2018-05-06T13:45:30.123Z")).toBe(Date.UTC(2018, 4, 6, 13, 45, 30, 123));
    expect(parseDate("2018-05-06T02:00+02:00")).toBe(Date.UTC(2018, 4, 6, 0, 0));
    expect(parseDate("2018-05-06T00:00-0130")).toBe(Date.UTC(2018, 4, 6, 1, 30));
    expect(parseDate("2020-02-29")).toBe(Date.UTC(2020, 1, 29));
    expect(parseDate(1525564800000)).toBe(1525564800000);
    expect(parseDate(new Date(Date.UTC(2019, 0, 1)))).toBe(Date.UTC(2019, 0, 1));
  });

  it("rejects what is not a real date, naming the option", () => {
    for (const bad of ["2018-5-6", "06/05/2018", "2018-05-06T25:00", "2019-02-29", "2018-04-31", "2018-13-01", "2018-00-10", "yesterday", "", "2018-05-06Z"]) {
      const e = errorOf(() => parseDate(bad, "--since"));
      expect(e.code, bad).toBe("bad_date");
      expect(e.field).toBe("--since");
      expect(e.message).toContain("--since: bad_date");
    }
    expect(errorOf(() => parseDate(1.5)).code).toBe("bad_date");
    expect(errorOf(() => parseDate(new Date(Number.NaN))).code).toBe("bad_date");
  });
});

describe("selectRange (start inclusive, end exclusive)", () => {
  const day0 = Date.UTC(2019, 5, 25);
  const c = hourly(day0, 72); // 2019-06-25 00:00 … 2019-06-27 23:00

  it("a bare end date stops before that day's 00:00", () => {
    const r = selectRange(c, { start: "2019-06-26", end: "2019-06-27" });
    expect(r.length).toBe(24);
    expect(r.timestamp[0]).toBe(Date.UTC(2019, 5, 26));
    expect(r.timestamp[23]).toBe(Date.UTC(2019, 5, 26, 23));
  });

  it("includes a bar opening exactly at start and excludes one opening exactly at end", () => {
    const r = selectRange(c, { start: "2019-06-25T05:00Z", end: "2019-06-25T08:00Z" });
    expect(Array.from(r.close)).toEqual([6, 7, 8]);
  });

  it("open ends default to the series' ends; the result is a copy", () => {
    expect(selectRange(c, {}).length).toBe(72);
    expect(selectRange(c, { end: "2019-06-25T02:00" }).length).toBe(2);
    const tail = selectRange(c, { start: "2019-06-27T22:00" });
    expect(Array.from(tail.close)).toEqual([71, 72]);
    tail.close[0] = -1;
    expect(c.close[70]).toBe(71);
  });

  it("may be empty; a start after the end is an error", () => {
    expect(selectRange(c, { start: "2020-01-01" }).length).toBe(0);
    expect(selectRange(c, { start: "2019-06-26", end: "2019-06-26" }).length).toBe(0);
    const e = errorOf(() => selectRange(c, { start: "2019-06-27", end: "2019-06-26" }));
    expect(e.code).toBe("bad_range");
    expect(errorOf(() => selectRange(c, { start: "2019-06-31" })).field).toBe("start");
  });

  it("indexAtOrAfter agrees with a linear scan", () => {
    const g = hourly(day0, 40, [3, 4, 5, 20]);
    for (let t = day0 - H; t <= day0 + 41 * H; t += H / 2) {
      let expected = g.length;
      for (let i = 0; i < g.length; i++) {
        if (g.timestamp[i]! >= t) {
          expected = i;
          break;
        }
      }
      expect(indexAtOrAfter(g, t)).toBe(expected);
    }
  });
});

describe("splitByDate", () => {
  const c = hourly(Date.UTC(2019, 0, 1), 48);

  it("train holds bars before the instant, test the bar at it and after", () => {
    const { train, test } = splitByDate(c, "2019-01-02");
    expect(train.length).toBe(24);
    expect(test.length).toBe(24);
    expect(train.timestamp[23]).toBe(Date.UTC(2019, 0, 1, 23));
    expect(test.timestamp[0]).toBe(Date.UTC(2019, 0, 2));
  });

  it("an instant inside a gap splits at the next bar", () => {
    const g = hourly(Date.UTC(2019, 0, 1), 10, [4, 5, 6]);
    const { train, test } = splitByDate(g, "2019-01-01T05:00Z");
    expect(Array.from(train.close)).toEqual([1, 2, 3, 4]);
    expect(Array.from(test.close)).toEqual([8, 9, 10]);
  });

  it("refuses a split that leaves one side empty", () => {
    expect(errorOf(() => splitByDate(c, "2019-01-01")).code).toBe("empty_split");
    expect(errorOf(() => splitByDate(c, "2019-01-03")).code).toBe("empty_split");
    expect(() => splitByDate(c, "2019-01-02T23:00Z")).not.toThrow();
  });
});

describe("walkForwardSplits", () => {
  it("rolling folds in bars, worked out by hand", () => {
    const c = hourly(Date.UTC(2019, 0, 1), 20);
    const folds = walkForwardSplits(c, { trainBars: 8, testBars: 4 });
    // train [0,8) test [8,12); train [4,12) test [12,16); train [8,16) test [16,20)
    expect(folds.map((f) => [f.trainRows.start, f.trainRows.end, f.testRows.start, f.testRows.end])).toEqual([
      [0, 8, 8, 12],
      [4, 12, 12, 16],
      [8, 16, 16, 20],
    ]);
    expect(folds.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(Array.from(folds[1]!.test.close)).toEqual([13, 14, 15, 16]);
    expect(folds[0]!.trainRange).toEqual({
      start: Date.UTC(2019, 0, 1),
      end: Date.UTC(2019, 0, 1, 8),
      startIso: "2019-01-01T00:00:00.000Z",
      endIso: "2019-01-01T08:00:00.000Z",
    });
    expect(folds[2]!.testRange.endIso).toBe("2019-01-01T20:00:00.000Z");
  });

  it("anchored folds keep the start; a custom step moves the test window", () => {
    const c = hourly(Date.UTC(2019, 0, 1), 20);
    const folds = walkForwardSplits(c, { trainBars: 8, testBars: 4, stepBars: 3, anchored: true });
    expect(folds.map((f) => [f.trainRows.start, f.trainRows.end, f.testRows.end])).toEqual([
      [0, 8, 12],
      [0, 11, 15],
      [0, 14, 18],
    ]);
  });

  it("folds in days start at 00:00 UTC of the first bar's day and need the whole test window", () => {
    // 2019-01-01 06:00 … 2019-01-06 05:00 (120 hours)
    const start = Date.UTC(2019, 0, 1, 6);
    const c = hourly(start, 120);
    const folds = walkForwardSplits(c, { trainDays: 2, testDays: 1 });
    // windows: train [01-01, 01-03) test [01-03, 01-04); then +1 day; test [01-05, 01-06) ends 01-06 00:00 ≤ data end
    expect(folds.map((f) => [f.trainRange.startIso.slice(0, 10), f.testRange.startIso.slice(0, 10), f.testRange.endIso.slice(0, 10)])).toEqual([
      ["2019-01-01", "2019-01-03", "2019-01-04"],
      ["2019-01-02", "2019-01-04", "2019-01-05"],
      ["2019-01-03", "2019-01-05", "2019-01-06"],
    ]);
    expect(folds[0]!.train.length).toBe(42); // 06:00 on the 1st to 23:00 on the 2nd
    expect(folds[0]!.test.length).toBe(24);
    expect(folds[0]!.train.timestamp[0]).toBe(start);
  });

  it("skips a days fold whose train or test window has no bars", () => {
    const c = hourly(Date.UTC(2019, 0, 1), 120, Array.from({ length: 24 }, (_, i) => 48 + i)); // 01-03 missing
    const folds = walkForwardSplits(c, { trainDays: 1, testDays: 1 });
    // test 01-03 is empty; the next fold's train (01-03) is empty too; then train 01-04, test 01-05
    expect(folds.map((f) => f.testRange.startIso.slice(0, 10))).toEqual(["2019-01-02", "2019-01-05"]);
    expect(folds.map((f) => f.index)).toEqual([0, 1]);
  });

  it("rejects mixed units, missing sizes, unknown keys and series too short for one fold", () => {
    const c = hourly(Date.UTC(2019, 0, 1), 10);
    expect(errorOf(() => walkForwardSplits(c, { trainBars: 4, testDays: 1 })).code).toBe("bad_split_config");
    expect(errorOf(() => walkForwardSplits(c, { trainBars: 4 })).code).toBe("bad_split_config");
    expect(errorOf(() => walkForwardSplits(c, { trainBars: 0, testBars: 2 })).code).toBe("bad_split_config");
    expect(errorOf(() => walkForwardSplits(c, { trainBars: 4, testBars: 2, nope: 1 } as never)).code).toBe("bad_split_config");
    expect(errorOf(() => walkForwardSplits(c, { trainBars: 8, testBars: 4 })).code).toBe("empty_split");
    expect(walkForwardSplits(c, { trainBars: 6, testBars: 4 })).toHaveLength(1);
  });
});
