/**
 * Closed candles pushed by the exchange over a websocket (ccxt.pro's `watchOHLCV`), kept for the feeder (R22).
 *
 * A candle counts as closed only on the exchange's word: its own "closed" flag (Binance's kline `"x": true`), or, for
 * an exchange whose messages carry no flag, an update of its successor on the same connection (the last value seen
 * before the successor started is the final one; after a reconnect that is no longer true, since trades made
 * while disconnected were never seen). The still-forming candle is never handed out.
 *
 * The stream is a cache in front of REST, never the only source: the feeder takes the closed candles from here
 * when they continue its history without a hole, and asks REST otherwise (a gap left by a reconnect, a candle that
 * did not arrive in time). An error, a disconnect or a silent socket (no message for `silenceMs`) takes the stream
 * down: the feeder polls REST, and the stream reconnects with backoff. Each transition (live, down) is logged once,
 * never each attempt. A stream only reads public market data: it never reaches an order endpoint (R7).
 */
import type { OhlcvRow } from "./exchange.js";

/** One candle update as the exchange's stream sent it: the newest values, and its closed flag when it has one. */
export interface CandleUpdate {
  readonly row: OhlcvRow;
  /** true: the exchange says the candle closed; false: still forming; null: the exchange does not say. */
  readonly final: boolean | null;
}

/** The exchange's side of the stream (the ccxt adapter implements it). */
export interface CandleWatcher {
  /** Where the stream connects (for the log). */
  readonly host: string | null;
  /** The candles updated since the last call (waits for the next message); throws on an error or a disconnect. */
  watch(): Promise<CandleUpdate[]>;
  /** Drops the connection (a silent socket): a pending `watch` rejects, the next one reconnects. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface CandleStreamOptions {
  readonly barMs: number;
  /** No message for this long (real ms) while live: the socket is silent, the stream goes down (REST) and reconnects. */
  readonly silenceMs: number;
  /** A connection attempt (connect, subscribe, first message) that takes longer than this is dropped and retried. */
  readonly connectTimeoutMs: number;
  /** Waits before the reconnect attempts after a failure (the last one repeats). */
  readonly backoffMs: readonly number[];
  /** How long (real ms) the feeder waits at a tick for the candle it expects before asking REST. */
  readonly waitMs: number;
  /** Closed candles kept (the feeder takes them at every tick; more is only needed after a long stall). */
  readonly keep: number;
  readonly log?: (level: "info" | "warn", message: string) => void;
}

export const DEFAULT_CANDLE_STREAM_OPTIONS: Omit<CandleStreamOptions, "barMs"> = {
  silenceMs: 30_000,
  connectTimeoutMs: 10_000,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000],
  waitMs: 2_000,
  keep: 256,
};

export type CandleStreamState = "connecting" | "live" | "down" | "stopped";

const tsOf = (row: OhlcvRow): number => {
  const t = row[0];
  return typeof t === "number" ? t : typeof t === "string" && t.trim() !== "" ? Number(t) : Number.NaN;
};

export class CandleStream {
  private stateNow: CandleStreamState = "connecting";
  /** Closed candles by open time (the exchange's values, validated by the feeder when it takes them). */
  private readonly closed = new Map<number, OhlcvRow>();
  /** The newest forming candle seen on the current connection (the successor rule). */
  private partial: { ts: number; row: OhlcvRow; session: number } | null = null;
  private session = 0;
  private lastMessageAt = 0;
  private attemptStartedAt = 0;
  private downSince = 0;
  private readonly waiters = new Set<{ ts: number; done: (ok: boolean) => void }>();
  private readonly liveWaiters = new Set<() => void>();
  private loopDone: Promise<void> | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  /** Real time (Date.now()) each closed candle arrived, by open time (the latency benchmark). */
  private readonly arrivedAt = new Map<number, number>();
  /** Transitions so far (tests, the log's counterpart). */
  readonly transitions: Array<{ readonly state: CandleStreamState; readonly at: number; readonly why: string }> = [];

  constructor(
    private readonly watcher: CandleWatcher,
    private readonly opts: CandleStreamOptions,
  ) {}

  get state(): CandleStreamState {
    return this.stateNow;
  }

  isLive(): boolean {
    return this.stateNow === "live";
  }

  private isStopped(): boolean {
    return this.stateNow === "stopped";
  }

  start(): void {
    if (this.loopDone !== null) return;
    this.attemptStartedAt = Date.now();
    this.loopDone = this.loop();
    this.watchdog = setInterval(() => this.checkSilence(), Math.max(5, Math.floor(this.opts.silenceMs / 4)));
    this.watchdog.unref();
  }

  /** Resolves true once the stream is live, false after `ms` (the start-up waits this long before trading on REST). */
  whenLive(ms: number): Promise<boolean> {
    if (this.isLive()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.liveWaiters.delete(done);
        resolve(this.isLive());
      };
      const timer = setTimeout(done, ms);
      this.liveWaiters.add(done);
    });
  }

  /** When (real time) the candle opened at `ts` arrived closed, if it did. */
  arrivalOf(ts: number): number | undefined {
    return this.arrivedAt.get(ts);
  }

  /** The closed candles after `after` (exclusive), oldest first. */
  closedAfter(after: number): OhlcvRow[] {
    return [...this.closed.entries()].filter(([ts]) => ts > after).sort((a, b) => a[0] - b[0]).map(([, row]) => row);
  }

  /**
   * Waits (real time, at most `waitMs`) until the candle opened at `ts` has closed on the stream; false when it did not
   * arrive in time or the stream is not live (the feeder then asks REST).
   */
  waitForClosed(ts: number): Promise<boolean> {
    if (this.closed.has(ts)) return Promise.resolve(true);
    if (!this.isLive()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        ts,
        done: (ok: boolean): void => {
          clearTimeout(timer);
          this.waiters.delete(entry);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => entry.done(false), this.opts.waitMs);
      this.waiters.add(entry);
    });
  }

  async stop(): Promise<void> {
    if (this.stateNow === "stopped") return;
    this.stateNow = "stopped";
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.wake?.();
    for (const w of [...this.waiters]) w.done(false);
    for (const w of [...this.liveWaiters]) w();
    await this.watcher.close().catch(() => undefined);
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.isStopped()) {
      let updates: CandleUpdate[];
      try {
        updates = await this.watcher.watch();
      } catch (err) {
        if (this.isStopped()) break;
        this.goDown(err instanceof Error ? `${err.name}: ${err.message.slice(0, 160)}` : String(err));
        await this.watcher.reset().catch(() => undefined);
        const delay = this.opts.backoffMs[Math.min(failures, this.opts.backoffMs.length - 1)] ?? 1_000;
        failures++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
        this.attemptStartedAt = Date.now();
        continue;
      }
      if (this.isStopped()) break;
      this.lastMessageAt = Date.now();
      if (this.stateNow !== "live") {
        const was = this.stateNow;
        const why = `closed candles arrive over the websocket${this.watcher.host === null ? "" : ` (${this.watcher.host})`}; REST only backfills gaps`;
        this.transition("live", why);
        this.opts.log?.("info", `candle stream live${was === "down" ? ` again after ${Math.round((Date.now() - this.downSince) / 1000)} s on REST` : ""}: ${why}`);
        for (const w of [...this.liveWaiters]) w();
      }
      failures = 0;
      this.ingest(updates);
    }
  }

  private ingest(updates: readonly CandleUpdate[]): void {
    for (const u of [...updates].sort((a, b) => tsOf(a.row) - tsOf(b.row))) {
      const ts = tsOf(u.row);
      if (!Number.isFinite(ts)) continue;
      if (u.final === true) {
        if (!this.closed.has(ts)) this.arrivedAt.set(ts, Date.now());
        this.closed.set(ts, u.row);
        if (this.partial !== null && this.partial.ts <= ts) this.partial = null;
        continue;
      }
      if (this.closed.has(ts)) continue; // a late update of a candle already closed: the final values stand
      if (u.final === null && this.partial !== null && this.partial.session === this.session && this.partial.ts < ts) {
        // No flag from this exchange: the successor started on this connection, so the last value seen is final.
        this.closed.set(this.partial.ts, this.partial.row);
        this.arrivedAt.set(this.partial.ts, Date.now());
      }
      if (this.partial === null || ts >= this.partial.ts) this.partial = { ts, row: u.row, session: this.session };
    }
    while (this.closed.size > this.opts.keep) {
      const oldest = Math.min(...this.closed.keys());
      this.closed.delete(oldest);
      this.arrivedAt.delete(oldest);
    }
    for (const w of [...this.waiters]) if (this.closed.has(w.ts)) w.done(true);
  }

  private checkSilence(): void {
    if (this.stateNow === "stopped") return;
    const quietFor = Date.now() - Math.max(this.lastMessageAt, this.attemptStartedAt);
    // Live: silence. Connecting (a first connect loads the markets too): the attempt's own, longer, budget.
    if (quietFor <= (this.stateNow === "live" ? this.opts.silenceMs : Math.max(this.opts.silenceMs, this.opts.connectTimeoutMs))) return;
    // Live: a silent socket. Down or connecting: an attempt that hangs or connected but hears nothing. Either way, drop it.
    this.goDown(this.stateNow === "live" ? `no message for ${quietFor} ms (silent socket)` : `no message ${quietFor} ms into a connection attempt`);
    this.attemptStartedAt = Date.now();
    void this.watcher.reset().catch(() => undefined);
  }

  private goDown(why: string): void {
    // Whatever was forming on this connection can no longer be called final by the successor rule.
    this.session++;
    this.partial = null;
    if (this.stateNow === "down" || this.stateNow === "stopped") return;
    const first = this.stateNow === "connecting";
    this.downSince = Date.now();
    this.transition("down", why);
    this.opts.log?.("warn", `candle stream ${first ? "unavailable" : "down"} (${why}): polling REST, reconnecting with backoff`);
    for (const w of [...this.waiters]) w.done(false);
  }

  private transition(state: CandleStreamState, why: string): void {
    this.stateNow = state;
    this.transitions.push({ state, at: Date.now(), why });
  }
}
