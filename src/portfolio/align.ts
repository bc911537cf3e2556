/**
 * Several assets' candles on one clock. Each file has its own holes (exchange outages, quiet hours) and its
 * own first and last bar; the portfolio env needs one row per timestamp with a bar for every asset. What to do
 * with a timestamp that some asset lacks is a choice the caller makes explicitly, and the report says what
 * it cost:
 *   "drop" — the timestamp is removed for every asset (the env steps over it, as the single-asset env steps
 *            over a gap in its one series);
 *   "fill" — the missing asset gets a flat bar at its previous close with volume 0, and that bar is marked
 *            untradable: an order on it becomes a hold ("missing_bar"), and the asset is valued at its last
 *            known price until a real bar comes.
 * Rows before the latest first bar and after the earliest last bar are trimmed (there is no common clock
 * there) and reported too.
 */
import { allocCandles, type Candles } from "../data/candles.js";
import { EnvError } from "../env/errors.js";

export type MissingBarPolicy = "drop" | "fill";

export interface AssetAlignment {
  readonly symbol: string;
  /** Rows of the input series. */
  readonly rowsRead: number;
  readonly firstIso: string | null;
  readonly lastIso: string | null;
  /** Rows before the common range (they start before the last asset does). */
  readonly trimmedBefore: number;
  /** Rows after the common range. */
  readonly trimmedAfter: number;
  /** Timestamps of the common range that another asset has and this one lacks. */
  readonly missing: number;
  /** The first few missing timestamps (ISO), in time order. */
  readonly missingExamples: readonly string[];
}

export interface AlignmentReport {
  readonly policy: MissingBarPolicy;
  /** Common range: the latest first bar … the earliest last bar (ISO). */
  readonly firstIso: string;
  readonly lastIso: string;
  /** Rows of the aligned market. */
  readonly rows: number;
  readonly assets: readonly AssetAlignment[];
  /** "drop": timestamps of the common range removed because some asset lacked them. */
  readonly droppedRows: number;
  /** "fill": bars filled, summed over the assets. */
  readonly filledBars: number;
  /** Steps of the aligned clock longer than one bar (hours no asset has, plus the dropped ones). */
  readonly clockGaps: number;
  /** One line per asset and policy outcome, for logs and reports. */
  readonly lines: readonly string[];
}

/** The assets on one clock: `candles[k]` has one row per `timestamp` row. */
export interface AlignedMarket {
  readonly symbols: readonly string[];
  readonly length: number;
  readonly timestamp: Float64Array;
  readonly candles: readonly Candles[];
  /** tradable[k][t] = 1 where asset k has its own bar at row t; 0 on a filled bar. */
  readonly tradable: readonly Uint8Array[];
  readonly timeframeMs: number;
  readonly report: AlignmentReport;
}

export interface AlignOptions {
  readonly missingBars?: MissingBarPolicy;
  /** Bar length (default: the first series' timeframe, 1 h). */
  readonly timeframeMs?: number;
}

const MAX_EXAMPLES = 10;
const iso = (ms: number): string => new Date(ms).toISOString();

export function alignMarkets(series: readonly Candles[], opts: AlignOptions = {}): AlignedMarket {
  const policy = opts.missingBars ?? "drop";
  if (series.length < 1) throw new EnvError("invalid_market", "a portfolio needs at least one asset", "assets");
  const symbols = series.map((c) => c.meta.symbol);
  const seen = new Set<string>();
  symbols.forEach((s, k) => {
    if (seen.has(s)) throw new EnvError("invalid_market", `symbol "${s}" appears twice: every asset needs its own symbol`, `assets[${k}].symbol`);
    seen.add(s);
  });
  series.forEach((c, k) => {
    if (c.length < 2) throw new EnvError("invalid_market", `${symbols[k]} has ${c.length} rows; an asset needs at least 2`, `assets[${k}]`);
    for (let t = 1; t < c.length; t++) {
      if (!(c.timestamp[t]! > c.timestamp[t - 1]!)) {
        throw new EnvError("invalid_market", `${symbols[k]}: timestamps must increase strictly (row ${t}: ${c.timestamp[t]} after ${c.timestamp[t - 1]})`, `assets[${k}].timestamp[${t}]`);
      }
    }
  });
  const timeframeMs = opts.timeframeMs ?? 3_600_000;
  const from = Math.max(...series.map((c) => c.timestamp[0]!));
  const to = Math.min(...series.map((c) => c.timestamp[c.length - 1]!));
  if (!(from <= to)) {
    throw new EnvError("invalid_market", `the assets share no time range (latest first bar ${iso(from)}, earliest last bar ${iso(to)})`, "assets");
  }

  // The union of timestamps in the common range, by a K-way merge of the sorted series.
  const K = series.length;
  const pos = series.map((c) => lowerBound(c.timestamp, from));
  const union: number[] = [];
  const cursor = [...pos];
  for (;;) {
    let next = Infinity;
    for (let k = 0; k < K; k++) {
      const c = series[k]!;
      const i = cursor[k]!;
      if (i < c.length && c.timestamp[i]! <= to && c.timestamp[i]! < next) next = c.timestamp[i]!;
    }
    if (next === Infinity) break;
    union.push(next);
    for (let k = 0; k < K; k++) if (series[k]!.timestamp[cursor[k]!] === next) cursor[k]!++;
  }

  // has[k][u] = row of asset k at union[u], or −1.
  const has = series.map((c, k) => {
    const rows = new Int32Array(union.length).fill(-1);
    let i = pos[k]!;
    for (let u = 0; u < union.length; u++) {
      if (i < c.length && c.timestamp[i] === union[u]) rows[u] = i++;
    }
    return rows;
  });
  const complete = union.map((_, u) => has.every((rows) => rows[u]! >= 0));
  const keep = policy === "drop" ? union.flatMap((ts, u) => (complete[u] ? [u] : [])) : union.map((_, u) => u);
  if (keep.length < 2) throw new EnvError("invalid_market", `only ${keep.length} common bar(s) after aligning ${symbols.join(", ")}`, "assets");
  // A series that starts with a hole cannot be filled from a previous close: the first kept row must be complete.
  let start = 0;
  while (policy === "fill" && start < keep.length && !complete[keep[start]!]) start++;
  const rowsKept = keep.slice(start);

  const n = rowsKept.length;
  const timestamp = Float64Array.from(rowsKept, (u) => union[u]!);
  const candles: Candles[] = [];
  const tradable: Uint8Array[] = [];
  let filledBars = 0;
  const assets: AssetAlignment[] = series.map((c, k) => {
    const out = allocCandles(c.meta, n);
    const ok = new Uint8Array(n);
    let prevClose = Number.NaN;
    rowsKept.forEach((u, t) => {
      const r = has[k]![u]!;
      out.timestamp[t] = union[u]!;
      if (r >= 0) {
        out.open[t] = c.open[r]!;
        out.high[t] = c.high[r]!;
        out.low[t] = c.low[r]!;
        out.close[t] = c.close[r]!;
        out.volume[t] = c.volume[r]!;
        ok[t] = 1;
        prevClose = c.close[r]!;
      } else {
        out.open[t] = out.high[t] = out.low[t] = out.close[t] = prevClose;
        out.volume[t] = 0;
        filledBars++;
      }
    });
    candles.push(out);
    tradable.push(ok);
    const missingTs = union.filter((_, u) => has[k]![u]! < 0);
    let after = 0;
    for (let i = c.length - 1; i >= 0 && c.timestamp[i]! > to; i--) after++;
    return {
      symbol: symbols[k]!,
      rowsRead: c.length,
      firstIso: iso(c.timestamp[0]!),
      lastIso: iso(c.timestamp[c.length - 1]!),
      trimmedBefore: pos[k]!,
      trimmedAfter: after,
      missing: missingTs.length,
      missingExamples: missingTs.slice(0, MAX_EXAMPLES).map(iso),
    };
  });
  let clockGaps = 0;
  for (let t = 1; t < n; t++) if (timestamp[t]! - timestamp[t - 1]! > timeframeMs) clockGaps++;
  const droppedRows = policy === "drop" ? union.length - keep.length : start;
  const lines = assets.map((a) => {
    const trimmed = a.trimmedBefore + a.trimmedAfter > 0 ? `, ${a.trimmedBefore} row(s) before and ${a.trimmedAfter} after the common range trimmed` : "";
    const what = policy === "drop" ? "dropped for every asset" : "filled flat at the previous close, untradable";
    const ex = a.missing > 0 ? ` (${a.missingExamples.slice(0, 3).join(", ")}${a.missing > 3 ? ", …" : ""})` : "";
    return `${a.symbol}: ${a.rowsRead} rows; ${a.missing} bar(s) missing in the common range${ex}: ${what}${trimmed}`;
  });
  lines.push(`aligned: ${n} rows ${iso(timestamp[0]!)} → ${iso(timestamp[n - 1]!)}, ${droppedRows} dropped, ${filledBars} filled, ${clockGaps} step(s) longer than one bar`);
  return {
    symbols,
    length: n,
    timestamp,
    candles,
    tradable,
    timeframeMs,
    report: { policy, firstIso: iso(from), lastIso: iso(to), rows: n, assets, droppedRows, filledBars, clockGaps, lines },
  };
}

/** First index i with xs[i] ≥ x. */
function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
