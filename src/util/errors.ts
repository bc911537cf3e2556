/**
 * Errors are data: an output the project refuses to write, or a run that was stopped. Each carries a `code`
 * callers switch on and the `field` (flag or config field, e.g. "out", "--json") that named the path.
 */

export type OutputErrorCode =
  /** "", ".", the current folder or one above it, the project root, the home folder, "/": never an output. */
  | "unsafe_output"
  /** Something the project did not write is at the path (a user's file or folder): never replaced. */
  | "foreign_output"
  /** The project's own artefact is already there; replacing it needs --force. */
  | "output_exists"
  /** A file where a folder is expected, or the other way round. */
  | "wrong_output_type"
  /** The path (or the folder it goes into) cannot be written. */
  | "not_writable"
  /** Another live process holds the output's lock. */
  | "output_locked";

export class OutputError extends Error {
  override readonly name = "OutputError";
  constructor(
    readonly code: OutputErrorCode,
    message: string,
    /** The flag or config field that named the path ("out", "--json", "run"). */
    readonly field: string,
    /** The path concerned, as given. */
    readonly path: string,
  ) {
    super(`${code} at ${field}: ${message}`);
  }
}

/** The signals a run stops cleanly on. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** Exit status of a run stopped by `signal`: 128 + the signal number, as shells report it. */
export function exitCodeOf(signal: StopSignal): 130 | 143 {
  return signal === "SIGINT" ? 130 : 143;
}

/**
 * A run stopped by a signal (the AbortSignal's reason in commands). Work finished before the stop is kept;
 * `message` says what and how to resume.
 */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  readonly code = "interrupted";
  constructor(
    readonly signal: StopSignal,
    message = `stopped by ${signal}`,
  ) {
    super(message);
  }
}
