/**
 * Checking an evaluation window before anything runs: the dates parse, the end is after the start, the
 * window meets the data, and it holds enough bars for its statistics to mean something. A 3-bar window
 * annualises into a Sharpe ratio of several hundred; such windows are refused, naming the flag.
 */
import type { Candles } from "../data/candles.js";
import { DateRangeError } from "../data/errors.js";
import { indexAtOrAfter, parseDate, type DateInput } from "../data/splits.js";
import { EvalError } from "./errors.js";

/**
 * The fewest bars a backtest window may hold: one week of hourly bars. Below it the metrics (annualised
 * return, Sharpe and Sortino ratios, their bootstrap intervals) are dominated by a handful of returns.
 */
export const MIN_BACKTEST_BARS = 168;

export interface WindowRequest {
  readonly start?: DateInput;
  readonly end?: DateInput;
}

export interface WindowFields {
  /** Flag or field naming the start (default "--start"). */
  readonly start?: string;
  /** Flag or field naming the end (default "--end"). */
  readonly end?: string;
}

export interface CheckedWindow {
  /** First bar's row and open time. */
  readonly firstRow: number;
  readonly first: number;
  /** Last bar's row and open time. */
  readonly lastRow: number;
  readonly last: number;
  readonly bars: number;
}

const iso = (t: number) => new Date(t).toISOString().replace(":00.000Z", "Z");

/**
 * Checks `window` ([start, end), either side open) against `candles`; throws DateRangeError ("bad_date",
 * "bad_range") or EvalError("invalid_window") naming the flag; returns the rows it holds.
 */
export function checkWindow(candles: Candles, window: WindowRequest, fields: WindowFields = {}, minBars = MIN_BACKTEST_BARS, label = "the window"): CheckedWindow {
  const startField = fields.start ?? "--start";
  const endField = fields.end ?? "--end";
  const start = window.start === undefined ? null : parseDate(window.start, startField);
  const end = window.end === undefined ? null : parseDate(window.end, endField);
  const n = candles.length;
  if (n === 0) throw new EvalError("invalid_window", "the data holds no bars", startField);
  const dataFirst = candles.timestamp[0]!;
  const dataLast = candles.timestamp[n - 1]!;
  if (start !== null && end !== null && end <= start) {
    throw new DateRangeError("bad_range", endField, `an end after ${startField} ${iso(start)}`, iso(end));
  }
  if (start !== null && start > dataLast) {
    throw new DateRangeError("bad_range", startField, `a start at or before the data's last bar ${iso(dataLast)}`, iso(start));
  }
  if (end !== null && end <= dataFirst) {
    throw new DateRangeError("bad_range", endField, `an end after the data's first bar ${iso(dataFirst)}`, iso(end));
  }
  const firstRow = start === null ? 0 : indexAtOrAfter(candles, start);
  const endRow = end === null ? n : indexAtOrAfter(candles, end);
  const bars = endRow - firstRow;
  if (bars < minBars) {
    const range = `[${start === null ? "data start" : iso(start)}, ${end === null ? "data end" : iso(end)})`;
    const gap = bars === 0 ? " (it falls in a gap of the data)" : "";
    throw new EvalError(
      "invalid_window",
      `${label} ${range} holds ${bars} bar${bars === 1 ? "" : "s"}${gap}; its statistics need at least ${minBars} (MIN_BACKTEST_BARS, docs/evaluation.md)`,
      start !== null ? startField : endField,
    );
  }
  return { firstRow, first: candles.timestamp[firstRow]!, lastRow: endRow - 1, last: candles.timestamp[endRow - 1]!, bars };
}
