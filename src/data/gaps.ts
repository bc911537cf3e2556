import { TIMEFRAME_MS, type Candles } from "./candles.js";

/**
 * Missing bars are not errors (exchanges have outages; a quiet market may print no trade in an hour), but
 * every consumer must know where they are: features that assume one bar per hour would otherwise silently
 * stitch two far-apart prices together.
 */

/** One hole in a series: the bars strictly between `before` and `after` are missing. */
export interface Gap {
  /** Row index of the bar right after the gap (the bar before is `index - 1`). */
  readonly index: number;
  /** Open time (ms UTC) of the last bar before the gap. */
  readonly before: number;
  /** Open time (ms UTC) of the first bar after the gap. */
  readonly after: number;
  /** How many bars are missing: (after − before) / timeframe − 1, rounded to the nearest bar. */
  readonly missingBars: number;
  /** ISO time of the first missing bar's open. */
  readonly fromIso: string;
  /** ISO time of the last missing bar's open. */
  readonly toIso: string;
}

export interface GapReport {
  /** The bar length the gaps were measured against. */
  readonly timeframeMs: number;
  /** Number of gaps (holes), whatever their size. */
  readonly count: number;
  /** Total bars missing over all gaps. */
  readonly missingBars: number;
  /** The gap with the most missing bars (the earliest one on a tie); null when there is none. */
  readonly largest: Gap | null;
  /** Every gap, in time order. */
  readonly gaps: readonly Gap[];
}

/**
 * Finds every place where consecutive bars are more than one timeframe apart. Works on any series, valid or
 * not: steps of one timeframe or less (including duplicates and reversals, which the validators reject) are
 * not gaps.
 */
export function findGaps(candles: Candles, timeframeMs: number): GapReport {
  if (!(timeframeMs > 0) || !Number.isFinite(timeframeMs)) {
    throw new RangeError(`findGaps: timeframeMs must be a positive finite number of ms, got ${timeframeMs}`);
  }
  const ts = candles.timestamp;
  const gaps: Gap[] = [];
  let missingTotal = 0;
  let largest: Gap | null = null;
  for (let i = 1; i < candles.length; i++) {
    const before = ts[i - 1]!;
    const after = ts[i]!;
    const step = after - before;
    if (step <= timeframeMs) continue;
    // A misaligned series can have a step of 1.5 bars; count it as the whole bars that fit (at least one).
    const missingBars = Math.max(1, Math.round(step / timeframeMs) - 1);
    const gap: Gap = {
      index: i,
      before,
      after,
      missingBars,
      fromIso: new Date(before + timeframeMs).toISOString(),
      toIso: new Date(before + missingBars * timeframeMs).toISOString(),
    };
    gaps.push(gap);
    missingTotal += missingBars;
    if (largest === null || missingBars > largest.missingBars) largest = gap;
  }
  return { timeframeMs, count: gaps.length, missingBars: missingTotal, largest, gaps };
}

/**
 * The bar length a series actually has: its smallest step between consecutive bars. Gaps only make steps
 * longer, so hourly data with outages still reads as 1h, while a daily file reads as 1d whatever it claims.
 * null with fewer than two bars.
 */
export function smallestStepMs(timestamps: ArrayLike<number>): number | null {
  let min = Infinity;
  for (let i = 1; i < timestamps.length; i++) {
    const step = timestamps[i]! - timestamps[i - 1]!;
    if (step > 0 && step < min) min = step;
  }
  return Number.isFinite(min) ? min : null;
}

/** A bar length in words: the timeframe's name when it is one ("1h", "1d"), else hours or minutes. */
export function describeBarLength(ms: number): string {
  const name = Object.entries(TIMEFRAME_MS).find(([, v]) => v === ms)?.[0];
  if (name !== undefined) return `${name} bars`;
  if (ms === 7 * 86_400_000) return "1w bars";
  return ms % 3_600_000 === 0 ? `bars of ${ms / 3_600_000} h` : `bars of ${ms / 60_000} minutes`;
}

/** A gap report as text lines, one per gap in time order (`row` = 0-based index of the bar after the gap). */
export function formatGapTable(report: GapReport, maxRows = Infinity): string[] {
  const lines: string[] = [];
  const shown = report.gaps.slice(0, maxRows);
  for (const g of shown) {
    lines.push(`  ${g.fromIso} .. ${g.toIso}  ${String(g.missingBars).padStart(5)} missing  (before row ${g.index})`);
  }
  if (report.gaps.length > shown.length) lines.push(`  … ${report.gaps.length - shown.length} more`);
  return lines;
}
