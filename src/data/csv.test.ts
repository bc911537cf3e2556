import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocCandles, type Candles } from "./candles.js";
import {
  CSV_HEADER,
  formatCandlesCsv,
  parseCandlesCsv,
  parseDecimal,
  readCandlesCsv,
  readCandlesCsvAsync,
  writeCandlesCsv,
} from "./csv.js";
import { CandleCsvError, CandleDataError, type CandleRuleCode } from "./errors.js";
import { formatDecimal } from "./rules.js";

const H = 3_600_000;
const T0 = Date.UTC(2020, 0, 1); // 1577836800000
const HEAD = CSV_HEADER + "\n";

/** Builds file text from rows written by hand. */
function file(...rows: string[]): string {
  return HEAD + rows.map((r) => r + "\n").join("");
}

const ok = (i: number, o = 100, h = 110, l = 90, c = 105, v = 5): string => `${T0 + i * H},${o},${h},${l},${c},${v}`;

function errorOf(text: string, label = "data/x.csv", timeframe = "1h"): CandleCsvError {
  try {
    parseCandlesCsv(text, label, { timeframe });
  } catch (e) {
    if (e instanceof CandleCsvError) return e;
    throw e;
  }
  throw new Error("expected a CandleCsvError");
}

describe("parseCandlesCsv: valid files", () => {
  it("reads columns into Float64Arrays with the meta it was given", () => {
    const text = file(ok(0), ok(1, 105, 108.5, 101.25, 102, 0), ok(2, 102, 102, 95.125, 95.125, 12.5));
    const { candles, report } = parseCandlesCsv(text, "mem.csv", { symbol: "BTC/USD", exchange: "bitfinex" });
    expect(candles.meta).toEqual({ symbol: "BTC/USD", exchange: "bitfinex", timeframe: "1h", source: "mem.csv" });
    expect(candles.length).toBe(3);
    expect(Array.from(candles.timestamp)).toEqual([T0, T0 + H, T0 + 2 * H]);
    expect(Array.from(candles.open)).toEqual([100, 105, 102]);
    expect(Array.from(candles.high)).toEqual([110, 108.5, 102]);
    expect(Array.from(candles.low)).toEqual([90, 101.25, 95.125]);
    expect(Array.from(candles.close)).toEqual([105, 102, 95.125]);
    expect(Array.from(candles.volume)).toEqual([5, 0, 12.5]);
    expect(report).toMatchObject({
      file: "mem.csv",
      rows: 3,
      timeframe: "1h",
      first: T0,
      last: T0 + 2 * H,
      firstIso: "2020-01-01T00:00:00.000Z",
      lastIso: "2020-01-01T02:00:00.000Z",
    });
    expect(report.gaps.count).toBe(0);
    expect(report.sha256).toBe(createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex"));
  });

  it("accepts CRLF line endings, a byte-order mark, no final newline and trailing blank lines", () => {
    const crlf = HEAD.replace("\n", "\r\n") + ok(0) + "\r\n" + ok(1) + "\r\n";
    expect(parseCandlesCsv(crlf, "a").candles.length).toBe(2);
    expect(parseCandlesCsv("\uFEFF" + file(ok(0)), "b").candles.length).toBe(1);
    expect(parseCandlesCsv(HEAD + ok(0) + "\n" + ok(1), "c").candles.length).toBe(2);
    expect(parseCandlesCsv(file(ok(0)) + "\n\n\r\n", "d").candles.length).toBe(1);
  });

  it("a header-only file is an empty series", () => {
    for (const text of [CSV_HEADER, HEAD]) {
      const { candles, report } = parseCandlesCsv(text, "e");
      expect(candles.length).toBe(0);
      expect(report).toMatchObject({ rows: 0, first: null, last: null, firstIso: null, lastIso: null });
      expect(report.gaps.count).toBe(0);
    }
  });

  it("reports gaps without treating them as errors", () => {
    const { report } = parseCandlesCsv(file(ok(0), ok(1), ok(4), ok(5), ok(15)), "g");
    expect(report.rows).toBe(5);
    expect(report.gaps.count).toBe(2);
    expect(report.gaps.missingBars).toBe(2 + 9);
    expect(report.gaps.largest).toMatchObject({ index: 4, missingBars: 9, fromIso: "2020-01-01T06:00:00.000Z", toIso: "2020-01-01T14:00:00.000Z" });
  });

  it("parses number spellings exactly as Number() does", () => {
    const text = file(`${T0},1e2,1.1E+2,0.9e2,105.000000000000000001,5e-1`, `${T0 + H},.5,0.50,0.5,0.5,0`);
    const { candles } = parseCandlesCsv(text, "n");
    expect(Array.from(candles.open)).toEqual([100, 0.5]);
    expect(Array.from(candles.high)).toEqual([110, 0.5]);
    expect(Array.from(candles.low)).toEqual([90, 0.5]);
    expect(candles.close[0]).toBe(Number("105.000000000000000001"));
    expect(candles.volume[0]).toBe(0.5);
  });

  it("checks alignment against the timeframe it is told (1d bars open at 00:00 UTC)", () => {
    const D = 86_400_000;
    expect(parseCandlesCsv(file(`${T0},1,1,1,1,1`, `${T0 + D},1,1,1,1,1`), "d", { timeframe: "1d" }).candles.length).toBe(2);
    const e = errorOf(file(`${T0},1,1,1,1,1`, `${T0 + D + H},1,1,1,1,1`), "d.csv", "1d");
    expect(e).toMatchObject({ code: "misaligned_timestamp", line: 3, column: 1 });
  });

  it("rejects an unknown timeframe", () => {
    expect(() => parseCandlesCsv(file(ok(0)), "x", { timeframe: "7m" })).toThrow(RangeError);
  });
});

describe("parseCandlesCsv: every rule, with file, line, column and code", () => {
  const cases: { name: string; text: string; code: CandleRuleCode; line: number; column: number; field: string }[] = [
    { name: "header missing a column", text: "timestamp,open,high,low,close\n" + ok(0), code: "bad_header", line: 1, column: 6, field: "volume" },
    { name: "header with a capital", text: "Timestamp,open,high,low,close,volume\n" + ok(0), code: "bad_header", line: 1, column: 1, field: "timestamp" },
    { name: "header in another order", text: "timestamp,open,low,high,close,volume\n" + ok(0), code: "bad_header", line: 1, column: 3, field: "high" },
    { name: "empty file", text: "", code: "bad_header", line: 1, column: 1, field: "timestamp" },
    { name: "five fields", text: file(ok(0), `${T0 + H},1,2,0.5,1`), code: "wrong_column_count", line: 3, column: 0, field: "row" },
    { name: "seven fields", text: file(ok(0), ok(1) + ",9"), code: "wrong_column_count", line: 3, column: 0, field: "row" },
    { name: "a trailing comma", text: file(ok(0) + ","), code: "wrong_column_count", line: 2, column: 0, field: "row" },
    { name: "a blank line inside", text: file(ok(0), "", ok(1)), code: "wrong_column_count", line: 3, column: 0, field: "row" },
    { name: "text for a price", text: file(ok(0), `${T0 + H},abc,2,0.5,1,1`), code: "bad_number", line: 3, column: 2, field: "open" },
    { name: "an empty field", text: file(`${T0},1,2,0.5,,1`), code: "bad_number", line: 2, column: 5, field: "close" },
    { name: "a space", text: file(`${T0},1,2, 0.5,1,1`), code: "bad_number", line: 2, column: 4, field: "low" },
    { name: "hex", text: file(`${T0},1,0x10,0.5,1,1`), code: "bad_number", line: 2, column: 3, field: "high" },
    { name: "NaN", text: file(`${T0},1,2,0.5,1,NaN`), code: "bad_number", line: 2, column: 6, field: "volume" },
    { name: "Infinity", text: file(`${T0},Infinity,2,0.5,1,1`), code: "bad_number", line: 2, column: 2, field: "open" },
    { name: "a date for a timestamp", text: file("2020-01-01,1,2,0.5,1,1"), code: "bad_number", line: 2, column: 1, field: "timestamp" },
    { name: "an overflowing number", text: file(`${T0},1,2,0.5,1e999,1`), code: "non_finite", line: 2, column: 5, field: "close" },
    { name: "a fractional timestamp", text: file(`${T0}.5,1,2,0.5,1,1`), code: "bad_timestamp", line: 2, column: 1, field: "timestamp" },
    { name: "a negative timestamp", text: file(`-3600000,1,2,0.5,1,1`), code: "bad_timestamp", line: 2, column: 1, field: "timestamp" },
    { name: "a misaligned timestamp", text: file(ok(0), `${T0 + H + 1},1,2,0.5,1,1`), code: "misaligned_timestamp", line: 3, column: 1, field: "timestamp" },
    { name: "a duplicated timestamp", text: file(ok(0), ok(1), ok(1)), code: "duplicate_timestamp", line: 4, column: 1, field: "timestamp" },
    { name: "a timestamp going back", text: file(ok(0), ok(2), ok(1)), code: "timestamp_not_increasing", line: 4, column: 1, field: "timestamp" },
    { name: "a zero price", text: file(ok(0, 100, 110, 0, 105)), code: "non_positive_price", line: 2, column: 4, field: "low" },
    { name: "a negative open", text: file(ok(0), ok(1, -1, 110, 90, 105)), code: "non_positive_price", line: 3, column: 2, field: "open" },
    { name: "a negative volume", text: file(ok(0, 100, 110, 90, 105, -0.5)), code: "negative_volume", line: 2, column: 6, field: "volume" },
    { name: "high below close", text: file(ok(0, 100, 104, 90, 105)), code: "high_below_open_close", line: 2, column: 3, field: "high" },
    { name: "high below open", text: file(ok(0, 106, 105.5, 90, 105)), code: "high_below_open_close", line: 2, column: 3, field: "high" },
    { name: "low above open", text: file(ok(0, 100, 110, 100.5, 105)), code: "low_above_open_close", line: 2, column: 4, field: "low" },
    { name: "low above close", text: file(ok(0, 100, 110, 96, 95)), code: "low_above_open_close", line: 2, column: 4, field: "low" },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code} at line ${c.line}`, () => {
      const e = errorOf(c.text, "data/bad.csv");
      expect(e.file).toBe("data/bad.csv");
      expect({ code: e.code, line: e.line, column: e.column, field: e.field }).toEqual({
        code: c.code,
        line: c.line,
        column: c.column,
        field: c.field,
      });
      expect(e.issues).toHaveLength(1);
      expect(e.message).toContain(`data/bad.csv:${c.line}`);
      expect(e.message).toContain(c.code);
    });
  }

  it("says what was expected and what was found", () => {
    const e = errorOf(file(ok(0, 100, 104, 90, 105)), "data/bad.csv");
    expect(e.expected).toBe("high >= max(open, close) = 105");
    expect(e.got).toBe("104");
    expect(e.message).toBe(
      "invalid candle CSV data/bad.csv: 1 problem\n" +
        "  data/bad.csv:2 column 3 (high): high_below_open_close: expected high >= max(open, close) = 105, got 104",
    );
    const h = errorOf("timestamp;open;high;low;close;volume\n", "data/semi.csv");
    expect(h.expected).toBe(JSON.stringify(CSV_HEADER));
    expect(h.got).toBe(JSON.stringify("timestamp;open;high;low;close;volume"));
  });

  it("collects several problems in one pass, several per row", () => {
    const text = file(ok(0), `${T0 + H},abc,2,0.5,1,-1`, ok(2), ok(2, 100, 99, 101, 105), ok(3));
    const e = errorOf(text);
    expect(e.issues.map((i) => [i.line, i.column, i.code])).toEqual([
      [3, 2, "bad_number"],
      [3, 6, "negative_volume"],
      [5, 1, "duplicate_timestamp"],
      [5, 3, "high_below_open_close"],
      [5, 4, "low_above_open_close"],
    ]);
    expect(e.truncated).toBe(false);
    expect(e.message.split("\n")).toHaveLength(6);
  });

  it("stops after 20 problems and says so", () => {
    const rows = [ok(0)];
    for (let i = 1; i <= 30; i++) rows.push(ok(i, 100, 110, 90, 105, -1));
    const e = errorOf(file(...rows));
    expect(e.issues).toHaveLength(20);
    expect(e.truncated).toBe(true);
    expect(e.issues[19]!.line).toBe(22);
    expect(e.message).toContain("20+ problems (stopped after 20)");
  });
});

describe("parseDecimal", () => {
  it("equals Number() on every spelling a double can have", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 }), (x, k) => {
        for (const s of [String(x), formatDecimal(x), x.toFixed(k), x.toPrecision(k + 1), x.toExponential(k)]) {
          const got = parseDecimal(s);
          if (!Object.is(got, Number(s))) throw new Error(`${s}: ${got} vs ${Number(s)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("equals Number() on long digit strings (beyond the fast path)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?[0-9]{1,30}(\.[0-9]{1,30})?$/), (s) => Object.is(parseDecimal(s), Number(s))),
      { numRuns: 2000 },
    );
  });

  it("rejects what is not a plain decimal, even where Number() accepts it", () => {
    for (const s of ["", " 1", "1 ", "+1", "0x10", "0b1", "Infinity", "NaN", "1_000", "1e", "1e+", ".", "-", "--1", "1.2.3", "1,5"]) {
      expect(parseDecimal(s), s).toBeNaN();
    }
  });
});

describe("formatDecimal", () => {
  it("never writes an exponent and always reads back to the same double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatDecimal(x);
        return !/[eE]/.test(s) && Object.is(Number(s), x === 0 ? 0 : x); // -0 is written as "0"
      }),
      { numRuns: 5000 },
    );
  });

  it("writes small and huge numbers in plain digits", () => {
    expect(formatDecimal(1e-7)).toBe("0.0000001");
    expect(formatDecimal(-1.2345e-9)).toBe("-0.0000000012345");
    expect(formatDecimal(1.5e21)).toBe("1500000000000000000000");
    expect(formatDecimal(123.456)).toBe("123.456");
    expect(formatDecimal(1507539600000)).toBe("1507539600000");
  });
});

/** A valid random series: positive prices with high/low around open/close, aligned increasing timestamps. */
const arbCandles = fc
  .array(
    fc.record({
      step: fc.integer({ min: 1, max: 5 }),
      open: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
      close: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
      up: fc.double({ min: 0, max: 1e3, noNaN: true }),
      down: fc.double({ min: 0, max: 0.999, noNaN: true }),
      volume: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true })),
    }),
    { minLength: 0, maxLength: 60 },
  )
  .map((rows) => {
    const c = allocCandles({ symbol: "T/T", exchange: "test", timeframe: "1h" }, rows.length);
    let t = T0;
    rows.forEach((r, i) => {
      t += r.step * H;
      c.timestamp[i] = t;
      c.open[i] = r.open;
      c.close[i] = r.close;
      c.high[i] = Math.max(r.open, r.close) + r.up;
      c.low[i] = Math.min(r.open, r.close) * (1 - r.down);
      c.volume[i] = r.volume;
    });
    return c;
  });

describe("write → read → write", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "csv-test-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives back the same doubles and byte-identical text", () => {
    fc.assert(
      fc.property(arbCandles, (c) => {
        const text = formatCandlesCsv(c);
        const back = parseCandlesCsv(text, "rt", { symbol: "T/T", exchange: "test" }).candles;
        expect(back.length).toBe(c.length);
        for (const k of ["timestamp", "open", "high", "low", "close", "volume"] as const) {
          expect(Array.from(back[k])).toEqual(Array.from(c[k]));
        }
        expect(formatCandlesCsv(back)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips through disk, sync and async, and leaves no temp files", async () => {
    const c = allocCandles({ symbol: "T/T", exchange: "test", timeframe: "1h" }, 50);
    for (let i = 0; i < c.length; i++) {
      c.timestamp[i] = T0 + (i + (i > 20 ? 3 : 0)) * H;
      c.open[i] = 100 + Math.sin(i) * 10;
      c.close[i] = 100 + Math.sin(i + 1) * 10;
      c.high[i] = Math.max(c.open[i]!, c.close[i]!) + i / 7;
      c.low[i] = Math.min(c.open[i]!, c.close[i]!) - 1 / (i + 3);
      c.volume[i] = i === 5 ? 0 : 1e-9 * i + i * 1234.5678;
    }
    const path = join(dir, "sub", "c.csv");
    writeCandlesCsv(path, c);
    const first = readFileSync(path, "utf8");
    const back = readCandlesCsv(path).candles;
    const backAsync = (await readCandlesCsvAsync(path)).candles;
    expect(Array.from(backAsync.close)).toEqual(Array.from(back.close));
    writeCandlesCsv(path, back);
    expect(readFileSync(path, "utf8")).toBe(first);
    expect(readdirSync(join(dir, "sub"))).toEqual(["c.csv"]);
    expect(readCandlesCsv(path).report.sha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
  });

  it("refuses to write an invalid series and leaves the old file intact", () => {
    const path = join(dir, "c.csv");
    const good = file(ok(0), ok(1));
    writeFileSync(path, good);
    const bad: Candles = { ...parseCandlesCsv(good, "g").candles };
    bad.high[1] = 1; // below open and close
    expect(() => writeCandlesCsv(path, bad)).toThrow(CandleDataError);
    try {
      writeCandlesCsv(path, bad);
    } catch (e) {
      expect(e).toMatchObject({ code: "high_below_open_close", row: 1, field: "high" });
    }
    expect(readFileSync(path, "utf8")).toBe(good);
    expect(readdirSync(dir)).toEqual(["c.csv"]);
  });

  it("a write that fails at the rename leaves the target and no temp file behind", () => {
    const target = join(dir, "occupied");
    mkdirSync(target);
    writeFileSync(join(target, "keep.txt"), "x");
    const c = parseCandlesCsv(file(ok(0)), "g").candles;
    expect(() => writeCandlesCsv(target, c)).toThrow();
    expect(readdirSync(dir)).toEqual(["occupied"]);
    expect(readFileSync(join(target, "keep.txt"), "utf8")).toBe("x");
  });

  it("names the path in errors from disk", () => {
    const path = join(dir, "bad.csv");
    writeFileSync(path, file(ok(0), ok(0)));
    expect(() => readCandlesCsv(path)).toThrow(CandleCsvError);
    try {
      readCandlesCsv(path);
    } catch (e) {
      expect(e).toMatchObject({ file: path, line: 3, column: 1, code: "duplicate_timestamp" });
    }
  });
});

describe("readCandlesCsv: a path that is not a file", () => {
  it("a folder given as the CSV is one error naming the path (Node's EISDIR carries none)", async () => {
    const { formatError } = await import("../cli/format-error.js");
    const dir = mkdtempSync(join(tmpdir(), "csv-folder-"));
    try {
      let sync: unknown;
      try {
        readCandlesCsv(dir);
      } catch (err) {
        sync = err;
      }
      expect(formatError(sync)).toBe(`EISDIR at ${dir}: is a folder, expected a candle CSV file`);
      const async = await readCandlesCsvAsync(dir).catch((err: unknown) => err);
      expect(formatError(async)).toBe(`EISDIR at ${dir}: is a folder, expected a candle CSV file`);
      const missing = join(dir, "none.csv");
      expect(formatError(await readCandlesCsvAsync(missing).catch((err: unknown) => err))).toMatch(new RegExp(`^ENOENT at ${missing}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
