import type { Candles } from "../data/candles.js";
import { resampleCandles } from "./downsample.js";
import type { Figure, FigureOptions, Trace } from "./figure.js";
import { COLORS, baseLayout, toPlainArray } from "./figure.js";

export interface CandleFigureOptions extends FigureOptions {
  /** Most bars drawn; longer series are merged k bars at a time for display (default 2000). */
  readonly maxBars?: number;
  /** Also draw volume bars in a strip under the price (default false). */
  readonly withVolume?: boolean;
  /** Logarithmic price axis (default false). */
  readonly logPrice?: boolean;
}

export const DEFAULT_MAX_BARS = 2000;

/** "BTC" of "BTC/USD" (the volume's unit) and "USD" (the price's). */
const baseOf = (c: Candles): string => c.meta.symbol.split("/")[0] || "base";
const quoteOf = (c: Candles): string => c.meta.symbol.split("/")[1] || "quote";

/** A title that says when bars were merged, so a reader never mistakes a 10-hour bar for an hourly one. */
function titleFor(opts: CandleFigureOptions, c: Candles, shown: Candles): string | undefined {
  if (shown === c) return opts.title;
  const note = `(${c.length} bars shown as ${shown.length}, ${Math.ceil(c.length / shown.length)} merged per bar)`;
  return opts.title === undefined ? note : `${opts.title} ${note}`;
}

function withTitle<T extends FigureOptions>(opts: T, title: string | undefined): T {
  if (title === undefined) return opts;
  return { ...opts, title };
}

function volumeTrace(c: Candles, yaxis: "y" | "y2"): Trace {
  const colors = new Array<string>(c.length);
  for (let i = 0; i < c.length; i++) colors[i] = c.close[i]! >= c.open[i]! ? COLORS.up : COLORS.down;
  return {
    type: "bar",
    name: "volume",
    x: toPlainArray(c.timestamp),
    y: toPlainArray(c.volume),
    marker: { color: colors },
    yaxis,
    showlegend: false,
    hovertemplate: "volume %{y:,.2f}<extra></extra>",
  };
}

/** OHLC candlesticks of `c` against time, optionally with a volume strip underneath. */
export function candlestickFigure(c: Candles, opts: CandleFigureOptions = {}): Figure {
  const shown = resampleCandles(c, opts.maxBars ?? DEFAULT_MAX_BARS);
  const layout = baseLayout(withTitle({ yTitle: `price (${quoteOf(c)})`, ...opts }, titleFor(opts, c, shown)));
  const price: Trace = {
    type: "candlestick",
    name: c.meta.symbol,
    x: toPlainArray(shown.timestamp),
    open: toPlainArray(shown.open),
    high: toPlainArray(shown.high),
    low: toPlainArray(shown.low),
    close: toPlainArray(shown.close),
    increasing: { line: { color: COLORS.up }, fillcolor: COLORS.up },
    decreasing: { line: { color: COLORS.down }, fillcolor: COLORS.down },
  };
  const yaxis = { ...(layout["yaxis"] as Record<string, unknown>), ...(opts.logPrice === true ? { type: "log" } : {}) };
  if (opts.withVolume !== true) return { data: [price], layout: { ...layout, yaxis } };
  return {
    data: [price, volumeTrace(shown, "y2")],
    layout: {
      ...layout,
      yaxis: { ...yaxis, domain: [0.26, 1] },
      yaxis2: { domain: [0, 0.2], gridcolor: "#eceff1", automargin: true, title: { text: `volume (${baseOf(c)})` } },
    },
  };
}

/** Volume bars of `c` against time, green when the bar closed up, red when it closed down. */
export function volumeFigure(c: Candles, opts: CandleFigureOptions = {}): Figure {
  const shown = resampleCandles(c, opts.maxBars ?? DEFAULT_MAX_BARS);
  const layout = baseLayout(withTitle({ yTitle: `volume (${baseOf(c)})`, ...opts }, titleFor(opts, c, shown)));
  return { data: [volumeTrace(shown, "y")], layout: { ...layout, bargap: 0 } };
}
