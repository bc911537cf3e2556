/**
 * What a process says about its bus while Redis is unreachable: one line when the trouble starts, then at most one
 * "still failing" line per `repeatMs` (default a minute) however many reconnect attempts and failed reads there
 * are, and one line when every connection that failed is back. The bus itself keeps retrying (src/bus/redis-bus.ts);
 * this only decides what reaches the log. Pure logic over an injected clock (the wall clock by default: a replay's
 * simulated time says nothing about how long Redis has been down).
 */
export interface ConnectionLogOptions {
  /** Where the lines go ("warn" while failing, "info" on recovery). */
  readonly log: (level: "warn" | "info", line: string) => void;
  /** The bus as the lines name it (a URL without its password). */
  readonly target: string;
  /** At most one "still failing" line this often (ms). Default 60 000. */
  readonly repeatMs?: number;
  readonly now?: () => number;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 300);

export class ConnectionLog {
  private readonly repeatMs: number;
  private readonly now: () => number;
  /** Connections whose last event was an error (each must be ready again before the outage is over). */
  private readonly down = new Set<string>();
  private since: number | null = null;
  private lastLine = 0;
  /** Errors since the outage began, and since the last line. */
  private errors = 0;
  private unreported = 0;
  private last = "";
  /** Lines written (tests). */
  lines = 0;

  constructor(private readonly opts: ConnectionLogOptions) {
    this.repeatMs = opts.repeatMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** True while an outage (or a run of failing bus calls) is in progress. */
  get failing(): boolean {
    return this.since !== null;
  }

  /**
   * A bus error: a connection's (reconnect attempts: `connection` names it) or a failed call's (`where`: which
   * part of the process saw it).
   */
  error(where: string, err: unknown, connection?: string): void {
    if (connection !== undefined) this.down.add(connection);
    const t = this.now();
    this.errors++;
    this.last = `${where}: ${message(err)}`;
    if (this.since === null) {
      this.since = t;
      this.lastLine = t;
      this.unreported = 0;
      this.write("warn", `redis ${this.opts.target} unreachable (${this.last}); running without the bus and retrying in the background (at most one line a minute until it is back)`);
      return;
    }
    this.unreported++;
    if (t - this.lastLine >= this.repeatMs) {
      this.lastLine = t;
      this.write("warn", `redis ${this.opts.target} still unreachable after ${seconds(t - this.since)}: ${this.unreported} more failed attempt(s) since the last line (last: ${this.last})`);
      this.unreported = 0;
    }
  }

  /** A connection is ready (connected, or reconnected). */
  ready(connection: string): void {
    this.down.delete(connection);
    if (this.since === null || this.down.size > 0) return;
    const t = this.now();
    this.write("info", `redis ${this.opts.target} reachable again after ${seconds(t - this.since)} (${this.errors} failed attempt(s) meanwhile)`);
    this.since = null;
    this.errors = 0;
    this.unreported = 0;
  }

  private write(level: "warn" | "info", line: string): void {
    this.lines++;
    this.opts.log(level, line);
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
