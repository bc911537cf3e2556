/**
 * Errors of the data layer, as data: every error names the rule it broke (`code`), the place (file, line and
 * column for a CSV; source, row and field for an in-memory series) and what was expected versus what was found.
 *
 * Readers collect up to {@link MAX_REPORTED_ISSUES} problems before throwing one error that lists them all, so
 * a broken file is fixed in one pass instead of one line per run.
 */

/** The rules a candle row can break. */
export type CandleRuleCode =
  /** The first line is not exactly `timestamp,open,high,low,close,volume`. */
  | "bad_header"
  /** A row does not have exactly six comma-separated fields (blank lines inside the file included). */
  | "wrong_column_count"
  /** A field is not a plain decimal number (empty, text, hex, spaces…). */
  | "bad_number"
  /** A field parses to NaN or ±Infinity (e.g. `1e999`). */
  | "non_finite"
  /** A timestamp that is not a non-negative integer number of milliseconds. */
  | "bad_timestamp"
  /** A timestamp that is not a multiple of the timeframe (bars open on the timeframe's boundaries, UTC). */
  | "misaligned_timestamp"
  /** A timestamp equal to the previous row's. */
  | "duplicate_timestamp"
  /** A timestamp below the previous row's. */
  | "timestamp_not_increasing"
  /** open, high, low or close ≤ 0. */
  | "non_positive_price"
  /** volume < 0. */
  | "negative_volume"
  /** high < max(open, close). */
  | "high_below_open_close"
  /** low > min(open, close). */
  | "low_above_open_close"
  /** The bars are further apart than the timeframe everywhere (a daily file given as hourly): not gaps, another timeframe. */
  | "wrong_timeframe";

/** One broken rule at one place. `line` and `column` are 1-based; `field` is the column's name. */
export interface CandleIssue {
  readonly code: CandleRuleCode;
  /** 1-based line in the file (the header is line 1, the first data row line 2). */
  readonly line: number;
  /** 1-based column number (1 = timestamp … 6 = volume); 0 when the whole row or header is at fault. */
  readonly column: number;
  /** Column name (`timestamp`, `open`, …) or `row` / `header`. */
  readonly field: string;
  /** What the rule wanted, in words. */
  readonly expected: string;
  /** What was found, as text (the raw field, clipped). */
  readonly got: string;
}

/** How many problems a reader collects before it stops and throws. */
export const MAX_REPORTED_ISSUES = 20;

function describeIssue(place: string, issue: CandleIssue): string {
  const col = issue.column > 0 ? ` column ${issue.column} (${issue.field})` : "";
  return `${place}${col}: ${issue.code}: expected ${issue.expected}, got ${issue.got}`;
}

/**
 * A CSV file of candles that breaks one or more rules. The top-level `code`, `line`, `column`, `expected` and
 * `got` are those of the first problem; `issues` holds all collected ones (at most {@link MAX_REPORTED_ISSUES});
 * `truncated` says that reading stopped there and more may follow.
 */
export class CandleCsvError extends Error {
  override readonly name = "CandleCsvError";
  readonly code: CandleRuleCode;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly expected: string;
  readonly got: string;
  readonly issues: readonly CandleIssue[];
  readonly truncated: boolean;

  constructor(file: string, issues: readonly CandleIssue[], truncated: boolean) {
    const first = issues[0];
    if (first === undefined) throw new Error("CandleCsvError needs at least one issue");
    const lines = issues.map((i) => "  " + describeIssue(`${file}:${i.line}`, i));
    const head =
      issues.length === 1
        ? `invalid candle CSV ${file}: 1 problem`
        : `invalid candle CSV ${file}: ${issues.length}${truncated ? "+" : ""} problems` +
          (truncated ? ` (stopped after ${issues.length})` : "");
    super(`${head}\n${lines.join("\n")}`);
    this.code = first.code;
    this.file = file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    this.expected = first.expected;
    this.got = first.got;
    this.issues = issues;
    this.truncated = truncated;
  }
}

/** One broken rule in an in-memory series (a fetched page, a DataFrame): `row` is 0-based. */
export interface CandleRowIssue {
  readonly code: CandleRuleCode;
  readonly row: number;
  readonly field: string;
  readonly expected: string;
  readonly got: string;
}

/**
 * An in-memory candle series (a fetched page, a DataFrame, a generated series) that breaks the same rules as
 * the CSV reader. `source` says where the rows came from (e.g. `bitfinex BTC/USD 1h page 3`).
 */
export class CandleDataError extends Error {
  override readonly name = "CandleDataError";
  readonly code: CandleRuleCode;
  readonly source: string;
  readonly row: number;
  readonly field: string;
  readonly expected: string;
  readonly got: string;
  readonly issues: readonly CandleRowIssue[];
  readonly truncated: boolean;

  constructor(source: string, issues: readonly CandleRowIssue[], truncated: boolean) {
    const first = issues[0];
    if (first === undefined) throw new Error("CandleDataError needs at least one issue");
    const lines = issues.map(
      (i) => `  ${source} row ${i.row} (${i.field}): ${i.code}: expected ${i.expected}, got ${i.got}`,
    );
    const count = `${issues.length}${truncated ? "+" : ""} problem${issues.length === 1 ? "" : "s"}`;
    super(`invalid candles from ${source}: ${count}\n${lines.join("\n")}`);
    this.code = first.code;
    this.source = source;
    this.row = first.row;
    this.field = first.field;
    this.expected = first.expected;
    this.got = first.got;
    this.issues = issues;
    this.truncated = truncated;
  }
}

export type DateErrorCode = "bad_date" | "bad_range" | "empty_split" | "bad_split_config";

/** A date or date range that could not be used: `field` names the option (`start`, `--since`, …). */
export class DateRangeError extends Error {
  override readonly name = "DateRangeError";
  readonly code: DateErrorCode;
  readonly field: string;
  readonly expected: string;
  readonly got: string;

  constructor(code: DateErrorCode, field: string, expected: string, got: string) {
    super(`${field}: ${code}: expected ${expected}, got ${got}`);
    this.code = code;
    this.field = field;
    this.expected = expected;
    this.got = got;
  }
}

export type FetchErrorCode =
  /** A request kept failing with retryable errors after `maxRetries` retries. */
  | "retries_exhausted"
  /** The exchange answered with a non-retryable error. */
  | "exchange_error"
  /** The exchange returned rows that are not candles (wrong shape) or break the candle rules. */
  | "bad_page"
  /** The run was aborted through its AbortSignal. */
  | "aborted"
  /** An invalid config, or an exchange, symbol or timeframe the exchange does not know. */
  | "bad_request"
  /** The host cannot be reached: its name does not resolve, it refuses the connection, or it does not answer in time. */
  | "unreachable"
  /** A reply that is not the exchange's JSON (an HTML error page from a proxy or a captive portal). */
  | "not_json"
  /** The file to resume holds another exchange, symbol or timeframe than this run asks for. */
  | "resume_mismatch";

/**
 * A download that failed. Rows fetched before the failure are already safe on disk (`savedRows`), so running
 * the same command again resumes from there.
 */
export class FetchError extends Error {
  override readonly name = "FetchError";
  readonly code: FetchErrorCode;
  /** Rows in the output file when the error was thrown (0 when nothing was written). */
  readonly savedRows: number;
  /** The `since` (ms) of the request that failed, when there was one. */
  readonly since: number | undefined;
  /** The flag or config field at fault, when one is ("--symbol", "out"). */
  readonly field: string | undefined;

  constructor(code: FetchErrorCode, message: string, savedRows: number, since?: number, options?: { cause?: unknown; field?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.savedRows = savedRows;
    this.since = since;
    this.field = options?.field;
  }
}

/** Every error the data layer throws on purpose. */
export type DataError = CandleCsvError | CandleDataError | DateRangeError | FetchError;
