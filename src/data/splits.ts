import { z } from "zod";
import { sliceCandles, timeframeMs as timeframeToMs, type Candles } from "./candles.js";
import { DateRangeError } from "./errors.js";

/**
 * Cutting a series by date. One convention everywhere: a range is [start, end) — the start is included, the
 * end is not — and a bare date means that day's 00:00 UTC. So `{ start: "2018-05-06", end: "2019-06-27" }`
 * holds every bar opening from 2018-05-06T00:00Z up to 2019-06-26T23:00Z (hourly), and splitting at a date
 * puts the bar opening at that instant into the test part.
 */

/** A date as users write it: "2018-05-06", an ISO datetime, ms since the epoch, or a Date. */
export type DateInput = string | number | Date;

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const DATE_FORMS =
  `"YYYY-MM-DD", "YYYY-MM-DDTHH:mm[:ss[.sss]][Z|±HH:mm]" (UTC when no zone is given), or ms since 1970`;

/**
 * Parses a date to ms UTC. Strings without a zone are UTC (never the machine's local time). Impossible
 * calendar dates ("2019-02-30") are errors, not rolled over.
 */
export function parseDate(input: DateInput, field = "date"): number {
  if (input instanceof Date) {
    const t = input.getTime();
    if (Number.isNaN(t)) throw new DateRangeError("bad_date", field, "a valid Date", "Invalid Date");
    return t;
  }
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input)) {
      throw new DateRangeError("bad_date", field, "an integer number of ms since 1970-01-01 UTC", String(input));
    }
    return input;
  }
  const m = DATE_RE.exec(input.trim());
  if (m === null) throw new DateRangeError("bad_date", field, DATE_FORMS, JSON.stringify(input));
  const [, ys, mos, ds, hs, mis, ss, mss, zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  const ms = mss === undefined ? 0 : Number(mss.padEnd(3, "0"));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
    throw new DateRangeError("bad_date", field, "a real calendar date and time", JSON.stringify(input));
  }
  let t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(t);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    const expected = "a real calendar date (that month has fewer days)";
    throw new DateRangeError("bad_date", field, expected, JSON.stringify(input));
  }
  if (zone !== undefined && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2, 4));
    if (zh > 23 || zm > 59) throw new DateRangeError("bad_date", field, "a zone offset ±HH:mm", JSON.stringify(zone));
    t -= sign * (zh * 3_600_000 + zm * 60_000);
  }
  return t;
}

/** Index of the first row whose timestamp is ≥ t (the length when there is none). Binary search. */
export function indexAtOrAfter(candles: Candles, t: number): number {
  const ts = candles.timestamp;
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface DateRange {
  /** First instant included (a bare date means 00:00 UTC); default: the series' start. */
  readonly start?: DateInput;
  /** First instant excluded (a bare date means 00:00 UTC of that day); default: the series' end. */
  readonly end?: DateInput;
}

/** The bars with start ≤ open time < end, as a copy. May be empty; start after end is an error. */
export function selectRange(candles: Candles, range: DateRange): Candles {
  const start = range.start === undefined ? -Infinity : parseDate(range.start, "start");
  const end = range.end === undefined ? Infinity : parseDate(range.end, "end");
  if (start > end) {
    throw new DateRangeError(
      "bad_range",
      "end",
      `an end at or after the start ${new Date(start).toISOString()}`,
      new Date(end).toISOString(),
    );
  }
  return sliceCandles(candles, indexAtOrAfter(candles, start), indexAtOrAfter(candles, end));
}

export interface TrainTest {
  /** Bars opening before the split instant. */
  readonly train: Candles;
  /** Bars opening at or after the split instant. */
  readonly test: Candles;
}

/** Splits at an instant: train = bars before it, test = bars from it on. Both parts must be non-empty. */
export function splitByDate(candles: Candles, splitDate: DateInput): TrainTest {
  const t = parseDate(splitDate, "splitDate");
  const k = indexAtOrAfter(candles, t);
  if (k === 0 || k === candles.length) {
    const first = candles.length > 0 ? new Date(candles.timestamp[0]!).toISOString() : "none";
    const last = candles.length > 0 ? new Date(candles.timestamp[candles.length - 1]!).toISOString() : "none";
    throw new DateRangeError(
      "empty_split",
      "splitDate",
      `a date after the first bar (${first}) and at or before the last bar (${last})`,
      new Date(t).toISOString(),
    );
  }
  return { train: sliceCandles(candles, 0, k), test: sliceCandles(candles, k) };
}

const positiveInt = z.number().int().positive();
const positiveDays = z.number().positive();

/** Walk-forward options: sizes either all in bars or all in days. */
export const WalkForwardSchema = z
  .object({
    /** Training window length in bars (bars mode). */
    trainBars: positiveInt.optional(),
    /** Training window length in days (days mode; windows start at 00:00 UTC of the first bar's day). */
    trainDays: positiveDays.optional(),
    /** Test window length in bars (bars mode). */
    testBars: positiveInt.optional(),
    /** Test window length in days (days mode). */
    testDays: positiveDays.optional(),
    /** How far each fold moves on, in bars; default: the test length (test windows tile without overlap). */
    stepBars: positiveInt.optional(),
    /** How far each fold moves on, in days; default: the test length. */
    stepDays: positiveDays.optional(),
    /** true: every training window starts at the series' start (expanding); false: it slides (rolling). */
    anchored: z.boolean().default(false),
  })
  .strict();
export type WalkForwardOptions = z.input<typeof WalkForwardSchema>;

/** A range of time, [start, end), with its ISO forms. */
export interface DateSpan {
  readonly start: number;
  readonly end: number;
  readonly startIso: string;
  readonly endIso: string;
}

/** Rows [start, end) of the input series. */
export interface RowSpan {
  readonly start: number;
  readonly end: number;
}

export interface Fold {
  /** 0-based fold number, in time order. */
  readonly index: number;
  readonly train: Candles;
  readonly test: Candles;
  /** The training window; in bars mode, from the first bar's open to the last bar's close. */
  readonly trainRange: DateSpan;
  /** The test window, right after the training one. */
  readonly testRange: DateSpan;
  readonly trainRows: RowSpan;
  readonly testRows: RowSpan;
}

const DAY_MS = 86_400_000;

function span(start: number, end: number): DateSpan {
  return { start, end, startIso: new Date(start).toISOString(), endIso: new Date(end).toISOString() };
}

function configError(expected: string, got: string): DateRangeError {
  return new DateRangeError("bad_split_config", "walkForward", expected, got);
}

/** A fold of the calendar that holds no bars in its train or test window (a long outage). */
export interface SkippedFold {
  readonly trainRange: DateSpan;
  readonly testRange: DateSpan;
  readonly trainBars: number;
  readonly testBars: number;
}

/**
 * Walk-forward folds: train on a window, test on the window right after it, move on by `step`, repeat while
 * the data covers the whole test window. In days mode a fold whose train or test window holds no bars (a long
 * outage) is skipped and the numbering stays consecutive over the folds returned.
 */
export function walkForwardSplits(candles: Candles, options: WalkForwardOptions): Fold[] {
  return walkForwardPlan(candles, options).folds;
}

/** walkForwardSplits, plus the calendar folds it skipped because a window of theirs holds no bars. */
export function walkForwardPlan(candles: Candles, options: WalkForwardOptions): { readonly folds: Fold[]; readonly skipped: SkippedFold[] } {
  const skipped: SkippedFold[] = [];
  const parsed = WalkForwardSchema.safeParse(options);
  if (!parsed.success) throw configError("valid walk-forward options", parsed.error.message);
  const o = parsed.data;
  const barsMode = o.trainBars !== undefined || o.testBars !== undefined || o.stepBars !== undefined;
  const daysMode = o.trainDays !== undefined || o.testDays !== undefined || o.stepDays !== undefined;
  if (barsMode && daysMode) {
    throw configError("sizes all in bars or all in days", JSON.stringify(options));
  }
  const folds: Fold[] = [];
  const n = candles.length;
  const barMs = timeframeToMs(candles.meta.timeframe);
  const ts = candles.timestamp;
  const push = (trainRows: RowSpan, testRows: RowSpan, trainRange: DateSpan, testRange: DateSpan): void => {
    folds.push({
      index: folds.length,
      train: sliceCandles(candles, trainRows.start, trainRows.end),
      test: sliceCandles(candles, testRows.start, testRows.end),
      trainRange,
      testRange,
      trainRows,
      testRows,
    });
  };

  if (barsMode) {
    if (o.trainBars === undefined || o.testBars === undefined) {
      throw configError("both trainBars and testBars", JSON.stringify(options));
    }
    const step = o.stepBars ?? o.testBars;
    for (let k = 0; ; k++) {
      const trainEnd = o.trainBars + k * step;
      const testEnd = trainEnd + o.testBars;
      if (testEnd > n) break;
      const trainStart = o.anchored ? 0 : k * step;
      push(
        { start: trainStart, end: trainEnd },
        { start: trainEnd, end: testEnd },
        span(ts[trainStart]!, ts[trainEnd - 1]! + barMs),
        span(ts[trainEnd]!, ts[testEnd - 1]! + barMs),
      );
    }
  } else {
    if (o.trainDays === undefined || o.testDays === undefined) {
      throw configError("both trainDays and testDays (or trainBars and testBars)", JSON.stringify(options));
    }
    if (n > 0) {
      const origin = Math.floor(ts[0]! / DAY_MS) * DAY_MS;
      const dataEnd = ts[n - 1]! + barMs;
      const trainMs = Math.round(o.trainDays * DAY_MS);
      const testMs = Math.round(o.testDays * DAY_MS);
      const stepMs = Math.round((o.stepDays ?? o.testDays) * DAY_MS);
      for (let k = 0; ; k++) {
        const trainStartT = o.anchored ? origin : origin + k * stepMs;
        const trainEndT = origin + trainMs + k * stepMs;
        const testEndT = trainEndT + testMs;
        if (testEndT > dataEnd) break;
        const a = indexAtOrAfter(candles, trainStartT);
        const b = indexAtOrAfter(candles, trainEndT);
        const c = indexAtOrAfter(candles, testEndT);
        if (a === b || b === c) {
          skipped.push({ trainRange: span(trainStartT, trainEndT), testRange: span(trainEndT, testEndT), trainBars: b - a, testBars: c - b });
          continue;
        }
        push({ start: a, end: b }, { start: b, end: c }, span(trainStartT, trainEndT), span(trainEndT, testEndT));
      }
    }
  }
  if (folds.length === 0) {
    throw new DateRangeError(
      "empty_split",
      "walkForward",
      "a series long enough for one train window plus one test window",
      `${n} bars for ${JSON.stringify(options)}`,
    );
  }
  return { folds, skipped };
}
