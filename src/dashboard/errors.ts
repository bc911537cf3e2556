/** Errors of the dashboard, as data: a code and the flag, field or variable that broke. */
export type DashboardErrorCode =
  /** A non-loopback bind without a token, or a token that is an example secret or too short (R20). */
  | "insecure_config"
  /** A flag or config field out of its range. */
  | "invalid_config"
  /** Redis unreachable or refusing the dashboard's user. */
  | "bus_unavailable"
  /** The port cannot be bound (in use, no permission). */
  | "listen_failed"
  /** --journal names something that is not (and will never become) the trader's journal: a folder, a user's file. */
  | "not_a_journal"
  /** --sweep names something that is not a sweep's output folder (no sweep.json record, no progress.json). */
  | "not_a_sweep";

export class DashboardError extends Error {
  override readonly name = "DashboardError";
  constructor(
    readonly code: DashboardErrorCode,
    readonly detail: string,
    /** The flag or environment variable concerned ("--host", "DASHBOARD_TOKEN"). */
    readonly field: string,
  ) {
    super(`${code} at ${field}: ${detail}`);
  }
}
