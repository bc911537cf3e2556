/**
 * Errors are data: every failure of the trading core and the live trader is a `TradingError` with a `code`
 * callers can switch on and the place (flag, config field, journal, exchange call) that broke.
 */
export type TradingErrorCode =
  /** A config or flag does not parse or breaks a rule (the field names it). */
  | "invalid_config"
  /** A journal belongs to another mode, exchange, symbol or checkpoint, or is locked by another trader (R7). */
  | "journal_mismatch"
  /** The journal file cannot be opened or has an unknown schema. */
  | "journal_unreadable"
  /** The exchange cannot honour what was asked: sandbox without test URLs (R8), a missing market, no keys. */
  | "exchange_unsupported"
  /** The checkpoint cannot run on this market (features, bar length, action space). */
  | "checkpoint_mismatch"
  /** Candles from the feed break a rule (row and column named). */
  | "invalid_candles"
  /** The trader halted (auth error, kill switch, unexpected error) and needs an explicit start. */
  | "halted"
  /** The replay ran out of bars. */
  | "replay_finished";

export class TradingError extends Error {
  override readonly name = "TradingError";
  constructor(
    readonly code: TradingErrorCode,
    message: string,
    /** Where it broke: a flag, a config field, a file, an exchange call. */
    readonly where?: string,
  ) {
    super(where === undefined ? `${code}: ${message}` : `${code} at ${where}: ${message}`);
  }
}
