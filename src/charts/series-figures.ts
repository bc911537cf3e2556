import { decimationIndices, pick } from "./downsample.js";
import type { Figure, FigureOptions, Trace } from "./figure.js";
import { COLORS, baseLayout, toPlainArray, withLegendRoom } from "./figure.js";

/** One named line: y against x (timestamps in ms for a date axis, or any numbers for a linear one). */
export interface LineSeries {
  readonly name: string;
  readonly y: ArrayLike<number>;
  /** x values, same length as y; omitted: 0, 1, 2, … (and the axis becomes linear). */
  readonly x?: ArrayLike<number>;
  readonly color?: string;
  readonly dash?: "solid" | "dot" | "dash" | "dashdot";
  /** Line width in pixels (default 1.5). */
  readonly width?: number;
  /** Draw against the right-hand axis (default false). */
  readonly rightAxis?: boolean;
}

export interface LineFigureOptions extends FigureOptions {
  /** "date" (x in ms since the epoch) or "linear"; default "date" when every series has x, else "linear". */
  readonly xType?: "date" | "linear";
  /** Label of the right-hand axis (used by series with rightAxis). */
  readonly y2Title?: string;
  /** Logarithmic y axis (default false). */
  readonly logY?: boolean;
  /** Most points drawn per series; longer ones keep each bucket's first/min/max/last (default 4000). */
  readonly maxPoints?: number;
}

export const DEFAULT_MAX_POINTS = 4000;

function lineTrace(s: LineSeries, maxPoints: number, extra: Record<string, unknown> = {}): Trace {
  if (s.x !== undefined && s.x.length !== s.y.length) {
    throw new RangeError(`series "${s.name}": x has ${s.x.length} values but y has ${s.y.length}`);
  }
  const idx = decimationIndices(s.y, maxPoints);
  const x = s.x === undefined ? Array.from(idx) : pick(s.x, idx);
  return {
    type: "scatter",
    mode: "lines",
    name: s.name,
    x,
    y: pick(s.y, idx),
    line: {
      width: s.width ?? 1.5,
      ...(s.color === undefined ? {} : { color: s.color }),
      ...(s.dash === undefined ? {} : { dash: s.dash }),
    },
    ...(s.rightAxis === true ? { yaxis: "y2" } : {}),
    ...extra,
  };
}

function seriesLayout(series: readonly LineSeries[], opts: LineFigureOptions): Record<string, unknown> {
  const xType = opts.xType ?? (series.every((s) => s.x !== undefined) ? "date" : "linear");
  const layout = baseLayout({ ...opts, xType });
  if (opts.logY === true) layout["yaxis"] = { ...(layout["yaxis"] as Record<string, unknown>), type: "log" };
  if (series.some((s) => s.rightAxis === true)) {
    // automargin widens the right margin to fit the tick labels and the title; standoff keeps them apart.
    layout["yaxis2"] = {
      overlaying: "y",
      side: "right",
      showgrid: false,
      automargin: true,
      ...(opts.y2Title === undefined ? {} : { title: { text: opts.y2Title, standoff: 12 } }),
    };
  }
  return layout;
}

/** Several named lines against a shared x axis (e.g. the agent's equity against buy-and-hold). */
export function lineFigure(series: readonly LineSeries[], opts: LineFigureOptions = {}): Figure {
  const maxPoints = opts.maxPoints ?? DEFAULT_MAX_POINTS;
  return withLegendRoom({ data: series.map((s) => lineTrace(s, maxPoints)), layout: seriesLayout(series, opts) });
}

/** Like lineFigure, each series filled down to zero (for drawdown, exposure, …). */
export function areaFigure(series: readonly LineSeries[], opts: LineFigureOptions = {}): Figure {
  const maxPoints = opts.maxPoints ?? DEFAULT_MAX_POINTS;
  return withLegendRoom({
    data: series.map((s) => lineTrace(s, maxPoints, { fill: "tozeroy" })),
    layout: seriesLayout(series, opts),
  });
}

/** Drawdown from the running peak, value[t] / max(value[0..t]) − 1 (≤ 0); NaN stays NaN. */
export function drawdownSeries(value: ArrayLike<number>): Float64Array {
  const out = new Float64Array(value.length);
  let peak = -Infinity;
  for (let t = 0; t < value.length; t++) {
    const v = value[t]!;
    if (v > peak) peak = v;
    out[t] = Number.isNaN(v) ? Number.NaN : v / peak - 1;
  }
  return out;
}

const DASHES = ["dot", "dash", "dashdot"] as const;

/**
 * Drawdown of one or more value curves, in percent. The first curve (the one the chart is about) is a filled
 * area; the others are lines with their own dash, so that overlapping drawdowns stay tell-apart.
 */
export function drawdownFigure(
  curves: readonly { readonly name: string; readonly value: ArrayLike<number>; readonly x?: ArrayLike<number>; readonly color?: string }[],
  opts: LineFigureOptions = {},
): Figure {
  const maxPoints = opts.maxPoints ?? DEFAULT_MAX_POINTS;
  const series: LineSeries[] = curves.map((c, i) => {
    const dd = drawdownSeries(c.value).map((d) => d * 100);
    return {
      name: c.name,
      y: dd,
      ...(c.x === undefined ? {} : { x: c.x }),
      ...(c.color === undefined ? {} : { color: c.color }),
      ...(i === 0 ? { width: 1.5 } : { width: 1.6, dash: DASHES[(i - 1) % DASHES.length]! }),
    };
  });
  const layoutOpts = { yTitle: "drawdown (%)", ...opts };
  return withLegendRoom({
    data: series.map((s, i) => lineTrace(s, maxPoints, i === 0 ? { fill: "tozeroy", opacity: 0.85 } : {})),
    layout: seriesLayout(series, layoutOpts),
  });
}

export interface MarkerPoints {
  /** Legend name, e.g. "buy". */
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** "buy": green up-triangles, "sell": red down-triangles, "point": plain dots (default). */
  readonly kind?: "buy" | "sell" | "point";
  readonly color?: string;
  /** Marker size in pixels (default 9). */
  readonly size?: number;
  /** Hover text per point (e.g. the traded amount). */
  readonly text?: readonly string[];
  /** Draw against the right-hand axis (default false). */
  readonly rightAxis?: boolean;
}

/** A markers-only trace (trades over a price chart: combine with withTraces). */
export function markersTrace(p: MarkerPoints): Trace {
  if (p.x.length !== p.y.length) throw new RangeError(`markers "${p.name}": x has ${p.x.length} values but y has ${p.y.length}`);
  const kind = p.kind ?? "point";
  const symbol = kind === "buy" ? "triangle-up" : kind === "sell" ? "triangle-down" : "circle";
  const color = p.color ?? (kind === "buy" ? COLORS.buy : kind === "sell" ? COLORS.sell : COLORS.neutral);
  return {
    type: "scatter",
    mode: "markers",
    name: p.name,
    x: toPlainArray(p.x),
    y: toPlainArray(p.y),
    marker: { symbol, color, size: p.size ?? 9, line: { width: 1, color: "#ffffff" } },
    ...(p.text === undefined ? {} : { text: [...p.text], hoverinfo: "text+x" }),
    ...(p.rightAxis === true ? { yaxis: "y2" } : {}),
  };
}

export interface HistogramOptions extends FigureOptions {
  /** Number of bins over the shown range (default 60). */
  readonly bins?: number;
  /** Draw densities instead of counts, so series of different lengths compare (default false). */
  readonly density?: boolean;
  /**
   * Share of the pooled values the x range covers, centred (default 0.99: from the 0.5 % to the 99.5 %
   * quantile), so that a few extreme values do not squeeze the bulk into one bin; the title says how many
   * values lie beyond. 1 shows everything.
   */
  readonly centralShare?: number;
}

function sortedFinite(samples: readonly { readonly values: ArrayLike<number> }[]): Float64Array {
  const all: number[] = [];
  for (const s of samples) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i]!)) all.push(s.values[i]!);
  return Float64Array.from(all).sort();
}

/** Overlaid histograms of one or more samples (e.g. a feature on the train split against the test split). */
export function histogramFigure(
  samples: readonly { readonly name: string; readonly values: ArrayLike<number>; readonly color?: string }[],
  opts: HistogramOptions = {},
): Figure {
  const sorted = sortedFinite(samples);
  const share = opts.centralShare ?? 0.99;
  const bins = opts.bins ?? 60;
  let lo = sorted[0] ?? 0;
  let hi = sorted[sorted.length - 1] ?? 1;
  if (share < 1 && sorted.length > 0) {
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
    lo = q((1 - share) / 2);
    hi = q((1 + share) / 2);
  }
  if (!(hi > lo)) hi = lo + 1;
  const beyond = sorted.filter((v) => v < lo || v > hi).length;
  const note = beyond > 0 ? ` (central ${+(share * 100).toFixed(1)} % shown: ${beyond} of ${sorted.length} values lie beyond)` : "";
  const title = opts.title === undefined ? (note === "" ? undefined : note.trim().replace(/^\(|\)$/g, "")) : `${opts.title}${note}`;
  const layout = baseLayout({ ...opts, xType: "linear", ...(title === undefined ? {} : { title }) });
  const size = (hi - lo) / bins;
  return withLegendRoom({
    data: samples.map((s) => ({
      type: "histogram",
      name: s.name,
      x: toPlainArray(s.values),
      opacity: samples.length > 1 ? 0.6 : 1,
      xbins: { start: lo, end: hi, size },
      autobinx: false,
      ...(opts.density === true ? { histnorm: "probability density" } : {}),
      ...(s.color === undefined ? {} : { marker: { color: s.color } }),
    })),
    layout: {
      ...layout,
      barmode: "overlay",
      hovermode: "closest",
      xaxis: { ...(layout["xaxis"] as object), range: [lo, hi] },
      yaxis: { ...(layout["yaxis"] as object), title: { text: opts.yTitle ?? (opts.density === true ? "density" : "count") } },
    },
  });
}
