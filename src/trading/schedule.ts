/**
 * When the trader ticks (R23), as pure arithmetic over ms timestamps. Bars open on multiples of the bar length
 * (UTC, as exchanges align them); the bar that opens at `t` closes at `t + barMs`. A tick decides on the last
 * closed bar and starts `offsetMs` after its close (exchanges publish a closed candle a moment after the
 * boundary; freqtrade's throttle uses 1 s). A tick that overruns past the next tick's start makes that tick be
 * skipped, never stacked: the next tick is always the first start strictly after the moment the last one ended.
 */

/** Open time of the bar that contains `t`. */
export function barOpenAt(t: number, barMs: number): number {
  return Math.floor(t / barMs) * barMs;
}

/** The last bar closed at time `now` (its open time): the bar whose close ≤ now. */
export function lastClosedBar(now: number, barMs: number): number {
  return barOpenAt(now, barMs) - barMs;
}

/** Start time of the tick deciding on the bar that opened at `barTs`. */
export function tickStartFor(barTs: number, barMs: number, offsetMs: number): number {
  return barTs + barMs + offsetMs;
}

export interface NextTick {
  /** Open time of the bar the tick decides on. */
  readonly barTs: number;
  /** When the tick may start: the bar's close plus the offset. */
  readonly at: number;
  /** Bars whose tick was skipped since `afterBar` (an overrun, or the trader was down). */
  readonly skipped: number;
}

/**
 * The next tick once the trader is free at `now`, having decided last on `afterBar` (null: never). The candidate
 * is the newest bar whose tick start is ≤ now: it runs at once if it started at most `allowLateMs` ago and is
 * newer than `afterBar`; otherwise the tick is the following bar's, at its start. After an overrun the caller
 * passes allowLateMs = 0, so the tick the overrun ran into is skipped, not stacked; at start-up a small lateness
 * lets the trader decide on the bar that has just closed. Bars between `afterBar` and the returned bar had no
 * tick: `skipped` counts them.
 */
export function nextTick(now: number, barMs: number, offsetMs: number, afterBar: number | null, allowLateMs = 0): NextTick {
  if (!(barMs > 0 && offsetMs >= 0 && offsetMs < barMs)) throw new RangeError(`nextTick: need barMs > 0 and 0 ≤ offsetMs < barMs, got ${barMs}, ${offsetMs}`);
  const candidate = lastClosedBar(now - offsetMs, barMs);
  let bar = now - tickStartFor(candidate, barMs, offsetMs) <= allowLateMs ? candidate : candidate + barMs;
  if (afterBar !== null && bar <= afterBar) bar = afterBar + barMs;
  const skipped = afterBar === null ? 0 : Math.max(0, Math.round((bar - afterBar) / barMs) - 1);
  return { barTs: bar, at: Math.max(now, tickStartFor(bar, barMs, offsetMs)), skipped };
}

/**
 * R22: the latest candle is stale when its open time is more than 2 bars plus the offset before `now` (at a
 * normal tick it is one bar plus the offset old). Stale data means no decision.
 */
export function isCandleStale(latestBarTs: number, now: number, barMs: number, offsetMs: number): boolean {
  return now - latestBarTs > 2 * barMs + offsetMs;
}

/** R23: a trader (as the dashboard or a health check sees it) is stale after 2 missed ticks. */
export function isTraderStale(lastProcessAt: number, now: number, barMs: number, offsetMs: number): boolean {
  return now - lastProcessAt > 2 * barMs + offsetMs;
}
