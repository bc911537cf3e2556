/**
 * Errors are data: every failure of the evaluation layer is an `EvalError` with a `code` callers can switch on
 * and the place (file, field, flag) that broke.
 */
export type EvalErrorCode =
  /** A backtest was asked of an env that is not in full-series mode. */
  | "not_full_series"
  /** The date window holds too few candles for a backtest. */
  | "invalid_window"
  /** The checkpoint's features, normalisation, observation or action space differ from the backtest's. */
  | "checkpoint_mismatch"
  /** The checkpoint folder cannot be read. */
  | "checkpoint_unreadable"
  /** The data makes the observation or the statistics non-finite (prices too extreme for float32). */
  | "non_finite"
  /** A policy returned an action outside the action space. */
  | "invalid_action"
  /** Bad options or flags. */
  | "invalid_options";

export class EvalError extends Error {
  override readonly name = "EvalError";
  constructor(
    readonly code: EvalErrorCode,
    message: string,
    /** Where it broke: a flag, a config field, or a file path. */
    readonly where?: string,
  ) {
    super(where === undefined ? `${code}: ${message}` : `${code} at ${where}: ${message}`);
  }
}
