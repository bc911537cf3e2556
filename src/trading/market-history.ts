import type { CandleMeta, Candles } from "../data/candles.js";

/** One closed candle. */
export interface Bar {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * The closed candles a trader has seen, in one growable columnar buffer, exposed as a `Candles` view (no copy)
 * so that the training code path (features, prepared market, observation) reads it like any series. Bars are
 * appended in time order only. With `maxBars` the oldest bars are dropped once the buffer holds twice that
 * many (memory stays bounded); readers take a fixed-length tail (`candles(n)`) so that what a tick sees is a
 * pure function of the bars, whatever happened to the buffer (a restart rebuilds the same tails).
 */
export class MarketHistory {
  private ts: Float64Array;
  private open: Float64Array;
  private high: Float64Array;
  private low: Float64Array;
  private close: Float64Array;
  private volume: Float64Array;
  private start = 0;
  private end = 0;

  constructor(
    readonly meta: CandleMeta,
    /** Keep at most about this many bars (null: all). */
    readonly maxBars: number | null = null,
    capacity = 1024,
  ) {
    this.ts = new Float64Array(capacity);
    this.open = new Float64Array(capacity);
    this.high = new Float64Array(capacity);
    this.low = new Float64Array(capacity);
    this.close = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Open time of the newest bar; null when empty. */
  get lastTs(): number | null {
    return this.end > this.start ? this.ts[this.end - 1]! : null;
  }

  get firstTs(): number | null {
    return this.end > this.start ? this.ts[this.start]! : null;
  }

  lastClose(): number {
    return this.end > this.start ? this.close[this.end - 1]! : Number.NaN;
  }

  /** Appends bars newer than the last one (older or equal ones are ignored: the feeder may overlap). */
  append(bars: readonly Bar[]): number {
    let added = 0;
    for (const b of bars) {
      const last = this.lastTs;
      if (last !== null && b.ts <= last) continue;
      if (this.end === this.ts.length) this.makeRoom();
      const i = this.end++;
      this.ts[i] = b.ts;
      this.open[i] = b.open;
      this.high[i] = b.high;
      this.low[i] = b.low;
      this.close[i] = b.close;
      this.volume[i] = b.volume;
      added++;
    }
    return added;
  }

  /** The last `n` bars (all of them when fewer, or when n is null) as a `Candles` view, valid until the next append. */
  candles(n: number | null = null): Candles {
    const e = this.end;
    const s = n === null ? this.start : Math.max(this.start, e - n);
    return {
      meta: this.meta,
      length: e - s,
      timestamp: this.ts.subarray(s, e),
      open: this.open.subarray(s, e),
      high: this.high.subarray(s, e),
      low: this.low.subarray(s, e),
      close: this.close.subarray(s, e),
      volume: this.volume.subarray(s, e),
    };
  }

  private makeRoom(): void {
    const n = this.length;
    if (this.maxBars !== null && n >= 2 * this.maxBars) {
      // Drop the oldest bars, keep the newest maxBars (amortised O(1) per append).
      this.start = this.end - this.maxBars;
    }
    const keep = this.end - this.start;
    const capacity = keep * 2 > this.ts.length ? this.ts.length * 2 : this.ts.length;
    const move = (a: Float64Array): Float64Array => {
      if (capacity === a.length) {
        a.copyWithin(0, this.start, this.end);
        return a;
      }
      const out = new Float64Array(capacity);
      out.set(a.subarray(this.start, this.end));
      return out;
    };
    this.ts = move(this.ts);
    this.open = move(this.open);
    this.high = move(this.high);
    this.low = move(this.low);
    this.close = move(this.close);
    this.volume = move(this.volume);
    this.end = keep;
    this.start = 0;
  }
}
