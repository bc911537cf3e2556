import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../util/atomic-write.js";
import { allocCandles, sliceCandles, TIMEFRAME_MS, timeframeMs as timeframeToMs, type Candles, type CandleMeta } from "./candles.js";
import { CandleCsvError, MAX_REPORTED_ISSUES, type CandleIssue, type CandleRuleCode } from "./errors.js";
import { describeBarLength, findGaps, smallestStepMs, type GapReport } from "./gaps.js";
import { CANDLE_FIELDS, checkCandleRow, formatDecimal, validateCandles, type RuleSink } from "./rules.js";

/**
 * The project's candle file: `timestamp,open,high,low,close,volume`, one bar per line, timestamp = bar open
 * in ms UTC. Reading scans the text by char codes (no split, no per-row strings) and rejects any row that
 * breaks a rule; writing prints plain decimals in their shortest round-trip form, so write → read → write is
 * byte-identical and the doubles survive unchanged.
 */

export const CSV_HEADER = "timestamp,open,high,low,close,volume";

/** What the caller knows about a file that the file itself does not say. */
export interface CsvMetaOptions {
  /** Market symbol stored in the series' meta; default "unknown". */
  readonly symbol?: string;
  /** Exchange stored in the series' meta; default "unknown". */
  readonly exchange?: string;
  /** ccxt timeframe; bars must open on its boundaries; default "1h". */
  readonly timeframe?: string;
}

/** A summary of a file that was read successfully. Gaps are reported here, not treated as errors. */
export interface CsvReport {
  /** The file path or label used in messages. */
  readonly file: string;
  /** Data rows (the header not counted). */
  readonly rows: number;
  readonly timeframe: string;
  /** First bar's open (ms UTC), null when the file has no rows. */
  readonly first: number | null;
  /** Last bar's open (ms UTC), null when the file has no rows. */
  readonly last: number | null;
  readonly firstIso: string | null;
  readonly lastIso: string | null;
  /** SHA-256 of the file's text (hex), to record which data a run used. */
  readonly sha256: string;
  readonly gaps: GapReport;
}

export interface CsvReadResult {
  readonly candles: Candles;
  readonly report: CsvReport;
}

// Exact powers of ten: m / 10^k with m < 2^53 and k ≤ 22 is one correctly rounded IEEE operation on exact
// operands, hence the same double as Number(text) (Clinger's fast path).
const POW10 = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];
const MAX_FAST_DIGITS = 15;

/**
 * Parses the decimal number in text[start, end): `-?digits(.digits)?([eE][+-]?digits)?` (at least one digit
 * in the mantissa). Returns NaN when the text is not of that form; the result equals `Number(slice)` bit for
 * bit (including ±Infinity for huge exponents).
 */
export function parseDecimalRange(text: string, start: number, end: number): number {
  let i = start;
  if (i >= end) return Number.NaN;
  let negative = false;
  if (text.charCodeAt(i) === 45 /* - */) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let digitsSeen = 0;
  let exp10 = 0;
  let overflow = false;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    digitsSeen++;
    if (significant > 0 || d !== 0) {
      if (significant < MAX_FAST_DIGITS) mantissa = mantissa * 10 + d;
      else overflow = true;
      significant++;
    }
  }
  if (i < end && text.charCodeAt(i) === 46 /* . */) {
    i++;
    for (; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      digitsSeen++;
      if (significant > 0 || d !== 0) {
        if (significant < MAX_FAST_DIGITS) {
          mantissa = mantissa * 10 + d;
          exp10--;
        } else overflow = true;
        significant++;
      } else {
        exp10--;
      }
    }
  }
  if (digitsSeen === 0) return Number.NaN;
  if (i < end) {
    const c = text.charCodeAt(i);
    if (c !== 101 /* e */ && c !== 69 /* E */) return Number.NaN;
    i++;
    let expNegative = false;
    const s = text.charCodeAt(i);
    if (s === 45 || s === 43) {
      expNegative = s === 45;
      i++;
    }
    if (i >= end) return Number.NaN;
    let e = 0;
    for (; i < end; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return Number.NaN;
      if (e < 100_000) e = e * 10 + d;
    }
    exp10 += expNegative ? -e : e;
    overflow = true; // exponent forms are rare: let the engine do them exactly
  }
  if (overflow || exp10 > 22 || exp10 < -22) {
    // The grammar is checked above, so Number() sees a plain decimal and rounds it correctly.
    return Number(text.slice(start, end));
  }
  const v = exp10 >= 0 ? mantissa * POW10[exp10]! : mantissa / POW10[-exp10]!;
  return negative ? -v : v;
}

/** {@link parseDecimalRange} over a whole string. */
export function parseDecimal(text: string): number {
  return parseDecimalRange(text, 0, text.length);
}

function clip(s: string): string {
  const shown = s.length > 40 ? s.slice(0, 40) + "…" : s;
  return JSON.stringify(shown);
}

function resolveMeta(file: string, options: CsvMetaOptions): CandleMeta {
  return {
    symbol: options.symbol ?? "unknown",
    exchange: options.exchange ?? "unknown",
    timeframe: options.timeframe ?? "1h",
    source: file,
  };
}

function headerIssue(text: string, end: number): CandleIssue {
  const got = text.slice(0, end);
  const fields = got.split(",");
  let column = 0;
  for (let k = 0; k < Math.max(fields.length, CANDLE_FIELDS.length); k++) {
    if (fields[k] !== CANDLE_FIELDS[k]) {
      column = k + 1;
      break;
    }
  }
  return {
    code: "bad_header",
    line: 1,
    column,
    field: CANDLE_FIELDS[column - 1] ?? "header",
    expected: JSON.stringify(CSV_HEADER),
    got: got.length === 0 ? "an empty first line" : clip(got),
  };
}

/**
 * Parses a candle CSV held in memory. `fileLabel` names the file in errors and the report. Collects up to
 * {@link MAX_REPORTED_ISSUES} broken rules, then throws one {@link CandleCsvError} listing them.
 */
export function parseCandlesCsv(text: string, fileLabel: string, options: CsvMetaOptions = {}): CsvReadResult {
  const meta = resolveMeta(fileLabel, options);
  const barMs = timeframeToMs(meta.timeframe);
  const sha256 = createHash("sha256").update(text).digest("hex");
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark is not part of the header

  // Header.
  let eol = text.indexOf("\n", pos);
  if (eol < 0) eol = n;
  let contentEnd = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  if (text.slice(pos, contentEnd) !== CSV_HEADER) {
    throw new CandleCsvError(fileLabel, [headerIssue(text.slice(pos), contentEnd - pos)], false);
  }
  pos = eol + 1;

  // One row per remaining line (a trailing newline adds none; over-allocating by one is trimmed below).
  let capacity = 1;
  for (let p = text.indexOf("\n", pos); p >= 0; p = text.indexOf("\n", p + 1)) capacity++;
  const out = allocCandles(meta, pos >= n ? 0 : capacity);
  const { timestamp: T, open: O, high: H, low: L, close: C, volume: V } = out;

  const issues: CandleIssue[] = [];
  let truncated = false;
  let line = 1;
  let rowStart = 0;
  const addIssue = (code: CandleRuleCode, column: number, expected: string, got: string): void => {
    issues.push({ code, line, column, field: CANDLE_FIELDS[column - 1] ?? "row", expected, got });
  };
  const sink: RuleSink = addIssue;

  let rows = 0;
  let prevTs = Number.NaN;
  // The six parsed fields of the current row, reused for every row.
  const values = new Float64Array(6);
  while (pos < n) {
    line++;
    if (issues.length >= MAX_REPORTED_ISSUES) {
      truncated = true;
      break;
    }
    rowStart = pos;
    eol = text.indexOf("\n", pos);
    if (eol < 0) eol = n;
    contentEnd = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
    pos = eol + 1;

    if (contentEnd === rowStart) {
      // Blank lines are allowed only at the very end of the file.
      let onlyBlank = true;
      for (let p = pos; p < n; p++) {
        const c = text.charCodeAt(p);
        if (c !== 10 && c !== 13) {
          onlyBlank = false;
          break;
        }
      }
      if (onlyBlank) break;
      addIssue("wrong_column_count", 0, "6 comma-separated fields", "a blank line");
      continue;
    }

    // Split the row into exactly six fields without allocating.
    let fieldStart = rowStart;
    let fields = 0;
    let rowParsed = true;
    const issuesBefore = issues.length;
    for (; fields < 6; fields++) {
      let fieldEnd = fieldStart;
      while (fieldEnd < contentEnd && text.charCodeAt(fieldEnd) !== 44 /* , */) fieldEnd++;
      if (fieldEnd === contentEnd && fields < 5) {
        fields++;
        break;
      }
      const v = parseDecimalRange(text, fieldStart, fieldEnd);
      values[fields] = v;
      if (Number.isNaN(v)) {
        rowParsed = false;
        addIssue("bad_number", fields + 1, "a plain decimal number", clip(text.slice(fieldStart, fieldEnd)));
      }
      fieldStart = fieldEnd + 1;
      if (fields === 5 && fieldEnd !== contentEnd) {
        fields = 7; // more than six
        break;
      }
    }
    if (fields !== 6) {
      issues.length = issuesBefore; // a mis-split row's field errors are noise
      let count = 1;
      for (let p = rowStart; p < contentEnd; p++) if (text.charCodeAt(p) === 44) count++;
      const got = `${count} field${count === 1 ? "" : "s"}: ${clip(text.slice(rowStart, contentEnd))}`;
      addIssue("wrong_column_count", 0, "6 comma-separated fields", got);
      continue;
    }
    const ts = values[0]!;
    checkCandleRow(ts, values[1]!, values[2]!, values[3]!, values[4]!, values[5]!, prevTs, barMs, sink, true);
    if (Number.isFinite(ts)) prevTs = ts;
    if (!rowParsed || issues.length > issuesBefore) continue;
    T[rows] = ts;
    O[rows] = values[1]!;
    H[rows] = values[2]!;
    L[rows] = values[3]!;
    C[rows] = values[4]!;
    V[rows] = values[5]!;
    rows++;
  }
  if (issues.length > MAX_REPORTED_ISSUES) {
    issues.length = MAX_REPORTED_ISSUES;
    truncated = true;
  }
  if (issues.length > 0) throw new CandleCsvError(fileLabel, issues, truncated);

  const candles = rows === out.length ? out : sliceCandles(out, 0, rows);
  // Gaps make some steps longer; when every step is a whole number of a longer timeframe, the file has that
  // timeframe (a daily file read as hourly would otherwise be 23 missing bars a day). 24 bars at least: a short
  // stretch of hourly data with gaps is not mistaken for another timeframe.
  const step = smallestStepMs(candles.timestamp);
  if (rows >= MIN_ROWS_FOR_TIMEFRAME && step !== null && step > barMs && Object.values(TIMEFRAME_MS).includes(step) && everyStepAMultipleOf(candles.timestamp, step)) {
    throw new CandleCsvError(
      fileLabel,
      [
        {
          code: "wrong_timeframe",
          line: 3,
          column: 1,
          field: "timestamp",
          expected: `${describeBarLength(barMs)} (timeframe ${meta.timeframe}; a gap is a longer step somewhere, not everywhere)`,
          got: `${describeBarLength(step)}: no two bars are closer than ${step / 60_000} minutes; give the file's own timeframe (e.g. --timeframe ${Object.entries(TIMEFRAME_MS).find(([, v]) => v === step)?.[0] ?? "…"}) or resample it`,
        },
      ],
      false,
    );
  }
  const first = rows > 0 ? candles.timestamp[0]! : null;
  const last = rows > 0 ? candles.timestamp[rows - 1]! : null;
  const report: CsvReport = {
    file: fileLabel,
    rows,
    timeframe: meta.timeframe,
    first,
    last,
    firstIso: first === null ? null : new Date(first).toISOString(),
    lastIso: last === null ? null : new Date(last).toISOString(),
    sha256,
    gaps: findGaps(candles, barMs),
  };
  return { candles, report };
}

/** Rows from which a file whose steps all fit a longer timeframe is taken to have that timeframe. */
export const MIN_ROWS_FOR_TIMEFRAME = 24;

function everyStepAMultipleOf(ts: Float64Array, step: number): boolean {
  for (let i = 1; i < ts.length; i++) if ((ts[i]! - ts[i - 1]!) % step !== 0) return false;
  return true;
}

/**
 * A read error that names the file: Node's EISDIR (a folder given as the CSV) carries no path, so the one-line
 * error would not say which flag's file it was.
 */
function withPath(err: unknown, path: string): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; path?: unknown; syscall?: unknown };
  if (e.code === "EISDIR") return Object.assign(new Error("EISDIR: is a folder, expected a candle CSV file"), { code: "EISDIR", syscall: e.syscall ?? "read", path });
  if (typeof e.code === "string" && e.path === undefined) e.path = path;
  return err;
}

/** Reads and validates a candle CSV from disk (synchronously). */
export function readCandlesCsv(path: string, options: CsvMetaOptions = {}): CsvReadResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw withPath(err, path);
  }
  return parseCandlesCsv(text, path, options);
}

/** Reads and validates a candle CSV from disk without blocking the event loop during the read. */
export async function readCandlesCsvAsync(path: string, options: CsvMetaOptions = {}): Promise<CsvReadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw withPath(err, path);
  }
  return parseCandlesCsv(text, path, options);
}

/**
 * The CSV text of a series (header, one line per bar, trailing newline). The series is validated first
 * against its meta's timeframe: a file this function writes always reads back.
 */
export function formatCandlesCsv(candles: Candles): string {
  return CSV_HEADER + "\n" + formatCandleRows(candles);
}

/**
 * The data lines of a series without the header, each ending in a newline (empty for an empty series), for
 * appending to a file's text. Validated like {@link formatCandlesCsv}; pass `prevTimestamp` (the last row
 * already in the file) to check the join as well.
 */
export function formatCandleRows(candles: Candles, prevTimestamp?: number): string {
  validateCandles(candles, prevTimestamp === undefined ? {} : { prevTimestamp });
  const { timestamp: T, open: O, high: H, low: L, close: C, volume: V } = candles;
  const parts: string[] = new Array<string>(candles.length + 1);
  for (let i = 0; i < candles.length; i++) {
    parts[i] =
      formatDecimal(T[i]!) +
      "," +
      formatDecimal(O[i]!) +
      "," +
      formatDecimal(H[i]!) +
      "," +
      formatDecimal(L[i]!) +
      "," +
      formatDecimal(C[i]!) +
      "," +
      formatDecimal(V[i]!);
  }
  parts[candles.length] = "";
  return parts.join("\n");
}

/** Writes a series as CSV atomically: readers see the old file or the whole new one, never a partial one. */
export function writeCandlesCsv(path: string, candles: Candles): void {
  writeFileAtomic(path, formatCandlesCsv(candles));
}
