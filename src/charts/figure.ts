/**
 * Plain-JSON plotly figures: `{ data, layout }` objects that `Plotly.newPlot(el, data, layout)` draws as they are.
 * Builders return these (never plotly.js objects) so that the same figure goes into a notebook output, an HTML
 * report or a test assertion, and serialises with JSON.stringify.
 */

/** One plotly trace; `type` is plotly's trace type ("scatter", "candlestick", "bar", …). */
export interface Trace {
  readonly type: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/** A plotly layout object. */
export interface Layout {
  readonly [key: string]: unknown;
}

export interface Figure {
  readonly data: readonly Trace[];
  readonly layout: Layout;
}

/** Options every figure builder accepts. */
export interface FigureOptions {
  /** Title drawn above the plot. */
  readonly title?: string;
  /** Height in pixels (default 420). */
  readonly height?: number;
  /** Label of the x axis. */
  readonly xTitle?: string;
  /** Label of the (left) y axis. */
  readonly yTitle?: string;
}

/** Candle-direction colours shared by candlesticks, volume bars and markers. */
export const COLORS = {
  up: "#26a69a",
  down: "#ef5350",
  buy: "#1b9e3a",
  sell: "#d62728",
  neutral: "#5c6bc0",
} as const;

export const DEFAULT_HEIGHT = 420;

/** Title of a date x axis when the caller gives none: plotly draws ms timestamps as UTC dates. */
export const DATE_AXIS_TITLE = "time (UTC)";

/**
 * Layout shared by all builders: a white theme, margins that grow to fit tick labels and axis titles
 * (`automargin`), a horizontal legend above the plot and the title above the legend, and a date x axis unless
 * `xType` says otherwise (plotly reads numbers on a date axis as milliseconds since the epoch, UTC; such an axis
 * is titled "time (UTC)" unless `xTitle` says otherwise). Builders that know their legend call
 * {@link withLegendRoom} so that a legend of several rows never covers the title.
 */
export function baseLayout(opts: FigureOptions & { readonly xType?: "date" | "linear" }): Record<string, unknown> {
  const xType = opts.xType ?? "date";
  const xTitle = opts.xTitle ?? (xType === "date" ? DATE_AXIS_TITLE : undefined);
  const layout: Record<string, unknown> = {
    height: opts.height ?? DEFAULT_HEIGHT,
    margin: { l: 64, r: 24, t: opts.title === undefined ? 36 : 72, b: 48 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12 },
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" },
    hovermode: "x",
    xaxis: {
      type: xType,
      gridcolor: "#eceff1",
      automargin: true,
      rangeslider: { visible: false },
      ...(xTitle === undefined ? {} : { title: { text: xTitle } }),
    },
    yaxis: {
      gridcolor: "#eceff1",
      zerolinecolor: "#b0bec5",
      automargin: true,
      ...(opts.yTitle === undefined ? {} : { title: { text: opts.yTitle } }),
    },
  };
  if (opts.title !== undefined) layout["title"] = { text: opts.title, x: 0.01, xanchor: "left", y: 0.985, yanchor: "top" };
  return layout;
}

/** Pixels of one legend row, and the width assumed for a figure whose width is not fixed. */
const LEGEND_ROW_PX = 22;
const ASSUMED_WIDTH_PX = 900;

/**
 * Room above the plot for the legend: the rows a horizontal legend of these names takes at a typical width
 * (about 6.5 px per character plus the symbol), so that the title sits above it instead of under it.
 */
export function withLegendRoom(fig: Figure): Figure {
  const names = fig.data.filter((t) => t["showlegend"] !== false && t.name !== undefined).map((t) => String(t.name));
  if (names.length < 2 && fig.data.length < 2) return fig;
  const width = typeof fig.layout["width"] === "number" ? (fig.layout["width"] as number) : ASSUMED_WIDTH_PX;
  let rows = 1;
  let used = 0;
  for (const n of names) {
    const w = 44 + 6.5 * n.length;
    if (used + w > width && used > 0) {
      rows++;
      used = 0;
    }
    used += w;
  }
  const margin = (fig.layout["margin"] ?? {}) as Record<string, unknown>;
  const hasTitle = fig.layout["title"] !== undefined;
  const top = (hasTitle ? 44 : 12) + LEGEND_ROW_PX * rows + 8;
  return { data: fig.data, layout: { ...fig.layout, margin: { ...margin, t: Math.max(Number(margin["t"] ?? 0), top) } } };
}

/** A JSON-friendly copy: typed arrays become plain arrays (JSON.stringify turns NaN and ±Infinity into null, a gap). */
export function toPlainArray(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

/** A new figure with `traces` drawn on top of `fig`'s (e.g. buy/sell markers over candlesticks). */
export function withTraces(fig: Figure, ...traces: readonly Trace[]): Figure {
  return { data: [...fig.data, ...traces], layout: fig.layout };
}

/** A new figure whose layout is `fig`'s with `patch` merged in one level deep (axes, legend, …). */
export function withLayout(fig: Figure, patch: Layout): Figure {
  const layout: Record<string, unknown> = { ...fig.layout };
  for (const [key, value] of Object.entries(patch)) {
    const prev = layout[key];
    layout[key] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
  }
  return { data: fig.data, layout };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A vertical line across the plot at x (e.g. the train/test split), with a label at the top. */
export interface VerticalMarker {
  readonly x: number;
  readonly label?: string;
  readonly color?: string;
}

/** Layout patch (shapes + annotations) drawing vertical markers; merge it with withLayout. */
export function verticalMarkers(markers: readonly VerticalMarker[]): Layout {
  return {
    shapes: markers.map((m) => ({
      type: "line",
      xref: "x",
      yref: "paper",
      x0: m.x,
      x1: m.x,
      y0: 0,
      y1: 1,
      line: { color: m.color ?? "#455a64", width: 1.5, dash: "dot" },
    })),
    annotations: markers
      .filter((m) => m.label !== undefined)
      .map((m) => ({ x: m.x, xref: "x", y: 1, yref: "paper", yanchor: "bottom", text: m.label, showarrow: false, font: { size: 11, color: m.color ?? "#455a64" } })),
  };
}
