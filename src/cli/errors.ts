/**
 * Errors of the command line itself, as data: a usage error (exit status 2) names the flag or argument
 * that broke. Runtime errors stay the layers' own (AgentError, EvalError, OutputError, …); format-error.ts
 * turns any of them into the one-line `command: code at field: message`.
 */
export type CliErrorCode =
  /** A flag the command does not have. */
  | "unknown_flag"
  /** A flag given without its value, or a required argument left out. */
  | "missing_value"
  /** A flag's value does not parse or is out of range (a bad number, choice, JSON). */
  | "invalid_flag"
  /** A date flag that is not a date (or not a real calendar day). */
  | "bad_date"
  /** More positional arguments than the command takes. */
  | "unexpected_argument"
  /** Flags that do not go together (e.g. --end before --start). */
  | "conflicting_flags";

/** Exit statuses of every command. */
export const EXIT = {
  ok: 0,
  /** A runtime error: one line `command: code at field: message`. */
  error: 1,
  /** A usage error (unknown flag, missing value, bad value): the command did nothing. */
  usage: 2,
  /** Stopped by SIGINT (128 + 2) / SIGTERM (128 + 15), work finished so far kept. */
  sigint: 130,
  sigterm: 143,
} as const;

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** The flag ("--steps") or argument ("FILE") at fault. */
    readonly field?: string,
  ) {
    super(field === undefined ? `${code}: ${message}` : `${code} at ${field}: ${message}`);
  }
}
