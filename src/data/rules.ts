import type { Candles } from "./candles.js";
import { timeframeMs as timeframeToMs } from "./candles.js";
import { CandleDataError, MAX_REPORTED_ISSUES, type CandleRowIssue, type CandleRuleCode } from "./errors.js";

/**
 * The candle rules, in one place, so that the CSV reader, the downloader (per page) and the DataFrame
 * converter reject exactly the same rows.
 */

/** Column names in file order; the 1-based CSV column of `CANDLE_FIELDS[k]` is `k + 1`. */
export const CANDLE_FIELDS = ["timestamp", "open", "high", "low", "close", "volume"] as const;

/** Receives one broken rule: `column` is 1-based (1 = timestamp … 6 = volume). */
export type RuleSink = (code: CandleRuleCode, column: number, expected: string, got: string) => void;

/**
 * Plain decimal text for a finite number: the shortest round-trip representation (`String(x)`), with the
 * exponent form that `String` uses below 1e-6 and from 1e21 rewritten into plain digits. The digits are
 * unchanged, so parsing the text gives back the same double.
 */
export function formatDecimal(x: number): string {
  const s = String(x);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const negative = s.charCodeAt(0) === 45;
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const intLen = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (intLen <= 0) out = "0." + "0".repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + "0".repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + "." + digits.slice(intLen);
  return negative ? "-" + out : out;
}

/**
 * Checks one row against every rule that needs only the row, the previous timestamp and the bar length.
 * Calls `sink` once per broken rule and returns how many it reported. NaN fields are reported as
 * `non_finite` here; the CSV reader reports unparsable text itself and passes NaN for it, so `skipNaN`
 * keeps those from being reported twice.
 */
export function checkCandleRow(
  ts: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  prevTs: number,
  barMs: number,
  sink: RuleSink,
  skipNaN = false,
): number {
  let n = 0;
  // Timestamp: finite, integer, aligned, strictly after the previous row.
  if (!Number.isFinite(ts)) {
    if (!(skipNaN && Number.isNaN(ts))) {
      sink("non_finite", 1, "a finite integer timestamp in ms", formatNumberForMessage(ts));
      n++;
    }
  } else if (!Number.isSafeInteger(ts) || ts < 0) {
    sink("bad_timestamp", 1, "a non-negative integer number of ms since 1970-01-01 UTC", formatNumberForMessage(ts));
    n++;
  } else {
    if (ts % barMs !== 0) {
      sink(
        "misaligned_timestamp",
        1,
        `a multiple of the timeframe (${barMs} ms)`,
        `${formatDecimal(ts)} (${new Date(ts).toISOString()}, ${ts % barMs} ms past a bar boundary)`,
      );
      n++;
    }
    if (Number.isFinite(prevTs)) {
      if (ts === prevTs) {
        const expected = `a timestamp after the previous row's ${isoOf(prevTs)}`;
        sink("duplicate_timestamp", 1, expected, `the same ${isoOf(ts)}`);
        n++;
      } else if (ts < prevTs) {
        sink("timestamp_not_increasing", 1, `a timestamp after the previous row's ${isoOf(prevTs)}`, isoOf(ts));
        n++;
      }
    }
  }
  // Prices: finite and positive (unrolled: this runs once per CSV row and must not allocate).
  n += checkPrice(open, 2, sink, skipNaN);
  n += checkPrice(high, 3, sink, skipNaN);
  n += checkPrice(low, 4, sink, skipNaN);
  n += checkPrice(close, 5, sink, skipNaN);
  const pricesOk = isPositivePrice(open) && isPositivePrice(high) && isPositivePrice(low) && isPositivePrice(close);
  if (!Number.isFinite(volume)) {
    if (!(skipNaN && Number.isNaN(volume))) {
      sink("non_finite", 6, "a finite number", formatNumberForMessage(volume));
      n++;
    }
  } else if (volume < 0) {
    sink("negative_volume", 6, "a volume >= 0", formatNumberForMessage(volume));
    n++;
  }
  // Bar shape, only when the prices themselves are usable.
  if (pricesOk) {
    const top = open > close ? open : close;
    const bottom = open < close ? open : close;
    if (high < top) {
      sink("high_below_open_close", 3, `high >= max(open, close) = ${formatDecimal(top)}`, formatDecimal(high));
      n++;
    }
    if (low > bottom) {
      sink("low_above_open_close", 4, `low <= min(open, close) = ${formatDecimal(bottom)}`, formatDecimal(low));
      n++;
    }
  }
  return n;
}

function isPositivePrice(p: number): boolean {
  return p > 0 && p < Infinity;
}

function checkPrice(p: number, column: number, sink: RuleSink, skipNaN: boolean): number {
  if (isPositivePrice(p)) return 0;
  if (Number.isNaN(p)) {
    if (skipNaN) return 0;
    sink("non_finite", column, "a finite number", "NaN");
  } else if (!Number.isFinite(p)) {
    sink("non_finite", column, "a finite number", String(p));
  } else {
    sink("non_positive_price", column, "a price > 0", formatDecimal(p));
  }
  return 1;
}

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? formatDecimal(ms) : `${formatDecimal(ms)} (${d.toISOString()})`;
}

function formatNumberForMessage(x: number): string {
  return Number.isFinite(x) ? formatDecimal(x) : String(x);
}

export interface ValidateOptions {
  /** Names the series in messages (e.g. `bitfinex BTC/USD 1h page 3`); defaults to meta.source or "candles". */
  readonly source?: string;
  /** Bar length; defaults to the meta's timeframe. */
  readonly timeframeMs?: number;
  /** Timestamp of the bar before row 0 (e.g. the last row already saved), so the first row is checked too. */
  readonly prevTimestamp?: number;
}

/** All broken rules of an in-memory series, up to `limit` (rows are 0-based). */
export function findCandleIssues(
  candles: Candles,
  options: ValidateOptions = {},
  limit = MAX_REPORTED_ISSUES,
): CandleRowIssue[] {
  const barMs = options.timeframeMs ?? timeframeToMs(candles.meta.timeframe);
  const issues: CandleRowIssue[] = [];
  let row = 0;
  const sink: RuleSink = (code, column, expected, got) => {
    if (issues.length < limit) issues.push({ code, row, field: CANDLE_FIELDS[column - 1] ?? "row", expected, got });
  };
  const { timestamp: t, open: o, high: h, low: l, close: c, volume: v } = candles;
  let prev = options.prevTimestamp ?? Number.NaN;
  for (row = 0; row < candles.length && issues.length < limit; row++) {
    const ts = t[row]!;
    checkCandleRow(ts, o[row]!, h[row]!, l[row]!, c[row]!, v[row]!, prev, barMs, sink);
    if (Number.isFinite(ts)) prev = ts;
  }
  return issues;
}

/** Throws a {@link CandleDataError} listing up to 20 broken rules when the series is not valid. */
export function validateCandles(candles: Candles, options: ValidateOptions = {}): void {
  const issues = findCandleIssues(candles, options, MAX_REPORTED_ISSUES + 1);
  if (issues.length === 0) return;
  const truncated = issues.length > MAX_REPORTED_ISSUES;
  throw new CandleDataError(
    options.source ?? candles.meta.source ?? "candles",
    truncated ? issues.slice(0, MAX_REPORTED_ISSUES) : issues,
    truncated,
  );
}
