/**
 * The data feeder (R22): closed candles from the exchange into the trader's history, validated with the data
 * layer's own row rules (src/data/rules.ts, the ones the CSV reader applies), with the still-forming candle
 * dropped, gaps backfilled by asking for the missing range again, an explicit fill policy for what stays
 * missing (its share logged), and a staleness test: a latest candle older than 2 bars + the offset means no
 * decision. Reads go through bounded retries (R4).
 *
 * With a candle stream (candle-stream.ts: the exchange's websocket through ccxt.pro's watchOHLCV), a tick takes its
 * closed candles from the stream when they continue the history without a hole (waiting briefly for the one it
 * expects), through the same row validation; anything else (the stream down, a gap a reconnect left, a candle late)
 * is asked of REST as before. So the history never holds a duplicate, a missing bar the exchange has, or the
 * forming candle, whichever way the candles came.
 */
import { checkCandleRow } from "../data/rules.js";
import { CANDLE_FIELDS } from "../data/rules.js";
import { TradingError } from "../trading/errors.js";
import type { Bar, MarketHistory } from "../trading/market-history.js";
import { isCandleStale } from "../trading/schedule.js";
import type { CandleStream } from "./candle-stream.js";
import type { Exchange, OhlcvRow } from "./exchange.js";
import { withReadRetries, type RetryPolicy } from "./retry.js";

export type GapFill =
  /** Missing bars stay missing: features see the series as the exchange has it (as training data with gaps). */
  | "none"
  /** Each missing bar becomes a flat bar at the previous close with volume 0; the share filled is logged. */
  | "previous_close";

export interface FeederOptions {
  readonly barMs: number;
  readonly offsetMs: number;
  /** Bars per request (Binance serves at most 1000). */
  readonly pageLimit: number;
  readonly retries: RetryPolicy;
  readonly gapFill: GapFill;
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly log?: (level: "info" | "warn", message: string) => void;
}

export interface FeedUpdate {
  /** Bars appended to the history by this update (filled ones included). */
  readonly added: number;
  /** Of them, bars made up by the fill policy. */
  readonly filled: number;
  /** The bars appended (for the journal's candle store). */
  readonly bars: readonly Bar[];
  readonly filledBars: readonly Bar[];
  /** Open time of the newest closed bar in the history. */
  readonly latest: number | null;
  /** True when that bar is older than 2 bars + offset at `now`: no decision (R22). */
  readonly stale: boolean;
}

const toNumber = (x: number | string | null | undefined): number => (typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : Number.NaN);

/**
 * The closed bars of a page after `after` (exclusive), validated. A row that breaks a rule throws
 * TradingError("invalid_candles") naming the row of the page, the column and what was expected.
 */
export function closedBars(rows: readonly OhlcvRow[], now: number, barMs: number, after: number | null, source: string): Bar[] {
  const out: Bar[] = [];
  let prev = after ?? Number.NaN;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const ts = toNumber(r[0]);
    if (Number.isFinite(ts) && after !== null && ts <= after) continue;
    // The still-forming bar (and anything after it) is not data yet.
    if (Number.isFinite(ts) && ts + barMs > now) break;
    const [open, high, low, close, volume] = [toNumber(r[1]), toNumber(r[2]), toNumber(r[3]), toNumber(r[4]), toNumber(r[5])];
    let problem: string | null = null;
    checkCandleRow(ts, open, high, low, close, volume, prev, barMs, (_code, column, expected, got) => {
      problem ??= `row ${i} (${Number.isFinite(ts) ? new Date(ts).toISOString() : "no time"}), column ${column} (${CANDLE_FIELDS[column - 1]}): expected ${expected}, got ${got}`;
    });
    if (problem !== null) throw new TradingError("invalid_candles", problem, source);
    out.push({ ts, open, high, low, close, volume });
    prev = ts;
  }
  return out;
}

/** Where a feed update's candles came from: the stream (also when it had nothing new to add), or REST. */
export type FeedSource = "stream" | "rest";

export class Feeder {
  /** Where the last update's candles came from (tests, the latency benchmark). */
  lastSource: FeedSource = "rest";

  constructor(
    private readonly exchange: Exchange,
    readonly history: MarketHistory,
    private readonly opts: FeederOptions,
    /** The exchange's websocket candles; null: REST polling only. */
    readonly stream: CandleStream | null = null,
  ) {}

  /**
   * Loads the `bars` bars before now (the warm-up of features and of the look-back window), continuing the
   * history when it already holds some.
   */
  async warmup(bars: number, now: number): Promise<FeedUpdate> {
    const { barMs } = this.opts;
    const newestClosed = Math.floor(now / barMs) * barMs - barMs;
    const since = this.history.lastTs !== null ? this.history.lastTs + barMs : newestClosed - (bars - 1) * barMs;
    return this.pull(since, now);
  }

  /** Appends the bars closed since the last one; backfills gaps; applies the fill policy. */
  async update(now: number): Promise<FeedUpdate> {
    const fromStream = await this.fromStream(now);
    if (fromStream !== null) return fromStream;
    const last = this.history.lastTs;
    const since = last === null ? undefined : last + this.opts.barMs;
    this.lastSource = "rest";
    return this.pull(since, now);
  }

  /** The update from the stream's closed candles, or null when REST must be asked (stream down, a hole, a late candle). */
  private async fromStream(now: number): Promise<FeedUpdate | null> {
    const stream = this.stream;
    const last = this.history.lastTs;
    if (stream === null || last === null || !stream.isLive()) return null;
    const { barMs } = this.opts;
    const expected = Math.floor(now / barMs) * barMs - barMs;
    if (expected > last && !(await stream.waitForClosed(expected))) {
      this.opts.log?.("info", `candle stream: the candle of ${new Date(expected).toISOString()} has not closed on the stream ${stream.isLive() ? "in time" : "(stream down)"}: asking REST`);
      return null;
    }
    const rows = stream.closedAfter(last).filter((r) => toNumber(r[0]) <= expected);
    for (let i = 0; i < rows.length; i++) {
      if (toNumber(rows[i]![0]) !== last + (i + 1) * barMs) {
        this.opts.log?.("info", `candle stream: the candle of ${new Date(last + (i + 1) * barMs).toISOString()} is missing on the stream (a reconnect): backfilling over REST`);
        return null;
      }
    }
    if (last + rows.length * barMs < expected) return null;
    const bars = closedBars(rows, now, barMs, last, `${this.exchange.id} ${this.exchange.symbol} ${this.exchange.timeframe} candles (stream)`);
    this.lastSource = "stream";
    return this.finish(bars, now);
  }

  private async pull(since: number | undefined, now: number): Promise<FeedUpdate> {
    const { barMs, pageLimit } = this.opts;
    const bars: Bar[] = [];
    let after = this.history.lastTs;
    let from = since;
    for (let page = 0; page < 10_000; page++) {
      const rows = await withReadRetries(
        "fetchOHLCV",
        () => this.exchange.fetchCandles(from, pageLimit),
        this.opts.retries,
        this.opts.sleep,
        (attempt, delay, e) => this.opts.log?.("warn", `fetchOHLCV retry ${attempt} in ${delay} ms after ${e.errorClass}: ${e.message.slice(0, 120)}`),
      );
      const got = closedBars(rows, now, barMs, after, `${this.exchange.id} ${this.exchange.symbol} ${this.exchange.timeframe} candles`);
      bars.push(...got);
      if (got.length > 0) after = got[got.length - 1]!.ts;
      // A short page, or one that reached the forming bar: nothing more to ask for.
      const lastRowTs = rows.length > 0 ? toNumber(rows[rows.length - 1]![0]) : Number.NaN;
      if (rows.length < pageLimit || !(lastRowTs + barMs <= now) || from === undefined) break;
      from = lastRowTs + barMs;
    }
    return this.finish(bars, now);
  }

  /** Appends validated bars (the fill policy applied) and tells whether the history is stale at `now`. */
  private finish(bars: readonly Bar[], now: number): FeedUpdate {
    const { out, filled } = this.applyGapPolicy(bars);
    const added = this.history.append(out);
    if (filled.length > 0) this.opts.log?.("warn", `gap fill (${this.opts.gapFill}): ${filled.length} of ${out.length} new bars (${((100 * filled.length) / Math.max(1, out.length)).toFixed(1)}%) made up at the previous close`);
    const latest = this.history.lastTs;
    const stale = latest === null || isCandleStale(latest, now, this.opts.barMs, this.opts.offsetMs);
    return { added, filled: filled.length, bars: out.filter((b) => !filled.includes(b)), filledBars: filled, latest, stale };
  }

  /** Gaps inside the new bars (and between the history and them): logged, and filled when the policy says so. */
  private applyGapPolicy(bars: readonly Bar[]): { out: Bar[]; filled: Bar[] } {
    const { barMs } = this.opts;
    const out: Bar[] = [];
    const filled: Bar[] = [];
    let prevTs = this.history.lastTs;
    let prevClose = this.history.lastClose();
    let missing = 0;
    for (const b of bars) {
      if (prevTs !== null && b.ts - prevTs > barMs) {
        const gap = Math.round((b.ts - prevTs) / barMs) - 1;
        missing += gap;
        if (this.opts.gapFill === "previous_close" && Number.isFinite(prevClose)) {
          for (let t = prevTs + barMs; t < b.ts; t += barMs) {
            const f = { ts: t, open: prevClose, high: prevClose, low: prevClose, close: prevClose, volume: 0 };
            out.push(f);
            filled.push(f);
          }
        }
      }
      out.push(b);
      prevTs = b.ts;
      prevClose = b.close;
    }
    if (missing > 0 && this.opts.gapFill === "none") this.opts.log?.("warn", `gap: ${missing} bar(s) missing from the exchange's candles (fill policy "none": left as they are)`);
    return { out, filled };
  }
}
