/**
 * Errors are data: every failure of the env is an `EnvError` with a `code` that callers can switch on and,
 * where it applies, the `field` (config path or argument) that broke.
 */

export type EnvErrorCode =
  /** `step` was called before the first `reset`. */
  | "step_before_reset"
  /** `step` was called after the episode ended (terminated or truncated) without a `reset`. */
  | "step_after_end"
  /** The action is not in the action space. */
  | "invalid_action"
  /** The config does not parse, or names an unknown preset. */
  | "invalid_config"
  /** The candles (or the feature matrix) cannot host an episode of the configured shape. */
  | "invalid_market"
  /** A reset option (e.g. a start row) is out of range. */
  | "invalid_reset_option";

export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(
    readonly code: EnvErrorCode,
    message: string,
    /** Config path, argument or option that broke, e.g. "episode.length" or "action". */
    readonly field?: string,
  ) {
    super(field === undefined ? `${code}: ${message}` : `${code} at ${field}: ${message}`);
  }
}
